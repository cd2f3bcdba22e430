/**
 * Draining a crawler process: stop taking jobs, give in-flight jobs up to graceMs to finish,
 * then close. If grace runs out the worker is force-closed: those jobs' locks lapse and BullMQ
 * redelivers them as stalled (their rows are still 'queued', so nothing is lost or stored
 * twice). Pending store writes are always flushed (committed or failed) before the closers
 * of the other resources run. Idempotent: every later call gets the first drain's promise.
 */
import type { DrainReason } from '../shared/ipc.js';
import type { Resources } from '../shared/lifecycle.js';
import type { Logger } from '../shared/logger.js';
import type { ShardWorkers } from './crawl-worker.js';
import { settlesWithin } from './settles-within.js';

/** How long closing the worker may take once its jobs are done (or abandoned). */
const WORKER_CLOSE_MS = 10_000;

export type Drain = (reason: DrainReason, graceMs: number) => Promise<void>;

export function createDrain(deps: { worker: ShardWorkers | null; resources: Resources; log: Logger }): Drain {
  let draining: Promise<void> | null = null;
  return (reason, graceMs) => {
    draining ??= (async () => {
      const { worker, log } = deps;
      log.info({ reason, graceMs }, 'draining: no new jobs, finishing in-flight ones');
      if (worker) {
        const finished = await settlesWithin(worker.pause(), graceMs);
        if (!finished) log.warn({ graceMs }, 'grace period over; in-flight jobs are left to BullMQ to redeliver');
        await settlesWithin(worker.close(!finished), WORKER_CLOSE_MS);
      }
      await deps.resources.closeAll();
      log.info({ reason }, 'drained');
    })();
    return draining;
  };
}
