/**
 * When a crashed crawler process is restarted, and when a slot is given up. Pure: the caller
 * keeps the CrashHistory per slot and passes the clock in, so the rules are unit-tested
 * without processes or timers.
 *
 * - Backoff: restartBaseMs * 2^(n-1), capped at restartMaxMs, where n counts consecutive
 *   crashes. A process that ran longer than crashWindowMs before dying resets n to 1.
 * - Crash loop: crashLoopLimit crashes within crashWindowMs (a sliding window) -> give up.
 */
export interface RestartPolicy {
  restartBaseMs: number;
  restartMaxMs: number;
  crashLoopLimit: number;
  crashWindowMs: number;
}

export interface CrashHistory {
  /** Consecutive crashes, without a long run in between. */
  readonly consecutive: number;
  /** When the recent crashes happened (epoch ms), oldest first, only those inside the window. */
  readonly crashTimes: readonly number[];
}

export type CrashDecision =
  | { action: 'restart'; delayMs: number; history: CrashHistory }
  | { action: 'give-up'; crashesInWindow: number; history: CrashHistory };

export const NO_CRASHES: CrashHistory = Object.freeze({ consecutive: 0, crashTimes: Object.freeze([]) as readonly number[] });

/** Decides what follows a crash of a process that started at `startedAt` and died at `now`. */
export function afterCrash(history: CrashHistory, startedAt: number, now: number, policy: RestartPolicy): CrashDecision {
  const ranLong = now - startedAt > policy.crashWindowMs;
  const consecutive = ranLong ? 1 : history.consecutive + 1;
  const crashTimes = [...history.crashTimes.filter((t) => now - t < policy.crashWindowMs), now];
  const next: CrashHistory = { consecutive, crashTimes };
  if (crashTimes.length >= policy.crashLoopLimit) return { action: 'give-up', crashesInWindow: crashTimes.length, history: next };
  return { action: 'restart', delayMs: backoffMs(consecutive, policy), history: next };
}

/** restartBaseMs * 2^(n-1), capped at restartMaxMs (n >= 1). */
export function backoffMs(n: number, policy: Pick<RestartPolicy, 'restartBaseMs' | 'restartMaxMs'>): number {
  const exponent = Math.max(0, n - 1);
  // 2^exponent overflows to Infinity long after the cap applies; Math.min keeps it finite.
  return Math.min(policy.restartMaxMs, policy.restartBaseMs * 2 ** Math.min(exponent, 60));
}
