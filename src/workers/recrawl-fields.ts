/**
 * The recrawl bookkeeping of one fetch (docs/recrawl.md): what it found (a first fetch, a change,
 * no change), the validators to send next time, and when the page is due again under its crawl's
 * revisit policy. A 304, or a 200 whose body hash equals the stored one, is unchanged: the stored
 * page data is kept and no links are offered, so an unchanged site adds no rows.
 */
import type { SpiderdError } from '../shared/errors.js';
import { TRANSIENT_FAILURE_CODES } from '../shared/recrawl/make-due.js';
import { firstInterval, nextInterval, type RecrawlPolicy } from '../shared/recrawl/policy.js';
import type { FetchedNotModified, FetchedPage } from './fetch/fetch-page.js';
import type { PriorFetch } from './page-guard.js';
import { EMPTY_ROW, type Finding, type PageResult, type RecrawlFields } from './page-result.js';

/** What a 200 found, against the page's previous fetch. */
export function findingOf(prior: PriorFetch | null, contentHash: string): Finding {
  if (prior === null) return 'first';
  return prior.contentHash === contentHash ? 'unchanged' : 'changed';
}

/** When the page is next due and at what interval; nulls when the crawl has no policy. */
export function schedule(policy: RecrawlPolicy | null | undefined, prior: PriorFetch | null, finding: Finding, at: Date): { nextDueAt: Date | null; intervalS: number | null } {
  if (!policy) return { nextDueAt: null, intervalS: prior?.intervalS ?? null };
  const intervalS =
    finding === 'first' ? firstInterval(policy) : finding === 'failed' ? (prior?.intervalS ?? firstInterval(policy)) : nextInterval(policy, prior?.intervalS ?? null, finding);
  return { nextDueAt: new Date(at.getTime() + intervalS * 1000), intervalS };
}

/** The fields of a 200. */
export function pageFields(policy: RecrawlPolicy | null | undefined, prior: PriorFetch | null, fetched: FetchedPage, at: Date, keepData: boolean): RecrawlFields {
  const finding = findingOf(prior, fetched.contentHash);
  return { finding, keepData, notModified: false, etag: fetched.headers.etag ?? null, lastModified: fetched.headers['last-modified'] ?? null, ...schedule(policy, prior, finding, at) };
}

/**
 * The result of an unchanged refetch that runs no parse and no handler: a 304 (`fetched` is the
 * 304, whose validators replace the stored ones when it sends any) or a 200 with the same body hash.
 */
export function unchangedResult(
  base: Omit<PageResult, 'row' | 'discovered'>,
  policy: RecrawlPolicy | null | undefined,
  prior: PriorFetch,
  fetched: FetchedNotModified | FetchedPage,
  attempts: number,
): PageResult {
  const at = new Date();
  const recrawl: RecrawlFields =
    fetched.kind === 'not-modified'
      ? { finding: 'unchanged', keepData: true, notModified: true, etag: fetched.etag ?? prior.etag, lastModified: fetched.lastModified ?? prior.lastModified, ...schedule(policy, prior, 'unchanged', at) }
      : pageFields(policy, prior, fetched, at, true);
  const row = { ...EMPTY_ROW, state: 'fetched' as const, status: fetched.status, fetchedAt: at, durationMs: fetched.durationMs, attempts, recrawl };
  return { ...base, row, discovered: [] };
}

/** A transient failure of a page in a crawl with a policy is due again after its interval; others are not rescheduled. */
export function failureFields(policy: RecrawlPolicy | null | undefined, prior: PriorFetch | null, err: SpiderdError): RecrawlFields | undefined {
  if (!policy || !TRANSIENT_FAILURE_CODES.includes(err.code)) return undefined;
  return { finding: 'failed', keepData: false, notModified: false, etag: null, lastModified: null, ...schedule(policy, prior, 'failed', new Date()) };
}
