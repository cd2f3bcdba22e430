/**
 * Backoff for an origin whose robots.txt is unavailable (5xx, 429, timeout, network error),
 * shared in Redis by every process and daemon: 1 minute after the first failure, doubling
 * with each further one up to 1 hour, jittered by +/-25 %, and never sooner than the
 * server's Retry-After (itself capped at 1 hour). A success deletes the record.
 */
export interface RobotsBackoff {
  /** Consecutive failures. */
  failures: number;
  /** When the first of them happened (epoch ms). */
  firstFailureAt: number;
  /** No process fetches this robots.txt again before this (epoch ms). */
  until: number;
  /** The last failure, for logs and the page's error. */
  reason: string;
  status: number | null;
}

export const BACKOFF_BASE_MS = 60_000;
export const BACKOFF_MAX_MS = 3_600_000;
/** A record outlives its wait by this much, so the failure count keeps doubling across retries. */
export const BACKOFF_MEMORY_MS = 24 * 3_600_000;

export function backoffDelayMs(failures: number, retryAfterMs: number | undefined, random: () => number = Math.random): number {
  const base = Math.min(BACKOFF_BASE_MS * 2 ** Math.min(Math.max(failures, 1) - 1, 20), BACKOFF_MAX_MS);
  const jittered = Math.min(Math.round(base * (0.75 + random() * 0.5)), BACKOFF_MAX_MS);
  return Math.max(jittered, Math.min(retryAfterMs ?? 0, BACKOFF_MAX_MS));
}

export function nextBackoff(previous: RobotsBackoff | null, failure: { reason: string; status: number | null; retryAfterMs?: number }, now = Date.now(), random?: () => number): RobotsBackoff {
  const failures = (previous?.failures ?? 0) + 1;
  return {
    failures,
    firstFailureAt: previous?.firstFailureAt ?? now,
    until: now + backoffDelayMs(failures, failure.retryAfterMs, random),
    reason: failure.reason.slice(0, 500),
    status: failure.status,
  };
}

export function parseBackoff(raw: string | null): RobotsBackoff | null {
  if (raw === null) return null;
  try {
    const b = JSON.parse(raw) as Partial<RobotsBackoff>;
    if (typeof b.failures === 'number' && typeof b.firstFailureAt === 'number' && typeof b.until === 'number' && typeof b.reason === 'string') {
      return { failures: b.failures, firstFailureAt: b.firstFailureAt, until: b.until, reason: b.reason, status: typeof b.status === 'number' ? b.status : null };
    }
  } catch {
    // a corrupt record counts as none
  }
  return null;
}
