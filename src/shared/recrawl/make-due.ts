/**
 * Writes that set pages' next due time outside a fetch: `spiderd recrawl` (every page fetched, or
 * failed transiently, is due now: a new round) and a crawl's revisit policy being set, changed or
 * removed by `spiderd enqueue` (pages fetched under no or another policy get the new one's first
 * interval, counted from their last fetch). The scheduler (claim-due.ts) does the rest.
 */
import type { SqlRunner } from '../db/sql.js';
import type { ErrorCode } from '../errors.js';
import { firstInterval, type RecrawlPolicy } from './policy.js';

/** Failures worth another visit in a later round: the server or the network may be fine by then. */
export const TRANSIENT_FAILURE_CODES: ErrorCode[] = ['SPIDERD_FETCH_TIMEOUT', 'SPIDERD_FETCH_NETWORK', 'SPIDERD_HTTP_5XX', 'SPIDERD_HTTP_429', 'SPIDERD_ROBOTS_UNAVAILABLE'];

const REVISITABLE = `(state = 'fetched' OR (state = 'failed' AND error_code = ANY($2::text[])))`;

/** Makes every revisitable page of the crawl due now; returns how many. */
export async function makeRoundDue(tx: SqlRunner, crawlId: number): Promise<number> {
  const rows = await tx.query<{ n: string }>(
    `WITH due AS (UPDATE pages SET next_due_at = (now() AT TIME ZONE 'UTC') WHERE crawl_id = $1 AND ${REVISITABLE} RETURNING 1) SELECT count(*)::text AS n FROM due`,
    [crawlId, TRANSIENT_FAILURE_CODES],
  );
  return Number(rows[0]?.n ?? 0);
}

/** After a crawl's policy changed: schedules its revisitable pages under the new one, or unschedules them (null). */
export async function applyPolicy(tx: SqlRunner, crawlId: number, policy: RecrawlPolicy | null): Promise<void> {
  if (policy === null) {
    await tx.execute('UPDATE pages SET next_due_at = NULL WHERE crawl_id = $1 AND next_due_at IS NOT NULL', [crawlId]);
    return;
  }
  const first = firstInterval(policy);
  await tx.execute(
    `UPDATE pages SET interval_s = $3::int, next_due_at = COALESCE(fetched_at, now() AT TIME ZONE 'UTC') + make_interval(secs => $3::int)
     WHERE crawl_id = $1 AND ${REVISITABLE}`,
    [crawlId, TRANSIENT_FAILURE_CODES, first],
  );
}
