/**
 * The BullMQ worker that runs page jobs in this process: the 'spiderd' backoff strategy, and a
 * count of finished jobs (what memory samples and recycling are measured against). It holds more
 * jobs than there are fetch slots (jobSlots), so pages whose batch is being committed do not
 * keep the fetchers idle; the autoscaler moves both numbers together.
 */
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../shared/config.js';
import { coerceError } from '../shared/errors.js';
import { QUEUE_NAME } from '../shared/keys.js';
import type { Logger } from '../shared/logger.js';
import type { PageJob } from '../shared/page-jobs.js';
import { backoffStrategy } from './backoff.js';
import type { PageProcessor } from './process-page.js';
import { MAX_STALLED_COUNT } from './stalls.js';

/**
 * Jobs held for a number of fetch slots: the pages being fetched, about as many again waiting for
 * a slot (so a slot never waits on Redis), and those waiting for their batch to commit.
 */
export function jobSlots(fetchSlots: number): number {
  return 3 * fetchSlots + 32;
}

export interface CrawlWorker {
  worker: Worker<PageJob>;
  /** Jobs that finished (completed or failed for good or for a retry), not counting deferrals. */
  jobsDone(): number;
}

export function createCrawlWorker(deps: { config: Config; connection: Redis; log: Logger; process: PageProcessor; fetchSlots: number; onJobDone?: (jobsDone: number) => void }): CrawlWorker {
  const { config, log } = deps;
  let done = 0;
  const worker = new Worker<PageJob>(QUEUE_NAME, (job: Job<PageJob>, token?: string) => deps.process(job, token), {
    connection: deps.connection,
    prefix: config.prefix,
    concurrency: jobSlots(deps.fetchSlots),
    autorun: false,
    maxStalledCount: MAX_STALLED_COUNT,
    lockDuration: config.jobLockMs,
    stalledInterval: config.jobLockMs,
    settings: { backoffStrategy: backoffStrategy(config.retryBaseMs) },
  });
  const finished = () => {
    done++;
    deps.onJobDone?.(done);
  };
  worker.on('completed', finished);
  worker.on('failed', (job, err) => {
    finished();
    log.debug({ err, jobId: job?.id, attemptsMade: job?.attemptsMade }, 'page job failed; BullMQ retries it with backoff');
  });
  worker.on('error', (err) => log.error({ err: coerceError(err) }, 'queue worker error'));
  worker.on('stalled', (jobId) => log.warn({ jobId }, 'a page job stalled (its process died or was too busy) and was put back'));
  return { worker, jobsDone: () => done };
}
