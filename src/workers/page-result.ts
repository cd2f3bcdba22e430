/**
 * What one job writes to its pages row, plus the links it discovered. Built by process-page,
 * written by store-batch. Holds no HTML and no cheerio document, so nothing page-sized
 * outlives the job.
 */
import type { Candidate } from '../shared/frontier.js';
import type { SpiderdError } from '../shared/errors.js';

export type StoredState = 'fetched' | 'failed' | 'skipped' | 'redirected';

export interface PageRow {
  state: StoredState;
  finalUrl: string | null;
  status: number | null;
  contentType: string | null;
  title: string | null;
  description: string | null;
  canonical: string | null;
  noindex: boolean | null;
  nofollow: boolean | null;
  fetchedAt: Date | null;
  durationMs: number | null;
  bytes: number | null;
  contentHash: string | null;
  errorCode: string | null;
  error: string | null;
  attempts: number;
  links: string[] | null;
  /** What the handler returned, already round-tripped through JSON; null when there is none. */
  data: unknown;
  /** What this fetch means for recrawling (recrawl-fields.ts); absent: nothing (a redirect, a permanent failure). */
  recrawl?: RecrawlFields;
}

/**
 * first: the page's first fetch; changed / unchanged: a refetch whose body changed or not (a 304,
 * or the same body hash); failed: a transient failure, due again after its interval.
 */
export type Finding = 'first' | 'changed' | 'unchanged' | 'failed';

export interface RecrawlFields {
  finding: Finding;
  /** The stored page data (title, links, handler data, status, hash) stays as it was: only the fetch bookkeeping is written. */
  keepData: boolean;
  notModified: boolean;
  etag: string | null;
  lastModified: string | null;
  /** Null when the crawl has no revisit policy. */
  nextDueAt: Date | null;
  intervalS: number | null;
}

export interface PageResult {
  crawlId: number;
  pageId: string;
  /** The crawl's maxPages and maxPagesPerHost when the page was processed (0 = no limit). */
  maxPages: number;
  maxPagesPerHost: number;
  row: PageRow;
  /** In-scope links to follow at depth + 1, or the target of a redirect (same depth, one hop more). */
  discovered: Candidate[];
}

export const EMPTY_ROW: Omit<PageRow, 'state' | 'attempts'> = {
  finalUrl: null,
  status: null,
  contentType: null,
  title: null,
  description: null,
  canonical: null,
  noindex: null,
  nofollow: null,
  fetchedAt: null,
  durationMs: null,
  bytes: null,
  contentHash: null,
  errorCode: null,
  error: null,
  links: null,
  data: null,
};

const SKIP_CODES = new Set(['SPIDERD_ROBOTS_DISALLOWED', 'SPIDERD_OUT_OF_SCOPE']);
const MAX_ERROR_CHARS = 2_000;

/** The row for a page that ended in an error: 'skipped' for robots/out-of-scope, else 'failed'. */
export function errorRow(err: SpiderdError, attempts: number): PageRow {
  const d = err.details ?? {};
  return {
    ...EMPTY_ROW,
    state: SKIP_CODES.has(err.code) ? 'skipped' : 'failed',
    errorCode: err.code,
    error: err.message.slice(0, MAX_ERROR_CHARS),
    status: typeof d.status === 'number' ? d.status : null,
    contentType: typeof d.contentType === 'string' ? d.contentType : null,
    finalUrl: typeof d.finalUrl === 'string' ? d.finalUrl : null,
    fetchedAt: typeof d.status === 'number' ? new Date() : null,
    attempts,
  };
}
