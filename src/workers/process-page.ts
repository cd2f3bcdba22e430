/**
 * One page job: guard -> robots -> per-host politeness -> fetch -> parse -> handler -> store.
 * Transient failures are rethrown while attempts remain (BullMQ retries them with the
 * 'spiderd' backoff); everything else becomes the page's stored outcome, so bad input (a
 * hostile page, a throwing handler, a malformed job) fails one page, never the process.
 */
import { DelayedError, type Job } from 'bullmq';
import type { Agent } from 'undici';
import type { Config } from '../shared/config.js';
import { SpiderdError, wrapError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { PageJob } from '../shared/queue.js';
import { outOfScope } from '../shared/url/scope.js';
import type { CachedCrawl, CrawlCache } from './crawl-cache.js';
import { MAX_STALLED_COUNT } from './crawl-worker.js';
import { fetchPage, type HopCheck } from './fetch/fetch-page.js';
import type { FetchLimits } from './fetch/http-agent.js';
import { linksToFollow } from './follow-links.js';
import { runHandler, type HandlerLoader } from './handler.js';
import type { PageGuard } from './page-guard.js';
import { errorRow, type PageResult } from './page-result.js';
import { parsePage } from './parse-page.js';
import type { HostPoliteness } from './politeness.js';
import type { RobotsGate } from './robots/robots-gate.js';
import type { StoreBatch } from './store-batch.js';

export interface PageDeps {
  config: Config;
  log: Logger;
  crawls: CrawlCache;
  guard: PageGuard;
  robots: RobotsGate;
  politeness: HostPoliteness;
  agent: Agent;
  limits: FetchLimits;
  handlers: HandlerLoader;
  store: StoreBatch;
}

type Crawl = Extract<CachedCrawl, { ok: true }>;
export type PageProcessor = (job: Job<PageJob>, token?: string) => Promise<void>;

export function createPageProcessor(deps: PageDeps): PageProcessor {
  const leaseMs = deps.limits.connectTimeoutMs + deps.limits.headersTimeoutMs + deps.limits.bodyTimeoutMs + 5_000;

  return async function processPage(job, token) {
    const page = readJob(job.data);
    if (!page) {
      deps.log.warn({ jobId: job.id }, 'malformed page job; completed without fetching');
      return;
    }
    const crawl = await deps.crawls.get(page.crawlId);
    if (!crawl) {
      deps.log.warn({ jobId: job.id, crawlId: page.crawlId }, 'page job for a crawl that no longer exists; completed without fetching');
      return;
    }
    if (!(await deps.guard.isQueued(page.pageId))) return; // already stored (a redelivery or a requeue race)
    const attempts = job.attemptsMade + 1;
    let result: PageResult;
    try {
      if (!crawl.ok) throw crawl.error;
      if (job.stalledCounter >= MAX_STALLED_COUNT) {
        throw new SpiderdError('SPIDERD_PAGE_KILLED_WORKER', `crawler processes died ${job.stalledCounter} times while on ${page.url}; not trying it again`);
      }
      result = await crawlPage(crawl, page, attempts, async (waitMs) => {
        try {
          await job.moveToDelayed(Date.now() + waitMs, token);
        } catch (err) {
          throw wrapError('SPIDERD_REDIS_UNAVAILABLE', `deferring ${page.url} for a busy host failed`, err, { transient: true });
        }
        throw new DelayedError();
      });
    } catch (thrown) {
      if (thrown instanceof DelayedError) throw thrown; // waits in Redis; not an attempt
      const err = wrapError('SPIDERD_INTERNAL', `unexpected failure on ${page.url}`, thrown);
      if (err.transient && attempts < (job.opts.attempts ?? 1)) throw err; // BullMQ retries it
      if (err.code === 'SPIDERD_INTERNAL') deps.log.error({ err, url: page.url }, 'unexpected failure while crawling a page');
      result = { crawlId: page.crawlId, pageId: page.pageId, maxPages: crawl.ok ? crawl.options.maxPages : 0, row: errorRow(err, attempts), discovered: [] };
    }
    await deps.store.submit(result);
    deps.log.debug({ url: page.url, state: result.row.state, code: result.row.errorCode, discovered: result.discovered.length }, 'page stored');
  };

  async function crawlPage(crawl: Crawl, page: PageJob, attempts: number, defer: (waitMs: number) => Promise<never>): Promise<PageResult> {
    const { options, scope } = crawl;
    const userAgent = options.userAgent ?? deps.config.userAgent;
    const robotsAllow = async (url: string): Promise<{ allowed: boolean; crawlDelayMs: number }> =>
      options.ignoreRobots ? { allowed: true, crawlDelayMs: 0 } : deps.robots.check(url);

    const robots = await robotsAllow(page.url);
    if (!robots.allowed) throw new SpiderdError('SPIDERD_ROBOTS_DISALLOWED', `robots.txt disallows ${page.url} for ${userAgent}`);

    const checkHop: HopCheck = async (url) => {
      const reason = outOfScope(url, scope);
      if (reason) return new SpiderdError('SPIDERD_OUT_OF_SCOPE', `redirect to ${url} leaves the crawl: ${reason}`, { details: { finalUrl: url } });
      if (!(await robotsAllow(url)).allowed) return new SpiderdError('SPIDERD_ROBOTS_DISALLOWED', `robots.txt disallows the redirect target ${url}`, { details: { finalUrl: url } });
      return null;
    };

    const host = new URL(page.url).host;
    const slot = await deps.politeness.acquire(host, {
      concurrency: options.perHostConcurrency,
      delayMs: Math.max(options.perHostDelayMs, robots.crawlDelayMs),
      leaseMs,
    });
    if (!slot.ok) return defer(slot.waitMs);
    let fetched;
    try {
      fetched = await fetchPage(deps.agent, page.url, { userAgent, limits: deps.limits, checkHop });
    } finally {
      await slot.lease.release().catch((err: unknown) => deps.log.warn({ err, host }, 'releasing a host lease failed (it expires by itself)'));
    }

    const parsed = parsePage(fetched.html, fetched.finalUrl);
    let data: unknown = null;
    let handlerError: SpiderdError | null = null;
    const handlerPath = options.handler ?? deps.config.handler;
    if (handlerPath) {
      try {
        const fn = await deps.handlers.load(handlerPath);
        data = await runHandler(fn, { url: page.url, finalUrl: fetched.finalUrl, status: fetched.status, headers: fetched.headers, html: fetched.html, $: parsed.$, depth: page.depth, crawl: crawl.name });
      } catch (err) {
        handlerError = wrapError('SPIDERD_HANDLER_FAILED', `handler failed on ${page.url}`, err);
      }
    }
    return {
      crawlId: page.crawlId,
      pageId: page.pageId,
      maxPages: options.maxPages,
      discovered: linksToFollow(parsed, page.depth, options.maxDepth, scope),
      row: {
        state: handlerError ? 'failed' : 'fetched',
        finalUrl: fetched.finalUrl,
        status: fetched.status,
        contentType: fetched.contentType,
        title: parsed.title,
        description: parsed.description,
        canonical: parsed.canonical,
        noindex: parsed.noindex,
        nofollow: parsed.nofollow,
        fetchedAt: new Date(),
        durationMs: Math.round(fetched.durationMs),
        bytes: fetched.bytes,
        contentHash: fetched.contentHash,
        errorCode: handlerError?.code ?? null,
        error: handlerError?.message ?? null,
        attempts,
        links: parsed.links.map((l) => l.url),
        data,
      },
    };
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
  return { crawlId: d.crawlId as number, pageId: d.pageId, url: d.url, depth: d.depth as number };
}
