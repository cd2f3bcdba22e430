/**
 * The recrawl side of `status` (docs/recrawl.md): per crawl, pages due now and overdue, fetched
 * in the last hour and day, the 304 share of the last day's fetches, pages changed in the last
 * day and the next due time. One grouped query over the crawls' pages.
 */
import type { Db } from '../shared/db/client.js';

/** A page due longer than this is overdue: the crawl's daemons are not keeping up. */
export const OVERDUE_AFTER_S = 900;

export interface Freshness {
  dueNow: number;
  overdue: number;
  fetchedLastHour: number;
  fetchedLastDay: number;
  /** Share (0-1, 3 decimals) of the last day's fetches answered 304 Not Modified; null when there were none. */
  notModifiedShare: number | null;
  /** Refetches of the last day that found the page changed. */
  changedLastDay: number;
  /** The earliest next_due_at of the crawl's pages, ISO 8601 UTC; null when none is scheduled. */
  nextDueAt: string | null;
}

interface Row {
  crawl_id: number;
  due: bigint;
  overdue: bigint;
  hour: bigint;
  day: bigint;
  not_modified: bigint;
  changed: bigint;
  next_due: Date | null;
}

const NOW = `(now() AT TIME ZONE 'UTC')`;

export async function readFreshness(db: Db, crawlIds: number[]): Promise<Map<number, Freshness>> {
  const out = new Map<number, Freshness>();
  if (crawlIds.length === 0) return out;
  const rows = await db.$queryRawUnsafe<Row[]>(
    `SELECT crawl_id,
       count(*) FILTER (WHERE next_due_at <= ${NOW}) AS due,
       count(*) FILTER (WHERE next_due_at <= ${NOW} - make_interval(secs => ${OVERDUE_AFTER_S})) AS overdue,
       count(*) FILTER (WHERE fetched_at > ${NOW} - interval '1 hour') AS hour,
       count(*) FILTER (WHERE fetched_at > ${NOW} - interval '1 day') AS day,
       count(*) FILTER (WHERE fetched_at > ${NOW} - interval '1 day' AND not_modified) AS not_modified,
       count(*) FILTER (WHERE changed_at > ${NOW} - interval '1 day' AND change_count > 0) AS changed,
       min(next_due_at) AS next_due
     FROM pages WHERE crawl_id = ANY($1::int[]) GROUP BY crawl_id`,
    crawlIds,
  );
  for (const r of rows) {
    const day = Number(r.day);
    out.set(r.crawl_id, {
      dueNow: Number(r.due),
      overdue: Number(r.overdue),
      fetchedLastHour: Number(r.hour),
      fetchedLastDay: day,
      notModifiedShare: day === 0 ? null : Math.round((Number(r.not_modified) / day) * 1000) / 1000,
      changedLastDay: Number(r.changed),
      nextDueAt: r.next_due === null ? null : new Date(r.next_due).toISOString(),
    });
  }
  return out;
}
