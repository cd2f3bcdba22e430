/**
 * The page queue: one BullMQ queue per shard (shards.ts), all named `pages`, shard k under
 * keys.bullPrefix(k). A standalone Redis has one shard, whose keys are `${prefix}:pages:*` as
 * they always were. Jobs go to the shard of their page's host, so each shard's BullMQ scripts
 * run within one cluster slot. The queues are opened on first use.
 */
import { Queue, type Job, type JobType } from 'bullmq';
import { QUEUE_NAME, type RedisKeys } from './keys.js';
import type { PageJob } from './page-jobs.js';
import type { RedisClient } from './redis.js';
import { shardOfUrl } from './shards.js';

export interface BulkJob {
  name: string;
  data: PageJob;
  opts: Parameters<Queue<PageJob>['add']>[2];
}

export class PageQueues {
  private readonly queues: Array<Queue<PageJob> | undefined>;

  constructor(
    private readonly connection: RedisClient,
    private readonly keys: RedisKeys,
  ) {
    this.queues = new Array<Queue<PageJob> | undefined>(keys.layout.shards);
  }

  get shards(): number {
    return this.keys.layout.shards;
  }

  shardOf(url: string): number {
    return shardOfUrl(url, this.shards);
  }

  /** Shard k's queue. */
  shard(k: number): Queue<PageJob> {
    let queue = this.queues[k];
    if (!queue) {
      queue = new Queue<PageJob>(QUEUE_NAME, { connection: this.connection, prefix: this.keys.bullPrefix(k) });
      // The Queue re-emits its connection's errors, which the connection's own listener already
      // logs (redacted). Without a listener BullMQ prints the raw error to stderr, and an ioredis
      // error there carries the failed command's arguments: AUTH's is the password.
      queue.on('error', () => undefined);
      this.queues[k] = queue;
    }
    return queue;
  }

  /** Adds jobs, each to its page's shard (one addBulk per shard, in parallel). */
  async addBulk(jobs: BulkJob[]): Promise<unknown> {
    const byShard = new Map<number, BulkJob[]>();
    for (const job of jobs) {
      const k = this.shardOf(job.data.url);
      const list = byShard.get(k);
      if (list) list.push(job);
      else byShard.set(k, [job]);
    }
    return Promise.all([...byShard].map(([k, list]) => this.shard(k).addBulk(list)));
  }

  /** Jobs of the given states across every shard. */
  async getJobs(types: JobType[]): Promise<Job<PageJob>[]> {
    const all = await Promise.all(this.each((q) => q.getJobs(types)));
    return all.flat();
  }

  /** Removes the job of a page (its shard comes from its URL); 1 when removed, 0 when not there or locked. */
  async remove(jobId: string, url: string): Promise<number> {
    return this.shard(this.shardOf(url)).remove(jobId);
  }

  /** Jobs waiting, delayed or active across every shard (BullMQ's count). */
  async count(): Promise<number> {
    const counts = await Promise.all(this.each((q) => q.count()));
    return counts.reduce((a, b) => a + b, 0);
  }

  async obliterate(): Promise<void> {
    await Promise.all(this.each((q) => q.obliterate({ force: true })));
  }

  async close(): Promise<void> {
    await Promise.all(this.queues.filter((q) => q !== undefined).map((q) => q.close()));
  }

  private each<T>(fn: (q: Queue<PageJob>) => Promise<T>): Promise<T>[] {
    return Array.from({ length: this.shards }, (_, k) => fn(this.shard(k)));
  }
}
