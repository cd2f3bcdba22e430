/**
 * The crawl frontier in PostgreSQL: a URL is discovered when its pages row is inserted
 * (state queued). Rows are unique per (crawl, sha256 of the normalized URL), so a URL is
 * discovered at most once and a URL of any length fits the index; only newly inserted rows get
 * a queue job. A candidate marked `skip` (a link robots.txt already disallows) is inserted as
 * 'skipped' with its error and gets no job. --max-pages and --max-pages-per-host are enforced
 * here, under row locks (the crawl row, the crawl_hosts rows), so concurrent processes and
 * daemons cannot overshoot them; crawls.discovered is kept only while the crawl has a
 * --max-pages.
 */
import type { SqlRunner } from './db/sql.js';
import type { ErrorCode } from './errors.js';
import { enforceHostBudget } from './host-budget.js';
import type { PageQueues } from './page-queues.js';
import { pageJobs } from './page-jobs.js';

export interface Candidate {
  url: string;
  depth: number;
  /** Redirects followed to reach this URL (0 for a link). */
  redirectHops?: number;
  /** Stored 'skipped' with this error as it is discovered, without a queue job. */
  skip?: { code: ErrorCode; error: string };
}

export interface NewPageRow {
  id: bigint;
  url: string;
  depth: number;
  redirect_hops: number;
  /** False for a row stored 'skipped' at discovery: it gets no queue job. */
  queued: boolean;
}

export interface FrontierLimits {
  /** 0 = no limit. */
  maxPages: number;
  /** 0 = no limit. */
  maxPagesPerHost: number;
}

export interface InsertResult {
  inserted: NewPageRow[];
  /** Candidates the crawl already had. */
  known: string[];
  /** New candidates dropped because the crawl (or their host) reached its page budget. */
  overLimit: number;
}

/**
 * The INSERT of new pages for candidates of any number of crawls ($1 crawl ids, $2 urls, $3
 * depths, $4 redirect hops, $5 skip error codes, $6 skip errors: null for a queued page), in the
 * order given; returns the new rows. One statement of constant shape whatever the batch size.
 */
export const INSERT_PAGES = `
  INSERT INTO pages (crawl_id, url, depth, redirect_hops, state, error_code, error)
  SELECT c.crawl_id, c.url, c.depth, c.hops, (CASE WHEN c.code IS NULL THEN 'queued' ELSE 'skipped' END)::"PageState", c.code, c.error
  FROM unnest($1::int[], $2::text[], $3::int[], $4::int[], $5::text[], $6::text[]) WITH ORDINALITY AS c(crawl_id, url, depth, hops, code, error, n)
  ORDER BY c.n
  ON CONFLICT (crawl_id, url_hash) DO NOTHING
  RETURNING id::text AS id, crawl_id, url, depth, redirect_hops, state = 'queued' AS queued`;

/** The parameters of INSERT_PAGES for one crawl's candidates (deduplicated, sorted). */
export function insertArgs(crawlId: number, candidates: Candidate[]): unknown[] {
  return [candidates.map(() => crawlId), ...candidateColumns(candidates)];
}

/** Parameters $2-$6 of INSERT_PAGES. */
export function candidateColumns(candidates: Candidate[]): unknown[][] {
  return [
    candidates.map((c) => c.url),
    candidates.map((c) => c.depth),
    candidates.map((c) => c.redirectHops ?? 0),
    candidates.map((c) => c.skip?.code ?? null),
    candidates.map((c) => c.skip?.error ?? null),
  ];
}

export type InsertedRow = { id: string; url: string; depth: number; redirect_hops: number; queued: boolean };

export function toNewRow(r: InsertedRow): NewPageRow {
  return { id: BigInt(r.id), url: r.url, depth: r.depth, redirect_hops: r.redirect_hops, queued: r.queued };
}

/** Call inside a transaction when the crawl has a budget (its row locks are held until it commits). */
export async function insertPages(tx: SqlRunner, crawlId: number, limits: FrontierLimits, candidates: Candidate[]): Promise<InsertResult> {
  const unique = dedupe(candidates);
  if (unique.length === 0) return { inserted: [], known: [], overLimit: 0 };
  let quota = Infinity;
  if (limits.maxPages > 0) {
    const crawl = await tx.query<{ discovered: number }>('SELECT discovered FROM crawls WHERE id = $1 FOR UPDATE', [crawlId]);
    quota = Math.max(0, limits.maxPages - (crawl[0]?.discovered ?? 0));
  }
  const rows = quota === 0 ? [] : (await tx.query<InsertedRow>(INSERT_PAGES, insertArgs(crawlId, unique))).map(toNewRow);
  const insertedUrls = new Set(rows.map((r) => r.url));
  const known = quota === 0 ? await knownUrls(tx, crawlId, unique) : unique.filter((c) => !insertedUrls.has(c.url)).map((c) => c.url);
  let inserted = rows;
  const dropped: NewPageRow[] = [];
  if (rows.length > quota) {
    inserted = rows.slice(0, quota);
    dropped.push(...rows.slice(quota));
  }
  if (limits.maxPagesPerHost > 0 && inserted.length > 0) {
    const budget = await enforceHostBudget(tx, crawlId, limits.maxPagesPerHost, inserted);
    inserted = budget.kept;
    dropped.push(...budget.dropped);
  }
  if (dropped.length > 0) await tx.execute('DELETE FROM pages WHERE id = ANY($1::bigint[])', [dropped.map((r) => r.id.toString())]);
  // Counted only where a budget needs it: every batch of every process updating one crawl row
  // would make them all wait on each other.
  if (limits.maxPages > 0 && inserted.length > 0) await tx.execute('UPDATE crawls SET discovered = discovered + $1 WHERE id = $2', [inserted.length, crawlId]);
  return { inserted, known, overLimit: quota === 0 ? unique.length - known.length : dropped.length };
}

/** Adds a job for each new queued row, in its host's shard. Job ids are per page, so repeating this is harmless. */
export async function enqueuePages(queue: Pick<PageQueues, 'addBulk'>, crawlId: number, rows: NewPageRow[], attempts: number, requeued = false): Promise<void> {
  const queued = rows.filter((r) => r.queued);
  for (let i = 0; i < queued.length; i += 1000) {
    await queue.addBulk(pageJobs(queued.slice(i, i + 1000), crawlId, attempts, requeued));
  }
}

/**
 * One candidate per URL (the shallowest), sorted, so concurrent transactions inserting
 * overlapping URLs take the unique-index locks in the same order and wait for each other
 * instead of deadlocking.
 */
export function dedupe(candidates: Candidate[]): Candidate[] {
  const byUrl = new Map<string, Candidate>();
  for (const c of candidates) {
    const seen = byUrl.get(c.url);
    if (!seen || c.depth < seen.depth) byUrl.set(c.url, c);
  }
  return [...byUrl.values()].sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0));
}

async function knownUrls(tx: SqlRunner, crawlId: number, candidates: Candidate[]): Promise<string[]> {
  const rows = await tx.query<{ url: string }>(
    'SELECT url FROM pages WHERE crawl_id = $1 AND url_hash = ANY(SELECT spiderd_url_hash(u) FROM unnest($2::text[]) AS u)',
    [crawlId, candidates.map((c) => c.url)],
  );
  return rows.map((r) => r.url);
}
