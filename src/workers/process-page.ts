/**
 * One page job: read it, check it is due, crawl the page (crawl-page.ts), store the outcome.
 * Transient failures are rethrown while attempts remain (BullMQ retries them with the 'spiderd'
 * backoff); a busy host, an unavailable robots.txt, or our own PostgreSQL or Redis being down
 * defers the job in Redis (not an attempt: the page is not at fault);
 * everything else becomes the page's stored outcome, so bad input (a hostile page, a throwing
 * handler, a malformed job) fails one page, never the process. The job completes only once its
 * row is committed and its discoveries are queued (StoreBatch.submit).
 */
import { DelayedError, type Job } from 'bullmq';
import type { Config } from '../shared/config.js';
import { SpiderdError, wrapError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { PageJob } from '../shared/page-jobs.js';
import type { CachedCrawl, CrawlCache } from './crawl-cache.js';
import type { PageCrawler } from './crawl-page.js';
import { errorRow, type PageResult } from './page-result.js';
import type { PageGuard, PriorFetch } from './page-guard.js';
import { failureFields } from './recrawl-fields.js';
import { MAX_STALLED_COUNT, POISON_ALONE_RUNS } from './stalls.js';
import type { Slots } from './slots.js';
import type { StoreBatch } from './store-batch.js';

export interface PageDeps {
  config: Config;
  log: Logger;
  crawls: CrawlCache;
  guard: PageGuard;
  crawlPage: PageCrawler;
  slots: Slots;
  store: StoreBatch;
}

export type PageProcessor = (job: Job<PageJob>, token?: string) => Promise<void>;

/** How long a page waits for its origin's robots.txt to become available before it is stored failed. */
export const ROBOTS_WAIT_MAX_MS = 24 * 3_600_000;
/** When our own PostgreSQL or Redis is unreachable, a page comes back after this long (plus jitter). */
const INFRA_RETRY_MS = 5_000;

export function createPageProcessor(deps: PageDeps): PageProcessor {
  const defer = async (job: Job<PageJob>, token: string | undefined, waitMs: number, why: string): Promise<never> => {
    // Jittered, so pages sent back together do not all return at the same instant.
    const at = Date.now() + waitMs + Math.random() * Math.min(waitMs * 0.1, 1_000);
    try {
      await job.moveToDelayed(Math.round(at), token);
    } catch (err) {
      throw wrapError('SPIDERD_REDIS_UNAVAILABLE', `deferring ${job.data.url} (${why}) failed`, err, { transient: true });
    }
    throw new DelayedError();
  };

  return async function processPage(job, token) {
    const page = readJob(job.data);
    if (!page) {
      // A job hash without data is a ghost of a job Redis lost part of; the reconcile re-adds its page (requeue.ts).
      deps.log.warn({ jobId: job.id }, 'malformed page job (a ghost, if it has no data: Redis lost part of it); completed without fetching');
      return;
    }
    try {
      await handle(job, token, page);
    } catch (thrown) {
      if (thrown instanceof DelayedError) throw thrown;
      // Our own database or Redis is down: the page is not at fault, so this costs it no attempt.
      const code = (thrown as { code?: unknown }).code;
      if (code === 'SPIDERD_DB_UNAVAILABLE' || code === 'SPIDERD_REDIS_UNAVAILABLE') return await defer(job, token, INFRA_RETRY_MS, String(code));
      throw thrown;
    }
  };

  async function handle(job: Job<PageJob>, token: string | undefined, page: PageJob): Promise<void> {
    const crawl = await deps.crawls.get(page.crawlId);
    if (!crawl) {
      deps.log.warn({ jobId: job.id, crawlId: page.crawlId }, 'page job for a crawl that no longer exists; completed without fetching');
      return;
    }
    // A first delivery of a freshly discovered page is due by construction (one job id per page);
    // a redelivery, a retry or a re-added job may find its page already stored.
    const maybeDone = page.requeued === true || job.attemptsMade > 0 || job.stalledCounter > 0;
    const check = maybeDone ? await deps.guard.check(page.pageId) : null;
    if (check && !check.queued) return;
    const prior = check?.prior ?? null;
    const aloneRuns = page.aloneRuns ?? 0;
    const poisoned = aloneRuns >= POISON_ALONE_RUNS || job.stalledCounter >= MAX_STALLED_COUNT;
    if (job.stalledCounter === 0 || poisoned) return crawlAndStore(job, token, page, crawl, false, prior);
    // A process died holding this page: it runs alone, fetch to commit, and the try is recorded
    // first, so a death during it counts against this page and no other (stalls.ts). A try that
    // ends without a death (deferred, retried) is taken off the record again.
    await deps.slots.acquire(true);
    try {
      await job.updateData({ ...job.data, aloneRuns: aloneRuns + 1 });
      try {
        await crawlAndStore(job, token, page, crawl, true, prior);
      } catch (thrown) {
        await job.updateData({ ...job.data, aloneRuns }).catch(() => undefined);
        throw thrown;
      }
    } finally {
      deps.slots.release();
    }
  }

  async function crawlAndStore(job: Job<PageJob>, token: string | undefined, page: PageJob, crawl: CachedCrawl, alone: boolean, prior: PriorFetch | null): Promise<void> {
    const attempts = job.attemptsMade + 1;
    const aloneRuns = page.aloneRuns ?? 0;
    let result: PageResult;
    try {
      if (!crawl.ok) throw crawl.error;
      if (aloneRuns >= POISON_ALONE_RUNS || job.stalledCounter >= MAX_STALLED_COUNT) {
        throw new SpiderdError('SPIDERD_PAGE_KILLED_WORKER', `crawler processes died ${job.stalledCounter} times while on ${page.url}, ${aloneRuns} of them while it was tried alone; not trying it again`);
      }
      const outcome = await deps.crawlPage(crawl, page, attempts, alone, prior);
      if (outcome.kind === 'defer') return await defer(job, token, outcome.waitMs, 'host busy');
      result = outcome.result;
    } catch (thrown) {
      if (thrown instanceof DelayedError) throw thrown; // waits in Redis; not an attempt
      const err = wrapError('SPIDERD_INTERNAL', `unexpected failure on ${page.url}`, thrown);
      if (err.code === 'SPIDERD_ROBOTS_UNAVAILABLE' && Date.now() - job.timestamp < ROBOTS_WAIT_MAX_MS) {
        return await defer(job, token, err.retryAfterMs ?? 60_000, 'robots.txt unavailable');
      }
      if (err.code === 'SPIDERD_DB_UNAVAILABLE' || err.code === 'SPIDERD_REDIS_UNAVAILABLE') throw err; // deferred above
      if (err.transient && attempts < (job.opts.attempts ?? 1)) throw err; // BullMQ retries it
      if (err.code === 'SPIDERD_INTERNAL') deps.log.error({ err, url: page.url }, 'unexpected failure while crawling a page');
      const row = { ...errorRow(err, attempts), recrawl: failureFields(crawl.ok ? crawl.options.recrawl : null, prior, err) };
      result = { crawlId: page.crawlId, pageId: page.pageId, maxPages: 0, maxPagesPerHost: 0, row, discovered: [] };
    }
    await deps.store.submit(result);
  }
}

/** The job's data, or null when it is not a PageJob. */
function readJob(raw: unknown): PageJob | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const d = raw as Record<string, unknown>;
  if (!Number.isSafeInteger(d.crawlId) || (d.crawlId as number) <= 0) return null;
  if (typeof d.pageId !== 'string' || !/^[1-9]\d{0,18}$/.test(d.pageId)) return null;
  if (typeof d.url !== 'string' || d.url.length === 0) return null;
  if (!Number.isSafeInteger(d.depth) || (d.depth as number) < 0) return null;
  const job: PageJob = { crawlId: d.crawlId as number, pageId: d.pageId, url: d.url, depth: d.depth as number };
  if (Number.isSafeInteger(d.redirectHops) && (d.redirectHops as number) > 0) job.redirectHops = d.redirectHops as number;
  if (d.requeued === true) job.requeued = true;
  if (Number.isSafeInteger(d.aloneRuns) && (d.aloneRuns as number) > 0) job.aloneRuns = d.aloneRuns as number;
  return job;
}
