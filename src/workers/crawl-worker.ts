/**
 * The BullMQ worker that runs page jobs in this process: concurrency from the config, the
 * 'spiderd' backoff strategy, and a count of finished jobs (what memory samples and
 * recycling are measured against).
 */
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../shared/config.js';
import { coerceError } from '../shared/errors.js';
import { QUEUE_NAME } from '../shared/keys.js';
import type { Logger } from '../shared/logger.js';
import type { PageJob } from '../shared/queue.js';
import { backoffStrategy } from './backoff.js';
import type { PageProcessor } from './process-page.js';

/**
 * BullMQ gives up a job whose lock lapsed more often than this (its process died or was
 * force-closed while on it). process-page.ts stores such a page as failed one delivery
 * earlier (POISON_STALLS), so BullMQ's own give-up, which would leave the row queued with
 * no job, is never reached.
 */
export const MAX_STALLED_COUNT = 3;

export interface CrawlWorker {
  worker: Worker<PageJob>;
  /** Jobs that finished (completed or failed for good or for a retry), not counting deferrals. */
  jobsDone(): number;
}

export function createCrawlWorker(deps: { config: Config; connection: Redis; log: Logger; process: PageProcessor; onJobDone?: (jobsDone: number) => void }): CrawlWorker {
  const { config, log } = deps;
  let done = 0;
  const worker = new Worker<PageJob>(QUEUE_NAME, (job: Job<PageJob>, token?: string) => deps.process(job, token), {
    connection: deps.connection,
    prefix: config.prefix,
    concurrency: config.concurrency,
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
