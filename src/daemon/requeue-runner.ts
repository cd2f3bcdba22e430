/**
 * Runs requeueFromDb in the background, one run at a time, debounced: several crawler
 * processes dying together cause one run, and a request during a run causes one more after
 * it (that run then sees what the dead process committed).
 */
import { coerceError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { RequeueResult } from '../shared/requeue.js';

export class RequeueRunner {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(
    private readonly requeue: () => Promise<RequeueResult>,
    private readonly log: Logger,
    private readonly debounceMs = 1_000,
  ) {}

  /** Asks for a run after debounceMs (or right away with delayMs 0). */
  request(reason: string, delayMs = this.debounceMs): void {
    if (this.stopped) return;
    this.log.debug({ reason }, 'requeue from PostgreSQL requested');
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => this.runNow(reason), delayMs);
  }

  /** No new runs; a pending one runs now; resolves when nothing is running. */
  async flushAndStop(): Promise<void> {
    this.stopped = true;
    if (this.timer) this.runNow('shutdown');
    this.again = false;
    while (this.running) await this.running;
  }

  private runNow(reason: string): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.running = this.requeue()
      .then(({ queued, added, ghosts }) => {
        if (added > 0) this.log.warn({ reason, queued, added, ghosts }, `re-added queue jobs for pages queued in PostgreSQL that had none${ghosts > 0 ? ` (${ghosts} of them had a ghost job, with no data, removed first)` : ''}`);
        else this.log.debug({ reason, queued }, 'every page queued in PostgreSQL has its queue job');
      })
      .catch((err: unknown) => this.log.error({ err: coerceError(err), reason }, 'requeue from PostgreSQL failed'))
      .finally(() => {
        this.running = null;
        if (this.again && !this.stopped) {
          this.again = false;
          this.request('requested during the previous run');
        }
      });
  }
}
