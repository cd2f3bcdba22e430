/**
 * Before a demo: earlier demo runs that did not finish (interrupted, or their daemon failed)
 * left queued pages whose sample site is gone. Unless another demo is running right now, they
 * are removed from the demo database and the demo queue is emptied, so the new daemon works
 * only on the new crawl. Finished demo crawls are kept (they can still be exported).
 */
import type { RedisClient } from '../shared/redis.js';
import type { Db } from '../shared/db/client.js';
import type { RedisKeys } from '../shared/keys.js';
import { readDaemons } from '../shared/presence.js';
import type { PageQueues } from '../shared/page-queues.js';

/** Returns how many unfinished demo crawls were removed, or null when a demo daemon is live. */
export async function removeStaleDemoState(db: Db, redis: RedisClient, queue: PageQueues, keys: RedisKeys): Promise<number | null> {
  if ((await readDaemons(redis, keys)).length > 0) return null;
  await queue.obliterate();
  const stale = await db.crawl.findMany({ where: { name: { startsWith: 'demo-' }, pages: { some: { state: 'queued' } } }, select: { id: true } });
  if (stale.length > 0) await db.crawl.deleteMany({ where: { id: { in: stale.map((c) => c.id) } } });
  return stale.length;
}
