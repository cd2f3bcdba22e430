/**
 * Rebuilds the queue from PostgreSQL: pages still in state queued get their job back. Used after
 * a crawler process died abnormally (rows it committed but had not yet enqueued), when Redis lost
 * its data, by the supervisor's periodic reconcile, and by `spiderd requeue`.
 *
 * Pages are read per crawl in id order through the (crawl_id, state, id) index, 1,000 at a time.
 * With `onlyMissing`, a page whose job still exists in Redis is left alone (one EXISTS per page,
 * pipelined), so a reconcile of a healthy queue writes nothing. Re-added jobs carry `requeued`,
 * so a crawler checks the row is still queued before fetching (a job may complete between the
 * read and the add). Plain `pg`, not Prisma: the supervisor stays small.
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { QUEUE_NAME } from './keys.js';
import { pageJobId, pageJobs, type PageJob } from './queue.js';

const PAGE = 1000;

export interface RequeueOptions {
  attempts: number;
  /** The Redis key prefix (BullMQ's prefix). */
  prefix: string;
  crawlId?: number;
  /** Re-add only the pages that have no job in Redis. */
  onlyMissing?: boolean;
}

export interface RequeueResult {
  /** Queued pages looked at. */
  queued: number;
  /** Jobs added (or, without onlyMissing, offered: BullMQ keeps an existing job with the same id). */
  added: number;
}

interface QueuedRow {
  id: string;
  url: string;
  depth: number;
  redirect_hops: number;
}

export async function requeueFromDb(db: Pick<pg.Pool, 'query'>, redis: Redis, queue: Queue<PageJob>, opts: RequeueOptions): Promise<RequeueResult> {
  const crawls = opts.crawlId === undefined ? (await db.query<{ id: number }>('SELECT id FROM crawls ORDER BY id')).rows.map((r) => r.id) : [opts.crawlId];
  const result: RequeueResult = { queued: 0, added: 0 };
  for (const crawlId of crawls) {
    let after = '0';
    for (;;) {
      const { rows } = await db.query<QueuedRow>(
        `SELECT id::text AS id, url, depth, redirect_hops FROM pages WHERE crawl_id = $1 AND state = 'queued' AND id > $2::bigint ORDER BY id LIMIT ${PAGE}`,
        [crawlId, after],
      );
      if (rows.length === 0) break;
      result.queued += rows.length;
      const missing = opts.onlyMissing ? await withoutJob(redis, opts.prefix, rows) : rows;
      if (missing.length > 0) {
        await queue.addBulk(pageJobs(missing.map((r) => ({ ...r, id: BigInt(r.id) })), crawlId, opts.attempts, true));
        result.added += missing.length;
      }
      after = rows[rows.length - 1]!.id;
    }
  }
  return result;
}

async function withoutJob(redis: Redis, prefix: string, rows: QueuedRow[]): Promise<QueuedRow[]> {
  const pipeline = redis.pipeline();
  for (const r of rows) pipeline.exists(`${prefix}:${QUEUE_NAME}:${pageJobId(r.id)}`);
  const replies = (await pipeline.exec()) ?? [];
  return rows.filter((_, i) => {
    const [err, exists] = replies[i] ?? [null, 0];
    if (err) throw err;
    return exists === 0;
  });
}
