/**
 * Sitemap discovery for crawls with --sitemaps: each time a seed-depth page is fetched, its
 * origin's sitemaps are read (read-sitemaps.ts) and their URLs join the page's discoveries at
 * depth 0, like seeds, within the crawl's scope and robots rules; the frontier inserts only the
 * ones it does not know. A listed page the crawl already fetched is due now when its <lastmod>
 * is later than its last fetch. Sitemap fetches go through the same agent (SSRF guard), robots
 * check and per-host politeness as pages. A sitemap that fails is logged with its code and does
 * not fail the page.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Agent } from 'undici';
import type { Config } from '../../shared/config.js';
import type { SqlRunner } from '../../shared/db/sql.js';
import { SpiderdError, coerceError } from '../../shared/errors.js';
import type { Candidate } from '../../shared/frontier.js';
import type { Logger } from '../../shared/logger.js';
import { normalizeUrl } from '../../shared/url/normalize.js';
import { outOfScope } from '../../shared/url/scope.js';
import type { Crawl, PageCrawler } from '../crawl-page.js';
import { fetchRobots } from '../fetch/fetch-robots.js';
import type { KnownUrls } from '../known-urls.js';
import type { HostPoliteness } from '../politeness/host-politeness.js';
import { markDisallowed } from '../robots/disallowed-links.js';
import type { RobotsGate } from '../robots/robots-gate.js';
import { fetchSitemap } from './fetch-sitemap.js';
import { sitemapLines, walkSitemaps } from './read-sitemaps.js';

export interface SitemapDeps {
  config: Config;
  agent: Agent;
  robots: RobotsGate;
  politeness: HostPoliteness;
  known: KnownUrls;
  sql: SqlRunner;
  log: Logger;
}

/** How long a sitemap fetch waits for its host's politeness turn before it is given up. */
const POLITENESS_WAIT_MS = 120_000;

export function withSitemaps(inner: PageCrawler, deps: SitemapDeps): PageCrawler {
  return async (crawl, page, attempts, holdsSlot, prior) => {
    const outcome = await inner(crawl, page, attempts, holdsSlot, prior);
    if (outcome.kind !== 'done' || !crawl.options.sitemaps || page.depth !== 0 || outcome.result.row.state !== 'fetched') return outcome;
    const found = await sitemapCandidates(crawl, page.url, deps);
    outcome.result.discovered.push(...found);
    return outcome;
  };
}

async function sitemapCandidates(crawl: Crawl, pageUrl: string, deps: SitemapDeps): Promise<Candidate[]> {
  const origin = new URL(pageUrl).origin;
  const userAgent = crawl.options.userAgent ?? deps.config.userAgent;
  const robots = await fetchRobots(deps.agent, origin, { userAgent, signal: AbortSignal.timeout(deps.config.fetchDeadlineMs) });
  const listed = robots.kind === 'file' ? sitemapLines(robots.body) : [];
  const walk = await walkSitemaps(origin, listed, (url) => politeFetch(crawl, url, userAgent, deps));
  for (const err of walk.problems) deps.log.warn({ err, code: err.code, crawl: crawl.name, origin }, 'a sitemap was skipped');
  const candidates = new Map<string, Candidate>();
  const lastmods: Array<[string, Date]> = [];
  for (const e of walk.entries) {
    const n = normalizeUrl(e.loc);
    if (!n.ok || outOfScope(n.url, crawl.scope) !== null) continue;
    candidates.set(n.url, { url: n.url, depth: 0 });
    if (e.lastmod) lastmods.push([n.url, e.lastmod]);
  }
  if (lastmods.length > 0) await dueByLastmod(deps.sql, crawl.id, lastmods);
  deps.log.info({ crawl: crawl.name, origin, files: walk.files, urls: candidates.size, problems: walk.problems.length }, 'sitemaps read');
  const list = [...candidates.values()];
  return crawl.options.ignoreRobots ? list : markDisallowed(deps.robots, deps.known, crawl.id, list);
}

async function politeFetch(crawl: Crawl, url: string, userAgent: string, deps: SitemapDeps): Promise<Buffer> {
  const { options } = crawl;
  const robots = options.ignoreRobots ? { allowed: true, crawlDelayMs: 0 } : await deps.robots.check(url);
  if (!robots.allowed) throw new SpiderdError('SPIDERD_ROBOTS_DISALLOWED', deps.robots.disallowedMessage(url));
  const host = new URL(url).host;
  const rules = { concurrency: options.perHostConcurrency, delayMs: Math.max(options.perHostDelayMs, robots.crawlDelayMs), leaseMs: deps.config.fetchDeadlineMs + 5_000 };
  const giveUpAt = Date.now() + POLITENESS_WAIT_MS;
  for (;;) {
    const slot = await deps.politeness.acquire(host, rules);
    if (slot.ok) {
      try {
        return await fetchSitemap(deps.agent, url, { userAgent, deadlineMs: deps.config.fetchDeadlineMs, maxRedirects: deps.config.maxRedirects });
      } finally {
        void slot.lease.release();
      }
    }
    if (Date.now() + slot.waitMs > giveUpAt) throw new SpiderdError('SPIDERD_FETCH_TIMEOUT', `sitemap ${url}: host ${host} stayed busy for ${POLITENESS_WAIT_MS / 1000} s`);
    await sleep(slot.waitMs);
  }
}

/** Pages the crawl fetched before their sitemap <lastmod> are due now. */
async function dueByLastmod(sql: SqlRunner, crawlId: number, lastmods: Array<[string, Date]>): Promise<void> {
  try {
    await sql.execute(
      `UPDATE pages AS p SET next_due_at = (now() AT TIME ZONE 'UTC')
       FROM unnest($2::text[], $3::timestamptz[]) AS s(url, lastmod)
       WHERE p.crawl_id = $1 AND p.url_hash = spiderd_url_hash(s.url) AND p.state = 'fetched'
         AND p.fetched_at < (s.lastmod AT TIME ZONE 'UTC') AND (p.next_due_at IS NULL OR p.next_due_at > (now() AT TIME ZONE 'UTC'))`,
      [crawlId, lastmods.map(([u]) => u), lastmods.map(([, d]) => d.toISOString())],
    );
  } catch (err) {
    throw new SpiderdError('SPIDERD_DB_UNAVAILABLE', `marking pages due by sitemap lastmod failed: ${coerceError(err).message}`, { cause: err, transient: true });
  }
}
