/**
 * Downloads an origin's /robots.txt: up to 5 redirects (any origin, RFC 9309), the first
 * 512 KiB of the body. Never throws: an unreachable server, a timeout or a corrupt body give
 * status null (the rules then disallow everything); a redirect chain that does not resolve
 * gives its 3xx status (the rules then allow everything).
 */
import { TextDecoder } from 'node:util';
import type { Agent } from 'undici';
import { SpiderdError } from '../../shared/errors.js';
import { headerValue } from './classify-response.js';
import { discardBody, followRedirects } from './follow-redirects.js';
import { readBody } from './read-body.js';

export const ROBOTS_MAX_BYTES = 512 * 1024;
const ROBOTS_MAX_REDIRECTS = 5;

export interface RobotsResponse {
  status: number | null;
  body: string;
  /** Why status is null, for the log. */
  error?: SpiderdError;
}

export async function fetchRobots(agent: Agent, origin: string, userAgent: string, signal?: AbortSignal): Promise<RobotsResponse> {
  try {
    const res = await followRedirects(agent, `${origin}/robots.txt`, {
      userAgent,
      maxRedirects: ROBOTS_MAX_REDIRECTS,
      checkHop: async () => null,
      accept: 'text/plain,*/*;q=0.5',
      signal,
    });
    if (res.status < 200 || res.status >= 300) {
      await discardBody(res.body);
      return { status: res.status, body: '' };
    }
    const body = await readBody(res.body, {
      contentEncoding: headerValue(res.headers, 'content-encoding'),
      maxBodyBytes: ROBOTS_MAX_BYTES,
      maxDecompressedBytes: ROBOTS_MAX_BYTES,
      truncate: true,
      details: { status: res.status, finalUrl: res.finalUrl },
    });
    return { status: res.status, body: new TextDecoder('utf-8').decode(body.data) };
  } catch (thrown) {
    const error = thrown instanceof SpiderdError ? thrown : new SpiderdError('SPIDERD_INTERNAL', 'robots.txt fetch failed', { cause: thrown });
    if (error.code === 'SPIDERD_TOO_MANY_REDIRECTS' || error.code === 'SPIDERD_BAD_REDIRECT') {
      const status = typeof error.details?.['status'] === 'number' ? error.details['status'] : 310;
      return { status, body: '', error };
    }
    return { status: null, body: '', error };
  }
}
