/**
 * Fetches one URL for a page job: ONE request (a redirect is not followed here: its target goes
 * through the frontier like a link, so every URL is fetched at most once per crawl), status and
 * content-type policy, byte caps, decompression, charset decoding, and a total deadline over
 * connect + headers + body. Throws SpiderdError only; its code and `transient` flag say whether
 * the page is retried.
 */
import { createHash } from 'node:crypto';
import type { Agent } from 'undici';
import { SpiderdError } from '../../shared/errors.js';
import { normalizeUrl } from '../../shared/url/normalize.js';
import { flatHeaders, headerValue, isHtml, statusError, thrownToError, type FetchDetails } from './classify-response.js';
import { decodeHtml } from './decode-html.js';
import { abandonBody, discardBody } from './follow-redirects.js';
import type { FetchLimits } from './http-agent.js';
import { readBody } from './read-body.js';

export interface FetchedPage {
  kind: 'page';
  url: string;
  status: number;
  headers: Record<string, string>;
  contentType: string | null;
  html: string;
  /** Raw bytes received (before decompression). */
  bytes: number;
  durationMs: number;
  /** sha256 hex of the decoded HTML. */
  contentHash: string;
}

/** A 3xx answer: `target` is the normalized Location, or null with `problem` when it is missing or unusable. */
export interface FetchedRedirect {
  kind: 'redirect';
  url: string;
  status: number;
  target: string | null;
  problem: string | null;
  durationMs: number;
}

/** A 304 to a conditional GET: the page is as it was; the server may send fresh validators. */
export interface FetchedNotModified {
  kind: 'not-modified';
  url: string;
  status: 304;
  etag: string | null;
  lastModified: string | null;
  durationMs: number;
}

/** The validators of the page's previous fetch, sent back as If-None-Match / If-Modified-Since. */
export interface Validators {
  etag: string | null;
  lastModified: string | null;
}

const ACCEPT = 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.1';

export async function fetchPage(
  agent: Agent,
  url: string,
  opts: { userAgent: string; limits: FetchLimits; deadlineMs: number; validators?: Validators | null },
): Promise<FetchedPage | FetchedRedirect | FetchedNotModified> {
  // A deadline of our own, cleared when the fetch ends: AbortSignal.timeout's timer would live on
  // for the whole deadline after every page (thousands of live timers and signals at full speed).
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new DOMException('the fetch deadline passed', 'TimeoutError')), opts.deadlineMs);
  try {
    return await fetchWithin(agent, url, opts, deadline.signal);
  } finally {
    clearTimeout(timer);
  }
}

async function fetchWithin(
  agent: Agent,
  url: string,
  opts: { userAgent: string; limits: FetchLimits; deadlineMs: number; validators?: Validators | null },
  signal: AbortSignal,
): Promise<FetchedPage | FetchedRedirect | FetchedNotModified> {
  const started = performance.now();
  const target = new URL(url);
  let res;
  try {
    res = await agent.request({
      origin: target.origin,
      path: `${target.pathname}${target.search}`,
      method: 'GET',
      headers: { 'user-agent': opts.userAgent, accept: ACCEPT, 'accept-encoding': 'gzip, deflate, br', ...conditionalHeaders(opts.validators) },
      signal,
    });
  } catch (thrown) {
    throw deadlineOr(thrown, signal, opts.deadlineMs, { finalUrl: url });
  }
  const status = res.statusCode;
  const contentType = headerValue(res.headers, 'content-type');
  const details: FetchDetails = { status, contentType, finalUrl: url };
  const conditional = Object.keys(conditionalHeaders(opts.validators)).length > 0;
  if (status === 304 && conditional) {
    await discardBody(res.body);
    const etag = headerValue(res.headers, 'etag');
    const lastModified = headerValue(res.headers, 'last-modified');
    return { kind: 'not-modified', url, status, etag, lastModified, durationMs: Math.round(performance.now() - started) };
  }
  if (status >= 300 && status < 400) {
    await discardBody(res.body);
    const location = headerValue(res.headers, 'location');
    const next = location === null || location.trim() === '' ? null : normalizeUrl(location, url);
    const problem = next === null ? `HTTP ${status} from ${url} has no Location header` : next.ok ? null : `HTTP ${status} from ${url} redirects to an unusable Location: ${next.reason}`;
    return { kind: 'redirect', url, status, target: next?.ok ? next.url : null, problem, durationMs: Math.round(performance.now() - started) };
  }
  const failed = statusError(status, res.headers, details);
  if (failed !== null) {
    await discardBody(res.body);
    throw failed;
  }
  if (!isHtml(contentType)) {
    abandonBody(res.body);
    throw new SpiderdError('SPIDERD_NOT_HTML', `${url} is ${contentType ?? 'of no content type'}, not HTML`, { details });
  }
  const declared = Number(headerValue(res.headers, 'content-length') ?? NaN);
  if (declared > opts.limits.maxBodyBytes) {
    abandonBody(res.body);
    throw new SpiderdError('SPIDERD_FETCH_TOO_LARGE', `the response body (${declared} bytes) is larger than ${opts.limits.maxBodyBytes} bytes`, {
      details: { ...details, cap: opts.limits.maxBodyBytes },
    });
  }
  let body;
  try {
    body = await readBody(res.body, {
      contentEncoding: headerValue(res.headers, 'content-encoding'),
      maxBodyBytes: opts.limits.maxBodyBytes,
      maxDecompressedBytes: opts.limits.maxDecompressedBytes,
      details,
    });
  } catch (thrown) {
    throw deadlineOr(thrown, signal, opts.deadlineMs, details);
  }
  const { html } = decodeHtml(body.data, contentType);
  return {
    kind: 'page',
    url,
    status,
    headers: flatHeaders(res.headers),
    contentType,
    html,
    bytes: body.rawBytes,
    durationMs: Math.round(performance.now() - started),
    contentHash: createHash('sha256').update(body.data).digest('hex'),
  };
}

function conditionalHeaders(v: Validators | null | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  if (v?.etag) headers['if-none-match'] = v.etag;
  if (v?.lastModified) headers['if-modified-since'] = v.lastModified;
  return headers;
}

/** The deadline's own error when it fired (a tarpit), else the usual classification. */
function deadlineOr(thrown: unknown, signal: AbortSignal, deadlineMs: number, details: FetchDetails): SpiderdError {
  if (signal.aborted) {
    return new SpiderdError('SPIDERD_FETCH_TIMEOUT', `${details.finalUrl ?? 'the fetch'} took longer than the ${deadlineMs / 1000} s fetch deadline`, { cause: thrown, transient: true, details });
  }
  return thrownToError(thrown, details);
}
