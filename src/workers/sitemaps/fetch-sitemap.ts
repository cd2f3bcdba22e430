/**
 * Downloads one sitemap file through the crawler's fetch path: the guarded agent (SSRF guard),
 * redirects checked hop by hop, the fetch deadline, and caps of 50 MB on the wire and 50 MB
 * uncompressed (sitemaps.org), both for Content-Encoding and for a gzip file (.xml.gz): a
 * compression bomb stops at the cap. Throws SpiderdError only.
 */
import { gunzipSync } from 'node:zlib';
import type { Agent } from 'undici';
import { SpiderdError, coerceError } from '../../shared/errors.js';
import { headerValue, statusError } from '../fetch/classify-response.js';
import { discardBody, followRedirects } from '../fetch/follow-redirects.js';
import { readBody } from '../fetch/read-body.js';

/** sitemaps.org: a sitemap file is at most 50 MB (52,428,800 bytes) uncompressed. */
export const MAX_SITEMAP_BYTES = 50 * 1024 * 1024;

export async function fetchSitemap(agent: Agent, url: string, opts: { userAgent: string; deadlineMs: number; maxRedirects: number }): Promise<Buffer> {
  const signal = AbortSignal.timeout(opts.deadlineMs);
  const res = await followRedirects(agent, url, { userAgent: opts.userAgent, maxRedirects: opts.maxRedirects, checkHop: async () => null, accept: 'application/xml,text/xml,text/plain;q=0.9,*/*;q=0.5', signal });
  const details = { status: res.status, finalUrl: res.finalUrl };
  const failed = res.status >= 200 && res.status < 300 ? null : (statusError(res.status, res.headers, details) ?? new SpiderdError('SPIDERD_HTTP_4XX', `HTTP ${res.status} from ${url}`, { details }));
  if (failed) {
    await discardBody(res.body);
    throw failed;
  }
  let body;
  try {
    body = await readBody(res.body, { contentEncoding: headerValue(res.headers, 'content-encoding'), maxBodyBytes: MAX_SITEMAP_BYTES, maxDecompressedBytes: MAX_SITEMAP_BYTES, details });
  } catch (err) {
    if (signal.aborted) throw new SpiderdError('SPIDERD_FETCH_TIMEOUT', `sitemap ${url} took longer than the ${opts.deadlineMs / 1000} s fetch deadline`, { cause: err, details });
    if (err instanceof SpiderdError && err.code === 'SPIDERD_FETCH_TOO_LARGE') throw new SpiderdError('SPIDERD_SITEMAP_TOO_LARGE', `sitemap ${url} is larger than ${MAX_SITEMAP_BYTES} bytes`, { cause: err, details });
    throw err;
  }
  if (body.data[0] !== 0x1f || body.data[1] !== 0x8b) return body.data;
  try {
    return gunzipSync(body.data, { maxOutputLength: MAX_SITEMAP_BYTES });
  } catch (err) {
    const e = coerceError(err) as Error & { code?: string };
    if (e.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) {
      throw new SpiderdError('SPIDERD_SITEMAP_TOO_LARGE', `sitemap ${url} decompresses to more than ${MAX_SITEMAP_BYTES} bytes`, { cause: err, details });
    }
    throw new SpiderdError('SPIDERD_SITEMAP_INVALID', `sitemap ${url} is not valid gzip: ${e.message}`, { cause: err, details });
  }
}
