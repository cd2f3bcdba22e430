/**
 * Retry delays for the 'spiderd' backoff type (src/shared/queue.ts sets it on every page job).
 * A server's Retry-After wins (plus a little jitter so a host's retries do not arrive together);
 * otherwise full-jitter exponential backoff, capped at 10 minutes.
 */
import type { BackoffStrategy } from 'bullmq';
import { SpiderdError } from '../shared/errors.js';

export const MAX_BACKOFF_MS = 10 * 60_000;
const RETRY_AFTER_JITTER_MS = 1_000;

/** `attemptsMade` is the attempt that just failed, counting from 1 (BullMQ passes attemptsMade + 1). */
export function retryDelayMs(attemptsMade: number, err: unknown, retryBaseMs: number, random: () => number = Math.random): number {
  if (err instanceof SpiderdError && err.retryAfterMs !== undefined && err.retryAfterMs >= 0) {
    return Math.round(Math.min(err.retryAfterMs, MAX_BACKOFF_MS) + random() * RETRY_AFTER_JITTER_MS);
  }
  const exponent = Math.min(Math.max(attemptsMade, 1) - 1, 30);
  const delay = (0.5 + random()) * retryBaseMs * 2 ** exponent;
  return Math.round(Math.min(delay, MAX_BACKOFF_MS));
}

export function backoffStrategy(retryBaseMs: number): BackoffStrategy {
  return (attemptsMade, _type, err) => retryDelayMs(attemptsMade, err, retryBaseMs);
}
