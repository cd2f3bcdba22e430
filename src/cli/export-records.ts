/**
 * The pages of a crawl as export records, read with keyset pagination by id (1,000 rows a
 * page), so an export never holds more than one page of rows in memory.
 */
import type { Db } from '../shared/db/client.js';
import { csvRow } from './csv.js';

export const EXPORT_FIELDS = [
  'url', 'finalUrl', 'state', 'status', 'contentType', 'title', 'description', 'canonical', 'noindex', 'nofollow', 'depth',
  'discoveredAt', 'fetchedAt', 'durationMs', 'bytes', 'contentHash', 'errorCode', 'error', 'attempts', 'links', 'data',
  // Recrawl state (docs/recrawl.md).
  'etag', 'lastModified', 'changedAt', 'nextDueAt', 'intervalS', 'fetchCount', 'changeCount', 'notModified',
] as const;

export type ExportField = (typeof EXPORT_FIELDS)[number];
export type ExportRecord = Record<ExportField, unknown>;

const SELECT = Object.fromEntries([...EXPORT_FIELDS, 'id'].map((f) => [f, true])) as Record<ExportField | 'id', true>;

export async function* exportRecords(db: Db, crawlId: number, pageSize = 1_000): AsyncGenerator<ExportRecord> {
  let after = -1n;
  for (;;) {
    const rows = await db.page.findMany({ where: { crawlId, id: { gt: after } }, orderBy: { id: 'asc' }, take: pageSize, select: SELECT });
    for (const { id, ...record } of rows) {
      after = id;
      yield record;
    }
    if (rows.length < pageSize) return;
  }
}

export function jsonlLine(record: ExportRecord): string {
  return `${JSON.stringify(record)}\n`;
}

export function csvHeader(): string {
  return csvRow(EXPORT_FIELDS);
}

/** Links joined by a space, data as JSON text, dates as ISO 8601, null as an empty field. */
export function csvLine(record: ExportRecord): string {
  return csvRow(
    EXPORT_FIELDS.map((f) => {
      const v = record[f];
      if (f === 'links') return Array.isArray(v) ? v.join(' ') : '';
      if (f === 'data') return v === null || v === undefined ? '' : JSON.stringify(v);
      return v;
    }),
  );
}
