/**
 * Fetches one HTML page: redirects followed by hand (each hop checked), status and
 * content-type policy, byte caps, decompression, charset decoding. Throws SpiderdError only;
 * its code and `transient` flag say whether the page is retried.
 */
import { createHash } from 'node:crypto';
import type { Agent } from 'undici';
import { SpiderdError } from '../../shared/errors.js';
import { flatHeaders, headerValue, isHtml, statusError, type FetchDetails } from './classify-response.js';
import { decodeHtml } from './decode-html.js';
import { abandonBody, discardBody, followRedirects, type HopCheck } from './follow-redirects.js';
import type { FetchLimits } from './http-agent.js';
import { readBody } from './read-body.js';

export type { HopCheck } from './follow-redirects.js';

export interface FetchedPage {
  url: string;
  finalUrl: string;
  status: number;
  headers: Record<string, string>;
  contentType: string | null;
  html: string;
  /** Raw bytes received for the final response (before decompression). */
  bytes: number;
  durationMs: number;
  /** sha256 hex of the decoded HTML. */
  contentHash: string;
  redirects: number;
}

const ACCEPT = 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.1';

export async function fetchPage(
  agent: Agent,
  url: string,
  opts: { userAgent: string; limits: FetchLimits; checkHop: HopCheck; signal?: AbortSignal },
): Promise<FetchedPage> {
  const started = performance.now();
  const res = await followRedirects(agent, url, {
    userAgent: opts.userAgent,
    maxRedirects: opts.limits.maxRedirects,
    checkHop: opts.checkHop,
    accept: ACCEPT,
    signal: opts.signal,
  });
  const contentType = headerValue(res.headers, 'content-type');
  const details: FetchDetails = { status: res.status, contentType, finalUrl: res.finalUrl };

  const failed = statusError(res.status, res.headers, details);
  if (failed !== null) {
    await discardBody(res.body);
    throw failed;
  }
  if (!isHtml(contentType)) {
    abandonBody(res.body);
    throw new SpiderdError('SPIDERD_NOT_HTML', `${res.finalUrl} is ${contentType ?? 'of no content type'}, not HTML`, { details });
  }
  const declared = Number(headerValue(res.headers, 'content-length') ?? NaN);
  if (declared > opts.limits.maxBodyBytes) {
    abandonBody(res.body);
    throw new SpiderdError('SPIDERD_FETCH_TOO_LARGE', `the response body (${declared} bytes) is larger than ${opts.limits.maxBodyBytes} bytes`, {
      details: { ...details, cap: opts.limits.maxBodyBytes },
    });
  }

  const body = await readBody(res.body, {
    contentEncoding: headerValue(res.headers, 'content-encoding'),
    maxBodyBytes: opts.limits.maxBodyBytes,
    maxDecompressedBytes: opts.limits.maxDecompressedBytes,
    details,
  });
  const { html } = decodeHtml(body.data, contentType);
  return {
    url,
    finalUrl: res.finalUrl,
    status: res.status,
    headers: flatHeaders(res.headers),
    contentType,
    html,
    bytes: body.rawBytes,
    durationMs: Math.round(performance.now() - started),
    contentHash: createHash('sha256').update(html).digest('hex'),
    redirects: res.redirects,
  };
}
