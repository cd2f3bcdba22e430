/**
 * Rebuilds the queue from PostgreSQL: pages still in state queued get their job back. Used after
 * a crawler process died abnormally (rows it committed but had not yet enqueued), when Redis lost
 * its data, by the supervisor's periodic reconcile, and by `spiderd requeue`.
 *
 * Pages are read per crawl in id order through the (crawl_id, state, id) index, 1,000 at a time.
 * With `onlyMissing`, a page whose job still exists in Redis is left alone (one HMGET per page,
 * pipelined), so a reconcile of a healthy queue writes nothing. A job hash without data, or one
 * already finished (jobs are removed when they finish), is a ghost: RedisClient lost part of a job
 * (keys deleted one by one while crawlers ran, eviction) and BullMQ, taking the id from its wait
 * list, made a hash with no data, which a crawler completes as malformed. A ghost would block its
 * page for good (an add with an existing id is a no-op), so it is removed and the page re-added.
 * Re-added jobs carry `requeued`,
 * so a crawler checks the row is still queued before fetching (a job may complete between the
 * read and the add). Plain `pg`, not Prisma, and the queue opened only when a job is to be added
 * or removed (`openQueue`): the supervisor stays small, and loads BullMQ only when it has work for it.
 */
import type { RedisClient } from './redis.js';
import type pg from 'pg';
import { QUEUE_NAME, type RedisKeys } from './keys.js';
import { pageJobId, pageJobs } from './page-jobs.js';
import type { PageQueues } from './page-queues.js';
import { shardOfUrl } from './shards.js';

const PAGE = 1000;

export interface RequeueOptions {
  attempts: number;
  /** The deployment's keys (where each shard's jobs live). */
  keys: RedisKeys;
  crawlId?: number;
  /** Re-add only the pages that have no job in Redis. */
  onlyMissing?: boolean;
}

export interface RequeueResult {
  /** Queued pages looked at. */
  queued: number;
  /** Jobs added (or, without onlyMissing, offered: BullMQ keeps an existing job with the same id). */
  added: number;
  /** Ghost jobs removed (their pages re-added). */
  ghosts: number;
}

interface QueuedRow {
  id: string;
  url: string;
  depth: number;
  redirect_hops: number;
}

export async function requeueFromDb(db: Pick<pg.Pool, 'query'>, redis: RedisClient, openQueue: () => Promise<PageQueues>, opts: RequeueOptions): Promise<RequeueResult> {
  const crawls = opts.crawlId === undefined ? (await db.query<{ id: number }>('SELECT id FROM crawls ORDER BY id')).rows.map((r) => r.id) : [opts.crawlId];
  const result: RequeueResult = { queued: 0, added: 0, ghosts: 0 };
  for (const crawlId of crawls) {
    let after = '0';
    for (;;) {
      const { rows } = await db.query<QueuedRow>(
        `SELECT id::text AS id, url, depth, redirect_hops FROM pages WHERE crawl_id = $1 AND state = 'queued' AND id > $2::bigint ORDER BY id LIMIT ${PAGE}`,
        [crawlId, after],
      );
      if (rows.length === 0) break;
      result.queued += rows.length;
      const { missing, ghosts } = await jobsOf(redis, opts.keys, rows);
      const cleared = ghosts.length > 0 ? await removeGhosts(await openQueue(), ghosts) : [];
      result.ghosts += cleared.length;
      const held = new Set(ghosts.filter((r) => !cleared.includes(r)));
      const add = opts.onlyMissing ? [...missing, ...cleared] : rows.filter((r) => !held.has(r));
      if (add.length > 0) {
        await (await openQueue()).addBulk(pageJobs(add.map((r) => ({ ...r, id: BigInt(r.id) })), crawlId, opts.attempts, true));
        result.added += add.length;
      }
      after = rows[rows.length - 1]!.id;
    }
  }
  return result;
}

/**
 * The rows whose job is missing, and those whose job is a ghost (see above). One pipeline per
 * shard: on a cluster a pipeline must stay within one node, and a shard is one slot.
 */
async function jobsOf(redis: RedisClient, keys: RedisKeys, rows: QueuedRow[]): Promise<{ missing: QueuedRow[]; ghosts: QueuedRow[] }> {
  const byShard = new Map<number, QueuedRow[]>();
  for (const r of rows) {
    const k = shardOfUrl(r.url, keys.layout.shards);
    byShard.set(k, [...(byShard.get(k) ?? []), r]);
  }
  const missing: QueuedRow[] = [];
  const ghosts: QueuedRow[] = [];
  await Promise.all(
    [...byShard].map(async ([k, list]) => {
      const pipeline = redis.pipeline();
      // `ats` and `processedOn` are what BullMQ writes to a ghost; a missing key answers all nulls.
      for (const r of list) pipeline.hmget(`${keys.bullPrefix(k)}:${QUEUE_NAME}:${pageJobId(r.id)}`, 'data', 'finishedOn', 'ats', 'processedOn');
      const replies = (await pipeline.exec()) ?? [];
      list.forEach((r, i) => {
        const [err, fields] = replies[i] ?? [null, []];
        if (err) throw err;
        const [data, finishedOn, ats, processedOn] = fields as (string | null)[];
        if (data === null || data === undefined) (finishedOn != null || ats != null || processedOn != null ? ghosts : missing).push(r);
        else if (finishedOn != null) ghosts.push(r);
      });
    }),
  );
  return { missing, ghosts };
}

/** Removes ghost jobs; returns the rows whose ghost is gone (a ghost a crawler holds right now stays, for the next pass). */
async function removeGhosts(queue: PageQueues, ghosts: QueuedRow[]): Promise<QueuedRow[]> {
  const cleared: QueuedRow[] = [];
  for (const r of ghosts) if ((await queue.remove(pageJobId(r.id), r.url)) === 1) cleared.push(r);
  return cleared;
}
