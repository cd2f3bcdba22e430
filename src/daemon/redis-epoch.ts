/**
 * Detects that Redis lost spiderd's data (a restart without persistence, a FLUSHALL): each
 * shard's epoch key is set once and never deleted, and it lives in the shard's slot, on the node
 * that holds the shard's queue. Finding it missing means that queue is gone too. Whoever sets it
 * again (SET NX: one daemon among several) rebuilds the queue from PostgreSQL. On a cluster, a
 * master that loses its data is seen through the epochs of the shards it held.
 */
import type { RedisKeys } from '../shared/keys.js';
import type { RedisClient } from '../shared/redis.js';

/** The shards whose epoch was missing and that this call created (none: nothing was lost). */
export async function claimMissingEpochs(redis: RedisClient, keys: RedisKeys, daemonId: string): Promise<number[]> {
  const value = JSON.stringify({ at: Date.now(), by: daemonId });
  const shards = Array.from({ length: keys.layout.shards }, (_, k) => k);
  const replies = await Promise.all(shards.map((k) => redis.set(keys.epoch(k), value, 'NX')));
  return shards.filter((k) => replies[k] === 'OK');
}
