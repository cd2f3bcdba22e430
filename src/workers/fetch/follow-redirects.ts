/**
 * Requests a URL and follows 3xx redirects by hand (no redirect interceptor), so every hop
 * is normalized and checked (scope, robots) before it is requested. Returns the final
 * response with its body still unread. Throws SpiderdError only.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { Agent } from 'undici';
import { SpiderdError } from '../../shared/errors.js';
import { normalizeUrl } from '../../shared/url/normalize.js';
import { headerValue, thrownToError } from './classify-response.js';

/** Called with each redirect target (normalized); a SpiderdError stops the chain, null follows it. */
export type HopCheck = (url: string) => Promise<SpiderdError | null>;

export interface ChainOptions {
  userAgent: string;
  maxRedirects: number;
  checkHop: HopCheck;
  accept: string;
  signal?: AbortSignal;
}

export interface FinalResponse {
  finalUrl: string;
  status: number;
  headers: IncomingHttpHeaders;
  body: Readable & { dump(opts?: { limit: number }): Promise<void> };
  redirects: number;
}

/** Bytes of a redirect's (or error page's) body read so the connection can be reused; more is dropped. */
const DUMP_LIMIT = 64 * 1024;

export async function discardBody(body: FinalResponse['body']): Promise<void> {
  try {
    await body.dump({ limit: DUMP_LIMIT });
  } catch {
    abandonBody(body);
  }
}

/**
 * Stops a download without reading it. undici emits an abort error on the destroyed stream;
 * with no listener that error would be uncaught and kill the process.
 */
export function abandonBody(body: Readable): void {
  body.on('error', () => undefined);
  body.destroy();
}

export async function followRedirects(agent: Agent, url: string, opts: ChainOptions): Promise<FinalResponse> {
  let current = url;
  let redirects = 0;
  for (;;) {
    const target = new URL(current);
    let res;
    try {
      res = await agent.request({
        origin: target.origin,
        path: `${target.pathname}${target.search}`,
        method: 'GET',
        headers: { 'user-agent': opts.userAgent, accept: opts.accept, 'accept-encoding': 'gzip, deflate, br' },
        signal: opts.signal ?? null,
      });
    } catch (thrown) {
      throw thrownToError(thrown, { finalUrl: current });
    }
    const status = res.statusCode;
    if (status < 300 || status >= 400) return { finalUrl: current, status, headers: res.headers, body: res.body, redirects };

    await discardBody(res.body);
    const details = { status, finalUrl: current };
    const location = headerValue(res.headers, 'location');
    if (location === null || location.trim() === '') {
      throw new SpiderdError('SPIDERD_BAD_REDIRECT', `HTTP ${status} from ${current} has no Location header`, { details });
    }
    const next = normalizeUrl(location, current);
    if (!next.ok) {
      throw new SpiderdError('SPIDERD_BAD_REDIRECT', `HTTP ${status} from ${current} redirects to an unusable Location: ${next.reason}`, {
        details: { ...details, location: location.slice(0, 500) },
      });
    }
    redirects += 1;
    if (redirects > opts.maxRedirects) {
      throw new SpiderdError('SPIDERD_TOO_MANY_REDIRECTS', `more than ${opts.maxRedirects} redirects starting at ${url}`, { details });
    }
    const refused = await opts.checkHop(next.url);
    if (refused !== null) throw refused;
    current = next.url;
  }
}
