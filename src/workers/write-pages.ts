/**
 * The one statement that writes a batch of page results: UPDATE ... FROM jsonb_to_recordset,
 * only for rows still 'queued', so a redelivered job never overwrites or duplicates a row.
 */
import type { SqlRunner } from '../shared/db/sql.js';
import type { PageResult } from './page-result.js';

/** The UPDATE, reading its rows from the jsonb parameter `param` (e.g. '$1'). */
export function updatePageRows(param: string): string {
  return `
    UPDATE pages AS p SET
      state = r.state::"PageState", final_url = r.final_url, status = r.status, content_type = r.content_type,
      title = r.title, description = r.description, canonical = r.canonical, noindex = r.noindex,
      nofollow = r.nofollow, fetched_at = r.fetched_at, duration_ms = r.duration_ms, bytes = r.bytes,
      content_hash = r.content_hash, error_code = r.error_code, error = r.error, attempts = r.attempts,
      links = r.links, data = r.data
    FROM jsonb_to_recordset(${param}::jsonb) AS r(
      id bigint, state text, final_url text, status int, content_type text, title text, description text,
      canonical text, noindex boolean, nofollow boolean, fetched_at timestamp(3), duration_ms int, bytes int,
      content_hash text, error_code text, error text, attempts int, links text[], data jsonb)
    WHERE p.id = r.id AND p.state = 'queued'`;
}

export async function writePageRows(tx: SqlRunner, results: PageResult[]): Promise<void> {
  await tx.execute(updatePageRows('$1'), [pageRowsPayload(results)]);
}

/** The results as the JSON the UPDATE reads, made safe for PostgreSQL text and jsonb. */
export function pageRowsPayload(results: PageResult[]): string {
  return JSON.stringify(
    results.map(({ pageId, row }) => ({
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
    })),
    pgSafeStrings,
  );
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
