/**
 * The page queue's jobs: their data, ids and default options. No BullMQ at run time (types
 * only), so the supervisor can build and check jobs without loading BullMQ (queue.ts).
 */
import type { JobsOptions } from 'bullmq';

export interface PageJob {
  crawlId: number;
  /** pages.id as a decimal string (BigInt does not survive JSON). */
  pageId: string;
  url: string;
  depth: number;
  /** Redirects followed to reach this URL; absent means 0. */
  redirectHops?: number;
  /**
   * Set on jobs re-added from PostgreSQL (requeue, reconcile, a retried enqueue): the page may
   * already be stored, so the crawler checks its row before fetching.
   */
  requeued?: true;
  /** Tries of this page that ran alone after a process died holding it, and did not finish (see workers/stalls.ts). */
  aloneRuns?: number;
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

export function pageJobs(pages: Array<{ id: bigint; url: string; depth: number; redirect_hops?: number }>, crawlId: number, attempts: number, requeued = false) {
  return pages.map((p) => {
    const data: PageJob = { crawlId, pageId: p.id.toString(), url: p.url, depth: p.depth };
    if (p.redirect_hops) data.redirectHops = p.redirect_hops;
    if (requeued) data.requeued = true;
    return { name: 'page', data, opts: { ...pageJobOptions(attempts), jobId: pageJobId(p.id) } };
  });
}
