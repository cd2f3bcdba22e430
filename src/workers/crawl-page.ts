/**
 * Crawling one page, once its job is known to be due: robots.txt -> a fetch slot -> the host's
 * politeness lease -> one request -> parse -> handler -> the row to store. A busy host answers
 * with a deferral (the page waits in Redis, holding nothing); a 3xx becomes a 'redirected' row
 * whose target enters the frontier like a link. Throws SpiderdError for failures; the caller
 * decides between retrying and storing them.
 */
import type { Agent } from 'undici';
import type { Config } from '../shared/config.js';
import { SpiderdError, wrapError } from '../shared/errors.js';
import type { PageJob } from '../shared/page-jobs.js';
import { outOfScope } from '../shared/url/scope.js';
import type { CachedCrawl } from './crawl-cache.js';
import { fetchPage, type FetchedRedirect } from './fetch/fetch-page.js';
import type { FetchLimits } from './fetch/http-agent.js';
import { linksToFollow } from './follow-links.js';
import { handlerContext, runHandler, type HandlerLoader } from './handler.js';
import type { KnownUrls } from './known-urls.js';
import { EMPTY_ROW, type PageResult } from './page-result.js';
import type { PriorFetch } from './page-guard.js';
import { parseDom } from './parse-html.js';
import { parsePage } from './parse-page.js';
import { findingOf, pageFields, unchangedResult } from './recrawl-fields.js';
import type { HostPoliteness } from './politeness/host-politeness.js';
import { hostPauseMs } from './politeness/host-pause.js';
import { markDisallowed } from './robots/disallowed-links.js';
import type { RobotsGate } from './robots/robots-gate.js';
import type { Slots } from './slots.js';

export type Crawl = Extract<CachedCrawl, { ok: true }>;

export type CrawlOutcome = { kind: 'done'; result: PageResult } | { kind: 'defer'; waitMs: number };

export interface CrawlDeps {
  config: Config;
  robots: RobotsGate;
  /** URLs this process knows to be in the crawl (store-batch.ts): their links need no robots mark. */
  known: KnownUrls;
  politeness: HostPoliteness;
  slots: Slots;
  agent: Agent;
  limits: FetchLimits;
  handlers: HandlerLoader;
}

/**
 * `holdsSlot`: the caller already holds a fetch slot for this page (a page tried alone, stalls.ts).
 * `prior`: what the page's previous fetch left, for a refetch (recrawl-fields.ts).
 */
export type PageCrawler = (crawl: Crawl, page: PageJob, attempts: number, holdsSlot: boolean, prior?: PriorFetch | null) => Promise<CrawlOutcome>;

