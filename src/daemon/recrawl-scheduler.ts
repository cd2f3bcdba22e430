/**
 * Every recrawlTickMs (jittered) the daemon runs one scheduling pass (shared/recrawl/claim-due.ts):
 * due pages of every crawl are moved into the queue in batches. Daemons of a fleet all tick; the
 * claim's advisory lock lets one of them move a batch at a time. A pass that moved a full batch
 * runs again at once, so a large round drains at the queue's pace, not the tick's.
 */
import type pg from 'pg';
import { coerceError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { PageQueues } from '../shared/page-queues.js';
import { scheduleDue } from '../shared/recrawl/claim-due.js';

export const CLAIM_BATCH = 1_000;
export const MAX_PER_PASS = 10_000;
export const MAX_WAITING = 50_000;

export interface RecrawlScheduler {
  stop(): Promise<void>;
}

export function startRecrawlScheduler(deps: { db: pg.Pool; openQueue: () => Promise<PageQueues>; attempts: number; tickMs: number; log: Logger }): RecrawlScheduler {
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let stopped = false;
  const pass = async (): Promise<boolean> => {
    try {
      const r = await scheduleDue(deps.db, deps.openQueue, { attempts: deps.attempts, batch: CLAIM_BATCH, maxPerPass: MAX_PER_PASS, maxWaiting: MAX_WAITING });
      if (r.claimed > 0) deps.log.info({ claimed: r.claimed }, 'recrawl: due pages moved into the queue');
      return r.claimed >= MAX_PER_PASS;
    } catch (err) {
      deps.log.warn({ err: coerceError(err) }, 'recrawl: moving due pages into the queue failed; trying again next tick');
      return false;
    }
  };
  const schedule = (delayMs: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = pass().then((more) => {
        running = null;
        schedule(more ? 0 : deps.tickMs * (0.9 + 0.2 * Math.random()));
      });
    }, delayMs);
    timer.unref();
  };
  schedule(deps.tickMs * Math.random());
  return {
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      if (running) await running;
    },
  };
}
