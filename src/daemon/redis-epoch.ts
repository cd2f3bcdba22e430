/**
 * Detects that Redis lost spiderd's data (a restart without persistence): keys.epoch is set
 * once and never deleted, so finding it missing means the queue is gone too. Whoever sets it
 * again (SET NX: one daemon among several) rebuilds the queue from PostgreSQL.
 */
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../shared/keys.js';

/** True when the epoch was missing and this call created it. */
export async function claimMissingEpoch(redis: Redis, keys: RedisKeys, daemonId: string): Promise<boolean> {
  const reply = await redis.set(keys.epoch, JSON.stringify({ at: Date.now(), by: daemonId }), 'NX');
  return reply === 'OK';
}