export function createPageCrawler(deps: CrawlDeps): PageCrawler {
  // A lease outlives its fetch only if its holder dies; then it expires after the longest fetch.
  const leaseMs = deps.config.fetchDeadlineMs + 5_000;

  return async function crawlPage(crawl, page, attempts, holdsSlot, prior = null) {
    const { options } = crawl;
    const userAgent = options.userAgent ?? deps.config.userAgent;
    const robots = options.ignoreRobots ? { allowed: true, crawlDelayMs: 0 } : await deps.robots.check(page.url);
    if (!robots.allowed) throw new SpiderdError('SPIDERD_ROBOTS_DISALLOWED', deps.robots.disallowedMessage(page.url));
    const host = new URL(page.url).host;
    if (!holdsSlot) await deps.slots.acquire();
    try {
      const slot = await deps.politeness.acquire(host, {
        concurrency: options.perHostConcurrency,
        delayMs: Math.max(options.perHostDelayMs, robots.crawlDelayMs),
        leaseMs,
      });
      if (!slot.ok) return { kind: 'defer', waitMs: slot.waitMs };
      let fetched;
      try {
        fetched = await fetchPage(deps.agent, page.url, { userAgent, limits: deps.limits, deadlineMs: deps.config.fetchDeadlineMs, validators: prior });
      } catch (thrown) {
        const err = wrapError('SPIDERD_INTERNAL', `fetching ${page.url} failed`, thrown);
        const pause = hostPauseMs(err, attempts, deps.config.retryBaseMs);
        if (pause > 0) deps.politeness.slowDown(host, pause); // 429, 503, Retry-After: the whole host waits
        throw err;
      } finally {
        void slot.lease.release(); // goes to Redis with the next batch
      }
      if (fetched.kind === 'redirect') return { kind: 'done', result: redirectResult(crawl, page, attempts, fetched, deps.limits.maxRedirects) };
      const handlerPath = options.handler ?? deps.config.handler;
      // A refetch that finds the page unchanged costs no parse and no handler call (unless the crawl asks for it).
      const base = { crawlId: page.crawlId, pageId: page.pageId, maxPages: options.maxPages, maxPagesPerHost: options.maxPagesPerHost };
      if (fetched.kind === 'not-modified' && prior) return { kind: 'done', result: unchangedResult(base, options.recrawl, prior, fetched, attempts) };
      if (fetched.kind === 'not-modified') throw new SpiderdError('SPIDERD_INTERNAL', `${page.url} answered 304 to a request without validators`);
      const unchanged = prior !== null && findingOf(prior, fetched.contentHash) === 'unchanged';
      if (unchanged && !(options.handleUnchanged && handlerPath)) return { kind: 'done', result: unchangedResult(base, options.recrawl, prior, fetched, attempts) };
      // spiderd's own fields come from the parse events; a DOM is built only when a handler reads page.$.
      const parsed = parsePage(fetched.html, fetched.url);
      const links = linksToFollow(parsed, page.depth, options.maxDepth, crawl.scope);
      let data: unknown = null;
      let handlerError: SpiderdError | null = null;
      if (handlerPath) {
        try {
          const fn = await deps.handlers.load(handlerPath);
          const { html } = fetched;
          const context = { url: page.url, finalUrl: fetched.url, status: fetched.status, headers: fetched.headers, html, depth: page.depth, crawl: crawl.name };
          data = await runHandler(fn, handlerContext(context, () => parseDom(html)));
        } catch (err) {
          handlerError = wrapError('SPIDERD_HANDLER_FAILED', `handler failed on ${page.url}`, err);
        }
      }
      const fetchedAt = new Date();
      return {
        kind: 'done',
        result: {
          ...base,
          // Links come from changed pages only: an unchanged site adds no rows.
          discovered: unchanged ? [] : options.ignoreRobots ? links : markDisallowed(deps.robots, deps.known, page.crawlId, links),
          row: {
            state: handlerError ? 'failed' : 'fetched',
            finalUrl: fetched.url,
            status: fetched.status,
            contentType: fetched.contentType,
            title: parsed.title,
            description: parsed.description,
            canonical: parsed.canonical,
            noindex: parsed.noindex,
            nofollow: parsed.nofollow,
            fetchedAt,
            durationMs: fetched.durationMs,
            bytes: fetched.bytes,
            contentHash: fetched.contentHash,
            errorCode: handlerError?.code ?? null,
            error: handlerError?.message ?? null,
            attempts,
            links: parsed.links.map((l) => l.url),
            data,
            recrawl: pageFields(options.recrawl, prior, fetched, fetchedAt, false),
          },
        },
      };
    } finally {
      if (!holdsSlot) deps.slots.release();
    }
  };
}

/**
 * The source row of a redirect: status and target stored on it; an in-scope target within the
 * hop limit becomes a candidate at the same depth (it is fetched only if the crawl does not
 * know it yet), so a URL reached both directly and through a redirect is fetched once.
 */
function redirectResult(crawl: Crawl, page: PageJob, attempts: number, r: FetchedRedirect, maxRedirects: number): PageResult {
  const base = { crawlId: page.crawlId, pageId: page.pageId, maxPages: crawl.options.maxPages, maxPagesPerHost: crawl.options.maxPagesPerHost };
  const row = { ...EMPTY_ROW, state: 'redirected' as const, status: r.status, finalUrl: r.target, fetchedAt: new Date(), durationMs: r.durationMs, attempts };
  if (r.target === null) {
    return { ...base, discovered: [], row: { ...row, state: 'failed', errorCode: 'SPIDERD_BAD_REDIRECT', error: r.problem } };
  }
  const hops = (page.redirectHops ?? 0) + 1;
  if (hops > maxRedirects) {
    const error = `more than ${maxRedirects} redirects in a row reaching ${page.url}`;
    return { ...base, discovered: [], row: { ...row, state: 'failed', errorCode: 'SPIDERD_TOO_MANY_REDIRECTS', error } };
  }
  const reason = outOfScope(r.target, crawl.scope);
  if (reason !== null) {
    return { ...base, discovered: [], row: { ...row, errorCode: 'SPIDERD_OUT_OF_SCOPE', error: `redirect target ${r.target} is not crawled: ${reason}` } };
  }
  return { ...base, discovered: r.target === page.url ? [] : [{ url: r.target, depth: page.depth, redirectHops: hops }], row };
}
