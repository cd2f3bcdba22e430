/**
 * Before fetching, a job checks that its page row is still 'queued' (a requeue may have raced a
 * completion, or BullMQ redelivered a job whose result is already stored). The same lookup reads
 * what an earlier fetch of the page left (validators, body hash, interval): a refetch sends the
 * validators and compares the hash (docs/recrawl.md). Lookups are collected for a few
 * milliseconds and answered with one query, not one per page.
 */
import type { SqlRunner } from '../shared/db/sql.js';
import { dbError } from './db-errors.js';

/** What the page's last fetch that reached the server left; null for a page never fetched. */
export interface PriorFetch {
  etag: string | null;
  lastModified: string | null;
  contentHash: string | null;
  intervalS: number | null;
}

export interface PageCheck {
  queued: boolean;
  prior: PriorFetch | null;
}

interface Row {
  id: string;
  state: string;
  etag: string | null;
  last_modified: string | null;
  content_hash: string | null;
  interval_s: number | null;
  fetch_count: number;
}

interface Waiter {
  resolve(check: PageCheck): void;
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
  async isQueued(pageId: string): Promise<boolean> {
    return (await this.check(pageId)).queued;
  }

  /** Whether the page is still 'queued', and what its previous fetch left. */
  check(pageId: string): Promise<PageCheck> {
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
    const columns = 'id::text AS id, state::text AS state, etag, last_modified, content_hash, interval_s, fetch_count';
    this.sql.query<Row>(`SELECT ${columns} FROM pages WHERE id = ANY($1::bigint[])`, [ids]).then(
      (rows) => {
        const byId = new Map(rows.map((r) => [r.id, r]));
        for (const [id, waiters] of batch) {
          const r = byId.get(id);
          const check: PageCheck = { queued: r?.state === 'queued', prior: r && r.fetch_count > 0 ? { etag: r.etag, lastModified: r.last_modified, contentHash: r.content_hash, intervalS: r.interval_s } : null };
          for (const w of waiters) w.resolve(check);
        }
      },
      (err: unknown) => {
        const e = dbError('looking up page states', err);
        for (const waiters of batch.values()) for (const w of waiters) w.reject(e);
      },
    );
  }
}
