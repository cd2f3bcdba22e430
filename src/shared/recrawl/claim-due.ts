/**
 * Moves due pages into the queue: a batch of a crawl's pages whose next_due_at has passed is read
 * through the (crawl_id, next_due_at) index, oldest first, set back to 'queued' (next_due_at
 * cleared) in one transaction, and then given their queue jobs. From the commit on they are
 * ordinary queued pages: a crash before their jobs are added, or a Redis that loses them, is
 * repaired by the requeue/reconcile from PostgreSQL (requeue.ts), so nothing due is lost. One
 * daemon claims at a time (a transaction-level advisory lock), and FOR UPDATE SKIP LOCKED keeps
 * two claims from ever taking the same row. No delayed jobs: Redis holds only pages already due.
 */
import type pg from 'pg';
import { pageJobs } from '../page-jobs.js';
import type { PageQueues } from '../page-queues.js';

/** The advisory lock key of the claim ("spiderd recrawl" as a 64-bit number, any constant would do). */
const CLAIM_LOCK = 7_300_018;

export interface DueRow {
  id: string;
  url: string;
  depth: number;
  redirect_hops: number;
}

export const CLAIM_DUE = `
  WITH due AS (
    SELECT id FROM pages WHERE crawl_id = $1 AND next_due_at <= (now() AT TIME ZONE 'UTC')
    ORDER BY next_due_at LIMIT $2 FOR UPDATE SKIP LOCKED)
  UPDATE pages AS p SET state = 'queued', next_due_at = NULL, attempts = 0
  FROM due WHERE p.id = due.id
  RETURNING p.id::text AS id, p.url, p.depth, p.redirect_hops`;

/** Claims up to `limit` due pages of one crawl; null when another daemon holds the claim lock. */
export async function claimDue(pool: pg.Pool, crawlId: number, limit: number): Promise<DueRow[] | null> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const lock = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [CLAIM_LOCK]);
    if (!lock.rows[0]?.ok) {
      await client.query('ROLLBACK');
      return null;
    }
    const { rows } = await client.query<DueRow>(CLAIM_DUE, [crawlId, limit]);
    await client.query('COMMIT');
    return rows;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

export interface ScheduleResult {
  /** Pages moved from due to queued. */
  claimed: number;
  /** False when another daemon held the claim lock. */
  ran: boolean;
}

/**
 * One scheduling pass over every crawl: claims due pages in batches of `batch`, adds their jobs
 * (marked requeued: the crawler reads the row and its validators before fetching), and stops
 * early once `maxPerPass` pages were moved or the queue holds `maxWaiting` jobs, so a large due
 * backlog waits in PostgreSQL (one index entry a page) rather than in Redis (a job hash a page).
 */
export async function scheduleDue(
  pool: pg.Pool,
  openQueue: () => Promise<PageQueues>,
  opts: { attempts: number; batch: number; maxPerPass: number; maxWaiting: number },
): Promise<ScheduleResult> {
  const crawls = (await pool.query<{ crawl_id: number }>(
    `SELECT c.id AS crawl_id FROM crawls c WHERE EXISTS (SELECT 1 FROM pages p WHERE p.crawl_id = c.id AND p.next_due_at <= (now() AT TIME ZONE 'UTC')) ORDER BY c.id`,
  )).rows;
  const result: ScheduleResult = { claimed: 0, ran: true };
  if (crawls.length === 0) return result;
  // Due pages wait in PostgreSQL, not Redis, while the queue is already long.
  const room = Math.min(opts.maxPerPass, opts.maxWaiting - (await (await openQueue()).count()));
  for (const { crawl_id: crawlId } of crawls) {
    while (result.claimed < room) {
      const rows = await claimDue(pool, crawlId, Math.min(opts.batch, room - result.claimed));
      if (rows === null) return { ...result, ran: false };
      if (rows.length === 0) break;
      result.claimed += rows.length;
      await (await openQueue()).addBulk(pageJobs(rows.map((r) => ({ ...r, id: BigInt(r.id) })), crawlId, opts.attempts, true));
    }
  }
  return result;
}
