/**
 * Detects that Redis lost spiderd's data (a restart without persistence, a FLUSHALL): each
 * shard's epoch key is set once and never deleted, and it lives in the shard's slot, on the node
 * that holds the shard's queue. Finding it missing means that queue is gone too. Whoever sets it
 * again (SET NX: one daemon among several) rebuilds the queue from PostgreSQL. On a cluster, a
 * master that loses its data is seen through the epochs of the shards it held. A missing epoch
 * is only worth a warning when PostgreSQL still has queued pages: otherwise it is a first start
 * (or nothing was lost).
 */
import type { PgPool } from '../shared/db/pool.js';
import type { RedisKeys } from '../shared/keys.js';
import type { Logger } from '../shared/logger.js';
import type { RedisClient } from '../shared/redis.js';

/** The shards whose epoch was missing and that this call created (none: nothing was lost). */
export async function claimMissingEpochs(redis: RedisClient, keys: RedisKeys, daemonId: string): Promise<number[]> {
  const value = JSON.stringify({ at: Date.now(), by: daemonId });
  const shards = Array.from({ length: keys.layout.shards }, (_, k) => k);
  const replies = await Promise.all(shards.map((k) => redis.set(keys.epoch(k), value, 'NX')));
  return shards.filter((k) => replies[k] === 'OK');
}

/** Logs the missing epoch: a warning when PostgreSQL has queued pages whose jobs Redis lost, info otherwise. */
/** `fields`: on a cluster, the shards whose epoch was missing. */
export async function reportMissingEpoch(db: PgPool, log: Logger, fields: Record<string, unknown> = {}): Promise<void> {
  const { rows } = await db.query<{ queued: string }>("SELECT count(*) AS queued FROM (SELECT 1 FROM pages WHERE state = 'queued' LIMIT 1000000) q");
  const queued = Number(rows[0]?.queued ?? 0);
  if (queued > 0) {
    log.warn({ ...fields, queued }, 'Redis holds no spiderd epoch while PostgreSQL has queued pages (Redis lost its data): requeueing them from PostgreSQL');
  } else {
    log.info(fields, 'Redis holds no spiderd epoch and PostgreSQL has no queued pages (a first start): nothing to requeue');
  }
}
