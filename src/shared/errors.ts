/**
 * One error class with a stable string code per failure. Codes are never renamed or
 * reused; docs/errors.md lists each one (test/unit/errors.test.ts checks that).
 */
export const ERROR_CODES = {
  SPIDERD_CONFIG_INVALID: 'configuration (flags, environment) failed validation',
  SPIDERD_BAD_SEED: 'a seed URL is malformed or not http/https',
  SPIDERD_BAD_INPUT: 'a CLI argument or file is invalid',
  SPIDERD_CRAWL_NOT_FOUND: 'no crawl with that name exists',
  SPIDERD_REDIS_UNAVAILABLE: 'Redis could not be reached',
  SPIDERD_DB_UNAVAILABLE: 'PostgreSQL could not be reached or a query failed transiently',
  SPIDERD_MIGRATION_FAILED: 'a migration failed and was rolled back',
  SPIDERD_MIGRATION_MODIFIED: 'an applied migration file was changed after it was applied',
  SPIDERD_DB_MISSING: 'the database named in the PostgreSQL URL does not exist',
  SPIDERD_DB_NOT_MIGRATED: 'the database exists but its migrations are not applied',
  SPIDERD_DB_AUTH_FAILED: 'PostgreSQL refused the login (wrong password, or no pg_hba.conf entry)',
  SPIDERD_DB_ROLE_MISSING: 'the PostgreSQL role (user) in the URL does not exist',
  SPIDERD_REDIS_AUTH_FAILED: 'Redis refused the login (wrong or missing password)',
  SPIDERD_FETCH_TIMEOUT: 'connect, headers or body timed out',
  SPIDERD_FETCH_NETWORK: 'connection refused, reset or DNS failure',
  SPIDERD_FETCH_TOO_LARGE: 'the body (or its decompressed form) exceeded the byte cap',
  SPIDERD_FETCH_BAD_ENCODING: 'the body could not be decompressed',
  SPIDERD_HTTP_4XX: 'the server answered with a permanent 4xx status',
  SPIDERD_HTTP_5XX: 'the server answered with a 5xx status (retried)',
  SPIDERD_HTTP_429: 'the server asked us to slow down (retried after Retry-After)',
  SPIDERD_NOT_HTML: 'the response is not text/html',
  SPIDERD_ROBOTS_DISALLOWED: 'robots.txt disallows the URL for our product token',
  SPIDERD_OUT_OF_SCOPE: 'a redirect left the crawl scope',
  SPIDERD_TOO_MANY_REDIRECTS: 'more redirects than the cap',
  SPIDERD_BAD_REDIRECT: 'a redirect had no or an invalid Location',
  SPIDERD_MAX_PAGES: 'the crawl reached --max-pages; the URL was not fetched',
  SPIDERD_HANDLER_FAILED: "the crawl's extraction handler threw",
  SPIDERD_HANDLER_INVALID: 'the extraction handler module could not be loaded',
  SPIDERD_WORKER_CRASH_LOOP: 'a crawler process kept dying and was not restarted again',
  SPIDERD_PAGE_KILLED_WORKER: 'crawler processes died while on this page several times; it is not tried again',
  SPIDERD_SHUTDOWN_FORCED: 'a second signal forced the shutdown',
  SPIDERD_CONTROL_INVALID: 'a control request was malformed',
  SPIDERD_CONTROL_NO_TARGET: 'a control request named no live daemon or process',
  SPIDERD_CONTROL_TIMEOUT: 'a control request got no answer in time',
  SPIDERD_CONTROL_BUSY: 'the target process is already taking a snapshot or profile',
  SPIDERD_SNAPSHOT_NO_SPACE: 'not enough free disk for a heap snapshot',
  SPIDERD_SNAPSHOT_FAILED: 'writing a heap snapshot or profile failed',
  SPIDERD_HEAP_PARSE_FAILED: 'a .heapsnapshot file could not be read or parsed',
  SPIDERD_ADDRESS_BLOCKED: 'the URL resolves to a loopback, private or other non-public address (SSRF guard)',
  SPIDERD_HANDLER_NOT_ALLOWED: "a crawl's handler module is outside the daemon's --handler-dir directories",
  SPIDERD_INTERNAL: 'an unexpected error (a bug); the cause is attached',
  SPIDERD_ROBOTS_UNAVAILABLE: "the origin's robots.txt could not be fetched (5xx, 429, timeout, network); its pages wait and are tried again",
  SPIDERD_STORE_FAILED: "the page's result could not be written (a bad row); the page is stored failed so the rest of its batch is not lost",
  SPIDERD_WORKER_BLOCKED: "a crawler process's event loop was blocked longer than --blocked-limit; it was killed and replaced",
  SPIDERD_SITEMAP_INVALID: 'a sitemap is malformed (not XML or a URL list, undeclared entities, bad gzip) or an index nested in an index; it is skipped',
  SPIDERD_SITEMAP_TOO_LARGE: 'a sitemap is over the sitemaps.org limits (50,000 URLs, 50 MB uncompressed) or a walk over its file/URL caps; the excess is skipped',
  SPIDERD_SNAPSHOT_BUDGET_IN_USE: "the snapshot directory's file or byte budget is taken by files in use",
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface SpiderdErrorOptions {
  cause?: unknown;
  /** Transient failures are retried with backoff; permanent ones are recorded once. */
  transient?: boolean;
  /** For 429/503 with Retry-After: the server's requested wait. */
  retryAfterMs?: number;
  details?: Record<string, unknown>;
}

export class SpiderdError extends Error {
  readonly code: ErrorCode;
  readonly transient: boolean;
  readonly retryAfterMs: number | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: SpiderdErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SpiderdError';
    this.code = code;
    this.transient = options.transient ?? false;
    this.retryAfterMs = options.retryAfterMs;
    this.details = options.details;
  }
}

/** Turns anything thrown into an Error (graphile-worker's coerceError). */
export function coerceError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  if (typeof thrown === 'string') return new Error(thrown);
  return new Error(`non-Error thrown: ${safeStringify(thrown)}`);
}

/** Wraps an unknown failure, keeping the original as `cause`. */
export function wrapError(code: ErrorCode, message: string, thrown: unknown, options: Omit<SpiderdErrorOptions, 'cause'> = {}): SpiderdError {
  if (thrown instanceof SpiderdError) return thrown;
  return new SpiderdError(code, message, { ...options, cause: coerceError(thrown) });
}

export function errorCode(thrown: unknown): ErrorCode {
  return thrown instanceof SpiderdError ? thrown.code : 'SPIDERD_INTERNAL';
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
