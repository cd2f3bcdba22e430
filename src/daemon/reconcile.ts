/**
 * The periodic reconcile: every reconcileIntervalMs one daemon of the fleet (whoever takes the
 * Redis lock for that period) asks for a requeue of the pages queued in PostgreSQL that have no
 * job in Redis (a Redis that lost part of its data, a job lost between commit and enqueue).
 * Checking a healthy queue costs one EXISTS per queued page and writes nothing.
 * Besides, each daemon asks for one reconcile of its own, without the lock, startupAfterMs after
 * it starts: a daemon that replaces a killed one starts while the orphaned crawler processes of
 * its predecessor still finish their pages, and one that dies between its commit and the enqueue
 * of the discoveries leaves them queued without a job (seen in the fault test: 2 of 1,762 rows).
 */
import type { RedisClient } from '../shared/redis.js';
import { coerceError } from '../shared/errors.js';
import type { RedisKeys } from '../shared/keys.js';
import type { Logger } from '../shared/logger.js';

export interface Reconcile {
  stop(): void;
}

export function startReconcile(deps: { redis: RedisClient; keys: RedisKeys; daemonId: string; intervalMs: number; startupAfterMs: number; log: Logger; request(reason: string): void }): Reconcile {
  let timer: NodeJS.Timeout | null = null;
  let startup: NodeJS.Timeout | null = setTimeout(() => {
    startup = null;
    deps.request('reconcile after start');
  }, deps.startupAfterMs);
  startup.unref();
  const tick = async () => {
    try {
      // The lock lapses a little before the next period, so another daemon can take the next one.
      const won = await deps.redis.set(deps.keys.reconcileLock, deps.daemonId, 'PX', Math.max(1_000, deps.intervalMs - 1_000), 'NX');
      if (won === 'OK') deps.request('reconcile');
    } catch (err) {
      deps.log.warn({ err: coerceError(err) }, 'reconcile: taking the lock failed; trying again next period');
    }
  };
  const schedule = () => {
    // Jittered, so the daemons of a fleet started together do not all try at the same instant.
    timer = setTimeout(() => void tick().finally(schedule), deps.intervalMs * (0.9 + 0.2 * Math.random()));
    timer.unref();
  };
  schedule();
  return {
    stop: () => {
      if (timer) clearTimeout(timer);
      if (startup) clearTimeout(startup);
      timer = null;
      startup = null;
    },
  };
}
