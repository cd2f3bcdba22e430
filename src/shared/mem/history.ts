/**
 * Each process's recent memory samples, kept in Redis as a capped list (newest first) so
 * `spiderd mem` on any host can read every process's history. The supervisor writes them.
 */
import type { RedisClient } from '../redis.js';
import type { RedisKeys } from '../keys.js';
import type { MemSample } from '../mem-sample.js';

/** Samples kept per process: at the default 5 s interval, two hours. */
export const HISTORY_CAP = 1440;
/** A history outlives its process by a day, then expires. */
const HISTORY_TTL_S = 86_400;

export async function appendSample(redis: RedisClient, keys: RedisKeys, daemonId: string, workerId: string, sample: MemSample, cap = HISTORY_CAP): Promise<void> {
  const key = keys.memHistory(daemonId, workerId);
  await redis.multi().lpush(key, JSON.stringify(sample)).ltrim(key, 0, cap - 1).expire(key, HISTORY_TTL_S).exec();
}

/** Oldest first. */
export async function readHistory(redis: RedisClient, keys: RedisKeys, daemonId: string, workerId: string, limit = HISTORY_CAP): Promise<MemSample[]> {
  const raws = await redis.lrange(keys.memHistory(daemonId, workerId), 0, limit - 1);
  return raws.map((r) => JSON.parse(r) as MemSample).reverse();
}
