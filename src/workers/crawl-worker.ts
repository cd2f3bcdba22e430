/**
 * The BullMQ workers that run page jobs in this process, one per queue shard (one on a standalone
 * Redis), so every process takes work from every shard and none starves: the 'spiderd' backoff
 * strategy, and a count of finished jobs (what memory samples and recycling are measured
 * against). They hold more jobs than there are fetch slots (jobSlots), so pages whose batch is
 * being committed do not keep the fetchers idle; the autoscaler moves both numbers together.
 */
import { DelayedError, Worker, type Job } from 'bullmq';
import type { Config } from '../shared/config.js';
import { coerceError } from '../shared/errors.js';
import { QUEUE_NAME, type RedisKeys } from '../shared/keys.js';
import type { Logger } from '../shared/logger.js';
import type { PageJob } from '../shared/page-jobs.js';
import type { RedisClient } from '../shared/redis.js';
import { backoffStrategy } from './backoff.js';
import { JobGate } from './job-gate.js';
import type { PageProcessor } from './process-page.js';
import { MAX_STALLED_COUNT } from './stalls.js';

/**
 * Jobs held for a number of fetch slots: the pages being fetched, about as many again waiting for
 * a slot (so a slot never waits on Redis), and those waiting for their batch to commit.
 */
export function jobSlots(fetchSlots: number): number {
  return 3 * fetchSlots + 32;
}

/**
 * Each shard's worker may hold twice its even share of the process's jobs (all of them with one
 * shard): a shard with no work leaves room for the others, and a process never holds more than
 * twice its jobSlots.
 */
export function shardConcurrency(total: number, shards: number): number {
  return shards <= 1 ? total : Math.max(2, Math.min(total, Math.ceil((2 * total) / shards)));
}

/** The workers of every shard, driven as one. */
export interface ShardWorkers {
  run(): Promise<void>;
  waitUntilReady(): Promise<void>;
  /** Stops starting jobs; resolves once the jobs in hand are done (job-gate.ts). */
  pause(): Promise<void>;
  resume(): void;
  close(force?: boolean): Promise<void>;
  /** Jobs held at once by this process, over every shard. */
  setConcurrency(total: number): void;
}

export interface CrawlWorker {
  worker: ShardWorkers;
  /** Jobs that finished (completed or failed for good or for a retry), not counting deferrals. */
  jobsDone(): number;
}

export function createCrawlWorker(deps: { config: Config; keys: RedisKeys; connection: RedisClient; log: Logger; process: PageProcessor; fetchSlots: number; onJobDone?: (jobsDone: number) => void }): CrawlWorker {
  const { config, log, keys } = deps;
  const shards = keys.layout.shards;
  let done = 0;
  const finished = () => {
    done++;
    deps.onJobDone?.(done);
  };
  const gate = new JobGate();
  const giveBack = async (job: Job<PageJob>, token: string | undefined): Promise<void> => {
    await job.moveToDelayed(Date.now(), token); // back in the queue now, not an attempt
    throw new DelayedError();
  };
  const workers = Array.from({ length: shards }, (_, k) => {
    const worker = new Worker<PageJob>(QUEUE_NAME, (job: Job<PageJob>, token?: string) => gate.pass(() => deps.process(job, token), () => giveBack(job, token)), {
      connection: deps.connection,
      prefix: keys.bullPrefix(k),
      concurrency: shardConcurrency(jobSlots(deps.fetchSlots), shards),
      autorun: false,
      maxStalledCount: MAX_STALLED_COUNT,
      lockDuration: config.jobLockMs,
      stalledInterval: config.jobLockMs,
      settings: { backoffStrategy: backoffStrategy(config.retryBaseMs) },
    });
    const shard = shards > 1 ? { shard: k } : {};
    worker.on('completed', finished);
    worker.on('failed', (job, err) => {
      finished();
      log.debug({ err, jobId: job?.id, attemptsMade: job?.attemptsMade, ...shard }, 'page job failed; BullMQ retries it with backoff');
    });
    worker.on('error', (err) => log.error({ err: coerceError(err), ...shard }, 'queue worker error'));
    worker.on('stalled', (jobId) => log.warn({ jobId, ...shard }, 'a page job stalled (its process died or was too busy) and was put back'));
    return worker;
  });
  const all = async (fn: (w: Worker<PageJob>) => Promise<unknown>) => {
    await Promise.all(workers.map(fn));
  };
  return {
    worker: {
      run: () => all((w) => w.run()),
      waitUntilReady: () => all((w) => w.waitUntilReady()),
      pause: async () => {
        gate.close();
        await all((w) => w.pause(true));
        await gate.whenIdle();
      },
      resume: () => {
        gate.open();
        for (const w of workers) void w.resume();
      },
      close: async (force) => {
        gate.release();
        await all((w) => w.close(force));
      },
      setConcurrency: (total) => {
        for (const w of workers) w.concurrency = shardConcurrency(total, shards);
      },
    },
    jobsDone: () => done,
  };
}
