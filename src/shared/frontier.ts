/**
 * The crawl frontier in PostgreSQL: a URL is discovered when its pages row is inserted
 * (state queued). Rows are unique per (crawl, normalized URL), so a URL is discovered at
 * most once; only newly inserted rows get a queue job. --max-pages is enforced here, under
 * the crawl row's lock, so concurrent processes and daemons cannot overshoot it.
 */
import type { Queue } from 'bullmq';
import type { Db, Prisma } from './db/client.js';
import { pageJobs, type PageJob } from './queue.js';

export interface Candidate {
  url: string;
  depth: number;
}

export interface NewPageRow {
  id: bigint;
  url: string;
  depth: number;
}

export interface InsertResult {
  inserted: NewPageRow[];
  /** Candidates that were already known to the crawl. */
  known: number;
  /** New candidates dropped because the crawl reached maxPages. */
  overLimit: number;
}

type Tx = Prisma.TransactionClient | Db;

/** Call inside a transaction (the crawl row lock is held until it commits). */
export async function insertPages(tx: Tx, crawlId: number, maxPages: number, candidates: Candidate[]): Promise<InsertResult> {
  const unique = dedupe(candidates);
  if (unique.length === 0) return { inserted: [], known: 0, overLimit: 0 };
  let quota = Infinity;
  if (maxPages > 0) {
    const crawl = await tx.$queryRaw<Array<{ discovered: number }>>`SELECT discovered FROM crawls WHERE id = ${crawlId} FOR UPDATE`;
    quota = Math.max(0, maxPages - (crawl[0]?.discovered ?? 0));
    if (quota === 0) {
      const known = await countKnown(tx, crawlId, unique);
      return { inserted: [], known, overLimit: unique.length - known };
    }
  }
  // One statement of constant shape whatever the batch size (Prisma's createManyAndReturn
  // builds a new query per row count); rows go in URL order (see dedupe).
  const rows = await tx.$queryRaw<NewPageRow[]>`
    INSERT INTO pages (crawl_id, url, depth)
    SELECT ${crawlId}::int, c.url, c.depth
    FROM unnest(${unique.map((c) => c.url)}::text[], ${unique.map((c) => c.depth)}::int[]) WITH ORDINALITY AS c(url, depth, n)
    ORDER BY c.n
    ON CONFLICT (crawl_id, url) DO NOTHING
    RETURNING id, url, depth`;
  const known = unique.length - rows.length;
  let inserted = rows;
  let overLimit = 0;
  if (rows.length > quota) {
    inserted = rows.slice(0, quota);
    const dropped = rows.slice(quota);
    overLimit = dropped.length;
    await tx.page.deleteMany({ where: { id: { in: dropped.map((r) => r.id) } } });
  }
  if (inserted.length > 0) {
    await tx.crawl.update({ where: { id: crawlId }, data: { discovered: { increment: inserted.length } } });
  }
  return { inserted, known, overLimit };
}

/** Adds a job for each new row. Job ids are per page, so repeating this is harmless. */
export async function enqueuePages(queue: Queue<PageJob>, crawlId: number, rows: NewPageRow[], attempts: number): Promise<void> {
  for (let i = 0; i < rows.length; i += 1000) {
    await queue.addBulk(pageJobs(rows.slice(i, i + 1000), crawlId, attempts));
  }
}

function dedupe(candidates: Candidate[]): Candidate[] {
  const byUrl = new Map<string, Candidate>();
  for (const c of candidates) {
    const seen = byUrl.get(c.url);
    if (!seen || c.depth < seen.depth) byUrl.set(c.url, c);
  }
  // Sorted, so concurrent transactions inserting overlapping URLs take the unique-index
  // locks in the same order and wait for each other instead of deadlocking.
  return [...byUrl.values()].sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0));
}

async function countKnown(tx: Tx, crawlId: number, candidates: Candidate[]): Promise<number> {
  return tx.page.count({ where: { crawlId, url: { in: candidates.map((c) => c.url) } } });
}
