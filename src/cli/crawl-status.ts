/**
 * What `status` reports per crawl, read from PostgreSQL (page counts by state and error code,
 * the recent fetch rate, or the whole-crawl rate once it is finished) and Redis (jobs in flight). Works from any host.
 */
import type { Db } from '../shared/db/client.js';
import { readFreshness, type Freshness } from './crawl-freshness.js';
import type { PageQueues } from '../shared/page-queues.js';

export interface CrawlStatus {
  name: string;
  id: number;
  createdAt: string;
  finished: boolean;
  discovered: number;
  queued: number;
  inFlight: number;
  fetched: number;
  failed: number;
  skipped: number;
  /** Rows answered with a redirect: their target entered the frontier (or was out of scope). */
  redirected: number;
  failedByCode: Record<string, number>;
  skippedByCode: Record<string, number>;
  pagesPerSecond: number;
  options: unknown;
  /** Pages due now (a revisit policy, or `spiderd recrawl`), waiting for a daemon to queue them. */
  due: number;
  /** Recrawl figures, for a crawl with a revisit policy or a round in progress; null otherwise. */
  freshness: Freshness | null;
}

export interface CrawlRow {
  id: number;
  name: string;
  createdAt: Date;
  options: unknown;
}

const RATE_WINDOW_MS = 60_000;

/** Active BullMQ jobs per crawl id. */
export async function inFlightByCrawl(queue: Pick<PageQueues, 'getJobs'>): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  for (const job of await queue.getJobs(['active'])) {
    const id = job?.data?.crawlId;
    if (typeof id === 'number') counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

export async function readCrawlStatuses(db: Db, queue: Pick<PageQueues, 'getJobs'>, crawls: CrawlRow[], now = new Date()): Promise<CrawlStatus[]> {
  if (crawls.length === 0) return [];
  const ids = crawls.map((c) => c.id);
  const [byState, firstFetch, recent, inFlight, freshness] = await Promise.all([
    db.page.groupBy({ by: ['crawlId', 'state', 'errorCode'], where: { crawlId: { in: ids } }, _count: { _all: true } }),
    db.page.groupBy({ by: ['crawlId'], where: { crawlId: { in: ids }, fetchedAt: { not: null } }, _min: { fetchedAt: true }, _max: { fetchedAt: true } }),
    db.page.groupBy({ by: ['crawlId'], where: { crawlId: { in: ids }, fetchedAt: { gt: new Date(now.getTime() - RATE_WINDOW_MS) } }, _count: { _all: true } }),
    inFlightByCrawl(queue),
    readFreshness(db, ids),
  ]);
  return crawls.map((crawl) => {
    const s: CrawlStatus = {
      name: crawl.name,
      id: crawl.id,
      createdAt: crawl.createdAt.toISOString(),
      finished: false,
      discovered: 0,
      queued: 0,
      inFlight: inFlight.get(crawl.id) ?? 0,
      fetched: 0,
      failed: 0,
      skipped: 0,
      redirected: 0,
      failedByCode: {},
      skippedByCode: {},
      pagesPerSecond: 0,
      options: crawl.options,
      due: 0,
      freshness: null,
    };
    const f = freshness.get(crawl.id);
    s.due = f?.dueNow ?? 0;
    if (f && (hasPolicy(crawl.options) || f.nextDueAt !== null)) s.freshness = f;
    let queuedRows = 0;
    for (const g of byState.filter((r) => r.crawlId === crawl.id)) {
      const n = g._count._all;
      s.discovered += n;
      if (g.state === 'queued') queuedRows += n;
      else s[g.state] += n;
      const code = g.errorCode ?? 'unknown';
      if (g.state === 'failed') s.failedByCode[code] = (s.failedByCode[code] ?? 0) + n;
      if (g.state === 'skipped') s.skippedByCode[code] = (s.skippedByCode[code] ?? 0) + n;
    }
    s.queued = Math.max(0, queuedRows - s.inFlight);
    s.finished = queuedRows === 0 && s.due === 0 && s.discovered > 0;
    const span = firstFetch.find((r) => r.crawlId === crawl.id);
    const first = span?._min.fetchedAt ?? null;
    const count = recent.find((r) => r.crawlId === crawl.id)?._count._all ?? 0;
    s.pagesPerSecond = s.finished ? wholeCrawlRate(s.fetched, first, span?._max.fetchedAt ?? null) : rate(count, first, now);
    return s;
  });
}

/** A finished crawl's rate: its fetched pages over the span from its first to its last fetch (at least 1 s), so it does not decay after the end. */
export function wholeCrawlRate(fetched: number, firstFetch: Date | null, lastFetch: Date | null): number {
  if (fetched === 0 || firstFetch === null || lastFetch === null) return 0;
  const spanMs = Math.max(1_000, lastFetch.getTime() - firstFetch.getTime());
  return Math.round((fetched / (spanMs / 1000)) * 100) / 100;
}

/** Pages fetched in the last 60 s per second, or over the crawl's fetch span when that is shorter. */
export function rate(recentCount: number, firstFetch: Date | null, now: Date): number {
  if (recentCount === 0 || firstFetch === null) return 0;
  const windowMs = Math.min(RATE_WINDOW_MS, Math.max(1_000, now.getTime() - firstFetch.getTime()));
  return Math.round((recentCount / (windowMs / 1000)) * 100) / 100;
}

function hasPolicy(options: unknown): boolean {
  const recrawl = (options as { recrawl?: unknown } | null)?.recrawl;
  return recrawl !== undefined && recrawl !== null;
}
