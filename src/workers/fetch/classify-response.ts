/**
 * Turns HTTP outcomes into SpiderdErrors: a status code (with Retry-After), or a thrown
 * undici/socket error. The error's code and `transient` flag decide whether a page is retried.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { SpiderdError, coerceError } from '../../shared/errors.js';

export type FetchDetails = {
  status?: number;
  contentType?: string | null;
  finalUrl?: string;
};

const MAX_RETRY_AFTER_MS = 3_600_000;

/** Retry-After as delta-seconds or an HTTP-date, in ms from `now` (capped at 1 h); undefined when absent or invalid. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, MAX_RETRY_AFTER_MS);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(at - now, 0), MAX_RETRY_AFTER_MS);
}

/** One header as a string (repeated headers joined with ", "), or null. */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | null {
  const v = headers[name];
  if (v === undefined) return null;
  return Array.isArray(v) ? v.join(', ') : v;
}

export function flatHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(headers)) {
    if (v !== undefined) out[name] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/** The media type without parameters, lower-cased ("text/html"), or null when missing. */
export function mediaType(contentType: string | null): string | null {
  if (contentType === null) return null;
  const type = contentType.split(';', 1)[0]?.trim().toLowerCase() ?? '';
  return type === '' ? null : type;
}

/** A missing Content-Type is accepted (the body is sniffed as HTML by the parser). */
export function isHtml(contentType: string | null): boolean {
  const type = mediaType(contentType);
  return type === null || type === 'text/html' || type === 'application/xhtml+xml';
}

/** The error for a final (non-redirect) status, or null for 2xx. */
export function statusError(status: number, headers: IncomingHttpHeaders, details: FetchDetails): SpiderdError | null {
  if (status >= 200 && status < 300) return null;
  const d = { ...details, status };
  const retryAfterMs = parseRetryAfter(headerValue(headers, 'retry-after'));
  if (status === 429) {
    return new SpiderdError('SPIDERD_HTTP_429', `HTTP 429 from ${details.finalUrl ?? 'server'}`, { transient: true, retryAfterMs, details: d });
  }
  if (status >= 500) {
    return new SpiderdError('SPIDERD_HTTP_5XX', `HTTP ${status} from ${details.finalUrl ?? 'server'}`, {
      transient: true,
      retryAfterMs: status === 503 ? retryAfterMs : undefined,
      details: d,
    });
  }
  if (status === 408) {
    return new SpiderdError('SPIDERD_FETCH_TIMEOUT', `HTTP 408 (request timeout) from ${details.finalUrl ?? 'server'}`, { transient: true, details: d });
  }
  return new SpiderdError('SPIDERD_HTTP_4XX', `HTTP ${status} from ${details.finalUrl ?? 'server'}`, { details: d });
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT', 'ABORT_ERR', 'UND_ERR_ABORTED']);
const BUG_CODES = new Set(['UND_ERR_INVALID_ARG', 'ERR_INVALID_URL', 'UND_ERR_NOT_SUPPORTED']);

/** Error codes on `err`, its `cause` chain and an AggregateError's `errors` (Happy Eyeballs). */
function codesOf(err: unknown, depth = 0): string[] {
  if (typeof err !== 'object' || err === null || depth > 4) return [];
  const out: string[] = [];
  const { code, name, cause, errors } = err as { code?: unknown; name?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string') out.push(code);
  if (name === 'AbortError' || name === 'TimeoutError') out.push('ABORT_ERR');
  out.push(...codesOf(cause, depth + 1));
  if (Array.isArray(errors)) for (const e of errors) out.push(...codesOf(e, depth + 1));
  return out;
}

/** Maps anything thrown while requesting or reading a response to a SpiderdError. */
export function thrownToError(thrown: unknown, details: FetchDetails): SpiderdError {
  if (thrown instanceof SpiderdError) return thrown;
  const cause = coerceError(thrown);
  const codes = codesOf(thrown);
  const where = details.finalUrl ?? 'the server';
  if (codes.some((c) => TIMEOUT_CODES.has(c))) {
    return new SpiderdError('SPIDERD_FETCH_TIMEOUT', `timed out fetching ${where}: ${cause.message}`, { cause, transient: true, details });
  }
  if (codes.some((c) => BUG_CODES.has(c))) {
    return new SpiderdError('SPIDERD_INTERNAL', `could not request ${where}: ${cause.message}`, { cause, details });
  }
  // Refused, reset, DNS, socket closed, malformed HTTP (HPE_*), length mismatch, premature close.
  return new SpiderdError('SPIDERD_FETCH_NETWORK', `network error fetching ${where}: ${cause.message}`, { cause, transient: true, details });
}
