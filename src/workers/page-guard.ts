/**
 * Before fetching, a job checks that its page row is still 'queued' (a requeue may have raced a
 * completion, or BullMQ redelivered a job whose result is already stored). Lookups are collected
 * for a few milliseconds and answered with one query, not one per page.
 */
import type { SqlRunner } from '../shared/db/sql.js';
import { dbError } from './db-errors.js';

interface Waiter {
  resolve(queued: boolean): void;
  reject(err: Error): void;
}

export class PageGuard {
  private waiting = new Map<string, Waiter[]>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly sql: SqlRunner,
    private readonly windowMs = 3,
    private readonly maxBatch = 500,
  ) {}

  /** True when the page row exists and is still 'queued'. */
  isQueued(pageId: string): Promise<boolean> {
    return new Promise((resolve, reject) => {
      const list = this.waiting.get(pageId);
      if (list) list.push({ resolve, reject });
      else this.waiting.set(pageId, [{ resolve, reject }]);
      if (this.waiting.size >= this.maxBatch) this.lookup();
      else this.timer ??= setTimeout(() => this.lookup(), this.windowMs);
    });
  }

  private lookup(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.waiting;
    this.waiting = new Map();
    const ids = [...batch.keys()];
    this.sql.query<{ id: string; state: string }>('SELECT id::text AS id, state::text AS state FROM pages WHERE id = ANY($1::bigint[])', [ids]).then(
      (rows) => {
        const queued = new Set(rows.filter((r) => r.state === 'queued').map((r) => r.id));
        for (const [id, waiters] of batch) for (const w of waiters) w.resolve(queued.has(id));
      },
      (err: unknown) => {
        const e = dbError('looking up page states', err);
        for (const waiters of batch.values()) for (const w of waiters) w.reject(e);
      },
    );
  }
}
