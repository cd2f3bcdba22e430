/**
 * Batched, idempotent page writes. Results are collected until batchSize are pending or
 * flushMs after the first one; one flush is one transaction: the batch's rows (one UPDATE,
 * only rows still 'queued') and, per crawl, the newly discovered pages (insertPages, capped by
 * maxPages). After commit the new pages get their jobs, then every submit resolves, so a job
 * completes only once its write committed and its discoveries are queued. A flush that fails on
 * a database blip is retried for up to retryWindowMs before its submits are rejected with
 * SPIDERD_DB_UNAVAILABLE (transient: BullMQ retries those jobs).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Queue } from 'bullmq';
import type { Db } from '../shared/db/client.js';
import { SpiderdError, coerceError } from '../shared/errors.js';
import { enqueuePages, insertPages, type Candidate, type NewPageRow } from '../shared/frontier.js';
import type { Logger } from '../shared/logger.js';
import type { PageJob } from '../shared/queue.js';
import { isTransientDbError } from './db-errors.js';
import type { PageResult } from './page-result.js';
import { writePageRows } from './write-pages.js';

export interface StoreBatchOptions {
  db: Db;
  queue: Queue<PageJob>;
  log: Logger;
  attempts: number;
  batchSize: number;
  flushMs: number;
  retryWindowMs?: number;
}

interface Pending {
  result: PageResult;
  resolve(): void;
  reject(err: Error): void;
}

const TX_OPTIONS = { maxWait: 10_000, timeout: 30_000 };

export class StoreBatch {
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private closed = false;
  private storedCount = 0;

  constructor(private readonly opts: StoreBatchOptions) {}

  /** Results committed so far by this process (including redeliveries that changed nothing). */
  get stored(): number {
    return this.storedCount;
  }

  submit(result: PageResult): Promise<void> {
    if (this.closed) {
      return Promise.reject(new SpiderdError('SPIDERD_DB_UNAVAILABLE', 'the page store is closed (process draining)', { transient: true }));
    }
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ result, resolve, reject });
      this.schedule();
    });
  }

  /** Flushes everything pending and refuses new submits. Resolves once every write committed or failed. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.flushing || this.pending.length > 0) {
      if (!this.flushing) this.startFlush();
      await this.flushing;
    }
  }

  private schedule(): void {
    if (this.flushing) return; // the running flush starts the next one when it ends
    if (this.pending.length >= this.opts.batchSize) {
      this.startFlush();
    } else if (this.timer === null) {
      this.timer = setTimeout(() => this.startFlush(), this.opts.flushMs);
    }
  }

  private startFlush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.flushing || this.pending.length === 0) return;
    const batch = this.pending.splice(0, this.opts.batchSize);
    this.flushing = this.flushWithRetry(batch).then(
      () => {
        this.storedCount += batch.length;
        for (const p of batch) p.resolve();
      },
      (err: unknown) => {
        const e = coerceError(err);
        for (const p of batch) p.reject(e);
      },
    ).finally(() => {
      this.flushing = null;
      // Whatever arrived during the flush has already waited: write it now.
      if (this.pending.length > 0) this.startFlush();
    });
  }

  private async flushWithRetry(batch: Pending[]): Promise<void> {
    const deadline = Date.now() + (this.opts.retryWindowMs ?? 60_000);
    const results = batch.map((p) => p.result);
    const newPages = await this.retrying('storing', batch.length, deadline, isTransientDbError, () => this.commit(results));
    // Committed: from here on only the queue jobs are missing, and enqueueing is idempotent (job id per page).
    await this.retrying('enqueueing discovered pages for', batch.length, deadline, () => true, async () => {
      for (const [crawlId, rows] of newPages) await enqueuePages(this.opts.queue, crawlId, rows, this.opts.attempts);
    });
  }

  private async retrying<T>(what: string, pages: number, deadline: number, transient: (err: unknown) => boolean, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const retry = transient(err);
        const wait = Math.min(5_000, 100 * 2 ** (attempt - 1)) * (0.5 + Math.random());
        if (!retry || Date.now() + wait > deadline) {
          this.opts.log.error({ err: coerceError(err), pages, attempt }, `${what} a batch of pages failed`);
          throw retry
            ? new SpiderdError('SPIDERD_DB_UNAVAILABLE', `${what} ${pages} pages failed: ${coerceError(err).message}`, { cause: coerceError(err), transient: true })
            : err;
        }
        this.opts.log.warn({ err: coerceError(err), pages, attempt, retryInMs: Math.round(wait) }, `${what} a batch of pages failed; retrying`);
        await sleep(wait);
      }
    }
  }

  /**
   * One transaction: each crawl's discoveries first, then the page rows. That order matters:
   * pages link to each other, and a pages UPDATE leaves a new unique-index entry that makes
   * another transaction's INSERT of the same URL wait. Inserting first (URLs sorted, crawls in
   * id order) means no transaction waits on another while holding updated rows: no deadlocks.
   * A redelivered page's links are offered again; they are already known, so nothing changes.
   * Returns the new pages per crawl.
   */
  private commit(results: PageResult[]): Promise<Array<[number, NewPageRow[]]>> {
    const byPage = new Map<string, PageResult>();
    for (const r of results) if (!byPage.has(r.pageId)) byPage.set(r.pageId, r); // the first result wins, as across batches
    const unique = [...byPage.values()];
    const byCrawl = new Map<number, { maxPages: number; candidates: Candidate[] }>();
    for (const r of unique) {
      if (r.discovered.length === 0) continue;
      const entry = byCrawl.get(r.crawlId) ?? { maxPages: r.maxPages, candidates: [] };
      entry.candidates.push(...r.discovered);
      byCrawl.set(r.crawlId, entry);
    }
    return this.opts.db.$transaction(async (tx) => {
      const inserted: Array<[number, NewPageRow[]]> = [];
      for (const crawlId of [...byCrawl.keys()].sort((a, b) => a - b)) {
        const { maxPages, candidates } = byCrawl.get(crawlId)!;
        const res = await insertPages(tx, crawlId, maxPages, candidates);
        if (res.inserted.length > 0) inserted.push([crawlId, res.inserted]);
      }
      await writePageRows(tx, unique);
      return inserted;
    }, TX_OPTIONS);
  }
}
