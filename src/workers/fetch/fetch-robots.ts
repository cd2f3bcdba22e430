/**
 * Downloads an origin's /robots.txt (up to 5 redirects to any origin, RFC 9309; the first
 * 512 KiB of the body) within one total deadline, and says what the answer means. Never
 * throws:
 *   - file: a 2xx with its body;
 *   - allow-all: a 4xx other than 429 ("unavailable": no restriction), a redirect chain that
 *     does not end in a file (too many, broken Location), or a redirect to an address the SSRF
 *     guard refuses (that hop is never requested; treated like a chain that reaches no file);
 *   - unavailable: a 5xx, a 429, a timeout or the deadline, a network error, a corrupt body
 *     (RFC 9309 "unreachable": try again later), with the server's Retry-After if any;
 *   - blocked: the origin itself is at a refused address (SPIDERD_ADDRESS_BLOCKED).
 */
import { TextDecoder } from 'node:util';
import type { Agent } from 'undici';
import { SpiderdError } from '../../shared/errors.js';
import { headerValue, statusError } from './classify-response.js';
import { discardBody, followRedirects } from './follow-redirects.js';
import { readBody } from './read-body.js';

export const ROBOTS_MAX_BYTES = 512 * 1024;
const ROBOTS_MAX_REDIRECTS = 5;

export type RobotsOutcome =
  | { kind: 'file'; status: number; body: string }
  | { kind: 'allow-all'; status: number | null; reason: string; blockedHop?: string }
  | { kind: 'unavailable'; status: number | null; retryAfterMs?: number; error: SpiderdError }
  | { kind: 'blocked'; error: SpiderdError };

export interface RobotsFetchOptions {
  userAgent: string;
  /** Aborts the whole fetch (connect, headers, body, every hop): AbortSignal.timeout(fetchDeadlineMs). */
  signal: AbortSignal;
}

export async function fetchRobots(agent: Agent, origin: string, opts: RobotsFetchOptions): Promise<RobotsOutcome> {
  let hop: string | null = null;
  try {
    const res = await followRedirects(agent, `${origin}/robots.txt`, {
      userAgent: opts.userAgent,
      maxRedirects: ROBOTS_MAX_REDIRECTS,
      checkHop: async (url) => {
        hop = url;
        return null;
      },
      accept: 'text/plain,*/*;q=0.5',
      signal: opts.signal,
    });
    if (res.status < 200 || res.status >= 300) {
      await discardBody(res.body);
      const error = statusError(res.status, res.headers, { finalUrl: res.finalUrl });
      if (error?.transient) return { kind: 'unavailable', status: res.status, retryAfterMs: error.retryAfterMs, error };
      return { kind: 'allow-all', status: res.status, reason: `HTTP ${res.status}` };
    }
    const body = await readBody(res.body, {
      contentEncoding: headerValue(res.headers, 'content-encoding'),
      maxBodyBytes: ROBOTS_MAX_BYTES,
      maxDecompressedBytes: ROBOTS_MAX_BYTES,
      truncate: true,
      details: { status: res.status, finalUrl: res.finalUrl },
    });
    return { kind: 'file', status: res.status, body: new TextDecoder('utf-8').decode(body.data) };
  } catch (thrown) {
    const error = thrown instanceof SpiderdError ? thrown : new SpiderdError('SPIDERD_INTERNAL', 'robots.txt fetch failed', { cause: thrown });
    if (error.code === 'SPIDERD_TOO_MANY_REDIRECTS' || error.code === 'SPIDERD_BAD_REDIRECT') {
      const status = typeof error.details?.['status'] === 'number' ? error.details['status'] : null;
      return { kind: 'allow-all', status, reason: error.message };
    }
    if (error.code === 'SPIDERD_ADDRESS_BLOCKED') {
      if (hop === null) return { kind: 'blocked', error };
      return { kind: 'allow-all', status: null, reason: `robots.txt redirects to ${hop}, which was not requested: ${error.message}`, blockedHop: hop };
    }
    return { kind: 'unavailable', status: null, error };
  }
}
