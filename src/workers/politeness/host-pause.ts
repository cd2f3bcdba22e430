/**
 * How long a whole host is slowed down after a fetch failure (pure). A 429, or a 503, tells us
 * the server is overloaded: every process stops starting requests on that host for the server's
 * Retry-After, or, without one, the same exponential backoff the page itself gets. Capped at
 * MAX_HOST_PAUSE_MS, plus up to 10% jitter so the processes' next requests do not arrive together.
 */
import { SpiderdError } from '../../shared/errors.js';

export const MAX_HOST_PAUSE_MS = 10 * 60_000;

export function hostPauseMs(err: SpiderdError, attempts: number, retryBaseMs: number, random: () => number = Math.random): number {
  const overloaded = err.code === 'SPIDERD_HTTP_429' || (err.code === 'SPIDERD_HTTP_5XX' && err.details?.['status'] === 503);
  if (!overloaded) return 0;
  const base = err.retryAfterMs ?? retryBaseMs * 2 ** Math.min(Math.max(attempts, 1) - 1, 20);
  const capped = Math.min(Math.max(base, 1), MAX_HOST_PAUSE_MS);
  return Math.round(capped * (1 + 0.1 * random()));
}
