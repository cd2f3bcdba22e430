/**
 * Batched, idempotent page writes. Results are collected until batchSize are pending or flushMs
 * after the first one; one flush commits them in one transaction (commit-batch.ts), then queues
 * the new pages' jobs, then resolves every submit: a job completes only once its row committed
 * and its discoveries are queued. Links the process already knows to be in the crawl are not
 * offered again (known-urls.ts).
 *
 * Failures: a database blip is retried for up to retryWindowMs, then the batch's submits are
 * rejected with SPIDERD_DB_UNAVAILABLE (transient: BullMQ retries those jobs). Any other error
 * is one bad row or URL: the batch is split in halves and retried until the culprit is alone,
 * which is then stored as failed with SPIDERD_STORE_FAILED; every other page is stored normally.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Sql } from '../shared/db/sql.js';
import { SpiderdError, coerceError } from '../shared/errors.js';
import { enqueuePages, type Candidate } from '../shared/frontier.js';
import type { Logger } from '../shared/logger.js';
import type { PageQueues } from '../shared/page-queues.js';
import { commitBatch, type CrawlDiscoveries } from './commit-batch.js';
import { isTransientDbError } from './db-errors.js';
import type { KnownUrls } from './known-urls.js';
import { errorRow, type PageResult } from './page-result.js';

export interface StoreBatchOptions {
  sql: Sql;
  queue: Pick<PageQueues, 'addBulk'>;
  log: Logger;
  known: KnownUrls;
  attempts: number;
  batchSize: number;
  flushMs: number;
  retryWindowMs?: number;
  /** Pages still on their way to submit(); at 0 a batch is written at once instead of after flushMs. */
  upstream?: () => number;
}

interface Pending {
  result: PageResult;
  resolve(): void;
  reject(err: Error): void;
}

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
    if (this.pending.length >= this.opts.batchSize || this.opts.upstream?.() === 0) this.startFlush();
    else this.timer ??= setTimeout(() => this.startFlush(), this.opts.flushMs);
  }

  private startFlush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.flushing || this.pending.length === 0) return;
    const batch = this.pending.splice(0, this.opts.batchSize);
    this.flushing = this.flush(batch).finally(() => {
      this.flushing = null;
      // Whatever arrived during the flush has already waited: write it now.
      if (this.pending.length > 0) this.startFlush();
    });
  }

  private async flush(batch: Pending[]): Promise<void> {
    const deadline = Date.now() + (this.opts.retryWindowMs ?? 60_000);
    const stored: Pending[] = [];
    const discoveries: CrawlDiscoveries[] = [];
    await this.storeIsolating(batch, deadline, stored, discoveries);
    // Committed: from here on only the queue jobs are missing, and enqueueing is idempotent (job id per page).
    let attempt = 0;
    try {
      await this.retrying('enqueueing discovered pages for', stored.length, deadline, () => true, async () => {
        // A retry may re-add a job whose page was meanwhile fetched and stored: mark it so its row is checked first.
        const requeued = attempt++ > 0;
        for (const d of discoveries) if (d.inserted.length > 0) await enqueuePages(this.opts.queue, d.crawlId, d.inserted, this.opts.attempts, requeued);
      });
    } catch (err) {
      for (const p of stored) p.reject(coerceError(err));
      return;
    }
    this.storedCount += stored.length;
    for (const p of stored) p.resolve();
  }

  /** Commits `batch`, splitting it around rows that fail for good; fills `stored` and `discoveries`. */
  private async storeIsolating(batch: Pending[], deadline: number, stored: Pending[], discoveries: CrawlDiscoveries[]): Promise<void> {
    const results = batch.map((p) => p.result);
    const offered = this.offered(results);
    try {
      const found = await this.retrying('storing', batch.length, deadline, isTransientDbError, () => commitBatch(this.opts.sql, results, offered));
      for (const d of found) this.opts.known.remember(d.crawlId, [...d.known, ...d.inserted.map((r) => r.url)]);
      discoveries.push(...found);
      stored.push(...batch);
    } catch (thrown) {
      const err = coerceError(thrown);
      if (err instanceof SpiderdError && err.transient) {
        for (const p of batch) p.reject(err);
        return;
      }
      if (batch.length > 1) {
        const half = Math.ceil(batch.length / 2);
        await this.storeIsolating(batch.slice(0, half), deadline, stored, discoveries);
        await this.storeIsolating(batch.slice(half), deadline, stored, discoveries);
        return;
      }
      const [one] = batch;
      const r = one!.result;
      if (r.row.errorCode === 'SPIDERD_STORE_FAILED') {
        this.opts.log.error({ err, pageId: r.pageId }, 'even the failure row of a page could not be stored; it stays queued');
        one!.reject(err);
        return;
      }
      this.opts.log.warn({ err, pageId: r.pageId }, 'a page result could not be stored; storing the page as failed');
      const failure = new SpiderdError('SPIDERD_STORE_FAILED', `storing the result failed: ${err.message}`, { cause: err });
      one!.result = { ...r, discovered: [], row: errorRow(failure, r.row.attempts) };
      await this.storeIsolating(batch, deadline, stored, discoveries);
    }
  }

  /** Per crawl, the discovered candidates this process does not already know to be in the crawl. */
  private offered(results: PageResult[]): Map<number, Candidate[]> {
    const byCrawl = new Map<number, Candidate[]>();
    for (const r of results) {
      if (r.discovered.length === 0) continue;
      const fresh = this.opts.known.unknown(r.crawlId, r.discovered);
      if (fresh.length > 0) byCrawl.set(r.crawlId, [...(byCrawl.get(r.crawlId) ?? []), ...fresh]);
    }
    return byCrawl;
  }

  private async retrying<T>(what: string, pages: number, deadline: number, transient: (err: unknown) => boolean, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const retry = transient(err);
        const wait = Math.min(5_000, 100 * 2 ** (attempt - 1)) * (0.5 + Math.random());
        if (!retry || Date.now() + wait > deadline) {
          if (retry) this.opts.log.error({ err: coerceError(err), pages, attempt }, `${what} a batch of pages failed`);
          throw retry
            ? new SpiderdError('SPIDERD_DB_UNAVAILABLE', `${what} ${pages} pages failed: ${coerceError(err).message}`, { cause: coerceError(err), transient: true })
            : err;
        }
        this.opts.log.warn({ err: coerceError(err), pages, attempt, retryInMs: Math.round(wait) }, `${what} a batch of pages failed; retrying`);
        await sleep(wait);
      }
    }
  }
}
