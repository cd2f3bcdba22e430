/**
 * The one statement that writes a batch of page results: UPDATE ... FROM jsonb_to_recordset,
 * only for rows still 'queued', so a redelivered job never overwrites or duplicates a row. An
 * unchanged refetch keeps the stored page data and writes only the fetch bookkeeping. Any row
 * that replaces the page data without a 200 (a failure, a redirect) drops the validators too, so
 * the next fetch is unconditional and cannot get a 304 for data that is no longer stored.
 */
import type { SqlRunner } from '../shared/db/sql.js';
import type { PageResult, RecrawlFields } from './page-result.js';

/** Page data an unchanged refetch (recrawl-fields.ts, keep_data) leaves as it was. */
const DATA_COLUMNS = ['final_url', 'status', 'content_type', 'title', 'description', 'canonical', 'noindex', 'nofollow', 'bytes', 'content_hash', 'error_code', 'error', 'links', 'data'];

/** The UPDATE, reading its rows from the jsonb parameter `param` (e.g. '$1'). */
export function updatePageRows(param: string): string {
  const data = DATA_COLUMNS.map((c) => `${c} = CASE WHEN r.keep_data THEN p.${c} ELSE r.${c} END`).join(', ');
  return `
    UPDATE pages AS p SET
      state = r.state::"PageState", fetched_at = r.fetched_at, duration_ms = r.duration_ms, attempts = r.attempts, ${data},
      etag = r.etag, last_modified = r.last_modified, not_modified = r.not_modified,
      changed_at = CASE WHEN r.changed THEN r.fetched_at ELSE p.changed_at END,
      next_due_at = r.next_due_at, interval_s = COALESCE(r.interval_s, p.interval_s),
      fetch_count = p.fetch_count + r.fetches, change_count = p.change_count + r.changes
    FROM jsonb_to_recordset(${param}::jsonb) AS r(
      id bigint, state text, final_url text, status int, content_type text, title text, description text,
      canonical text, noindex boolean, nofollow boolean, fetched_at timestamp(3), duration_ms int, bytes int,
      content_hash text, error_code text, error text, attempts int, links text[], data jsonb,
      keep_data boolean, etag text, last_modified text, not_modified boolean, changed boolean,
      next_due_at timestamp(3), interval_s int, fetches int, changes int)
    WHERE p.id = r.id AND p.state = 'queued'`;
}

export async function writePageRows(tx: SqlRunner, results: PageResult[]): Promise<void> {
  await tx.execute(updatePageRows('$1'), [pageRowsPayload(results)]);
}

/** The results as the JSON the UPDATE reads, made safe for PostgreSQL text and jsonb. */
export function pageRowsPayload(results: PageResult[]): string {
  const rows = results.map(({ pageId, row }) => ({
      id: pageId,
      state: row.state,
      final_url: row.finalUrl,
      status: row.status,
      content_type: row.contentType,
      title: row.title,
      description: row.description,
      canonical: row.canonical,
      noindex: row.noindex,
      nofollow: row.nofollow,
      fetched_at: row.fetchedAt?.toISOString() ?? null,
      duration_ms: row.durationMs,
      bytes: row.bytes,
      content_hash: row.contentHash,
      error_code: row.errorCode,
      error: row.error,
      attempts: row.attempts,
      links: row.links,
      data: row.data ?? null,
      ...recrawlColumns(row.recrawl),
    }));
  // JSON.stringify writes a NUL as \u0000 and a lone surrogate as \udXXX (a valid pair stays raw):
  // only a payload with one of them, or a string holding that text, takes the slower cleaning pass.
  const json = JSON.stringify(rows);
  return UNSAFE_ESCAPE.test(json) ? JSON.stringify(rows, pgSafeStrings) : json;
}

const UNSAFE_ESCAPE = /\\u(?:0000|[dD][89a-fA-F])/;

function recrawlColumns(r: RecrawlFields | undefined) {
  const fetched = r !== undefined && r.finding !== 'failed';
  return {
    keep_data: r?.keepData ?? false,
    etag: r?.etag ?? null,
    last_modified: r?.lastModified ?? null,
    not_modified: r?.notModified ?? false,
    changed: r?.finding === 'first' || r?.finding === 'changed',
    next_due_at: r?.nextDueAt?.toISOString() ?? null,
    interval_s: r?.intervalS ?? null,
    fetches: fetched ? 1 : 0,
    changes: r?.finding === 'changed' ? 1 : 0,
  };
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');

/** PostgreSQL text and jsonb reject NUL characters and lone surrogates; hostile pages contain both. */
function pgSafeStrings(_key: string, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  let s = value.includes('\0') ? value.replaceAll('\0', '') : value;
  if (LONE_SURROGATE.test(s)) s = s.replace(LONE_SURROGATES, '\uFFFD');
  return s;
}
