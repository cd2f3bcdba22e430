/** The page queue: its job data, job ids and default job options. */
import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { QUEUE_NAME } from './keys.js';

export interface PageJob {
  crawlId: number;
  /** pages.id as a decimal string (BigInt does not survive JSON). */
  pageId: string;
  url: string;
  depth: number;
}

/** One job per page row: re-adding the same page is a no-op while its job exists. */
export function pageJobId(pageId: string | bigint): string {
  return `p${pageId}`;
}

export function pageJobOptions(attempts: number): JobsOptions {
  return {
    attempts,
    backoff: { type: 'spiderd' },
    removeOnComplete: true,
    removeOnFail: true,
  };
}

export function createPageQueue(connection: Redis, prefix: string): Queue<PageJob> {
  return new Queue<PageJob>(QUEUE_NAME, { connection, prefix });
}

export function pageJobs(pages: Array<{ id: bigint; url: string; depth: number }>, crawlId: number, attempts: number) {
  return pages.map((p) => ({
    name: 'page',
    data: { crawlId, pageId: p.id.toString(), url: p.url, depth: p.depth } satisfies PageJob,
    opts: { ...pageJobOptions(attempts), jobId: pageJobId(p.id) },
  }));
}
