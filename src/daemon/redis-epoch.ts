/**
 * Detects that Redis lost spiderd's data (a restart without persistence): keys.epoch is set
 * once and never deleted, so finding it missing means the queue is gone too. Whoever sets it
 * again (SET NX: one daemon among several) rebuilds the queue from PostgreSQL. A missing epoch
 * is only worth a warning when PostgreSQL still has queued pages: otherwise it is a first start
 * (or nothing was lost).
 */
import type { Redis } from 'ioredis';
import type { PgPool } from '../shared/db/pool.js';
import type { RedisKeys } from '../shared/keys.js';
import type { Logger } from '../shared/logger.js';

/** True when the epoch was missing and this call created it. */
export async function claimMissingEpoch(redis: Redis, keys: RedisKeys, daemonId: string): Promise<boolean> {
  const reply = await redis.set(keys.epoch, JSON.stringify({ at: Date.now(), by: daemonId }), 'NX');
  return reply === 'OK';
}

/** Logs the missing epoch: a warning when PostgreSQL has queued pages whose jobs Redis lost, info otherwise. */
export async function reportMissingEpoch(db: PgPool, log: Logger): Promise<void> {
  const { rows } = await db.query<{ queued: string }>("SELECT count(*) AS queued FROM (SELECT 1 FROM pages WHERE state = 'queued' LIMIT 1000000) q");
  const queued = Number(rows[0]?.queued ?? 0);
  if (queued > 0) {
    log.warn({ queued }, 'Redis holds no spiderd epoch while PostgreSQL has queued pages (Redis lost its data): requeueing them from PostgreSQL');
  } else {
    log.info('Redis holds no spiderd epoch and PostgreSQL has no queued pages (a first start): nothing to requeue');
  }
}
