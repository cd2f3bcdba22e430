/**
 * BullMQ needs Redis to keep every key: with any maxmemory-policy other than noeviction, a
 * Redis under memory pressure may evict queued jobs, job locks, politeness leases and the
 * robots.txt cache. The daemon says so once at start (it still runs: the operator decides).
 */
import { redisNodes, type RedisClient } from '../shared/redis.js';
import type { Logger } from '../shared/logger.js';

/** maxmemory-policy from INFO memory (allowed where CONFIG GET is disabled, as on managed Redis), or null. */
export async function evictionPolicy(redis: RedisClient): Promise<string | null> {
  try {
    // On a cluster, the first master whose policy is not noeviction (each node has its own).
    const policies = await Promise.all(redisNodes(redis).map(async (node) => /^maxmemory_policy:(\S+)/m.exec(await node.info('memory'))?.[1] ?? null));
    return policies.find((p) => p !== 'noeviction') ?? policies[0] ?? null;
  } catch {
    return null;
  }
}

export async function warnUnlessNoeviction(redis: RedisClient, log: Logger): Promise<void> {
  const policy = await evictionPolicy(redis);
  if (policy === null) {
    log.debug('could not read Redis maxmemory-policy (INFO memory); make sure it is noeviction');
  } else if (policy !== 'noeviction') {
    log.warn(
      { maxmemoryPolicy: policy },
      `Redis maxmemory-policy is ${policy}, not noeviction: under memory pressure Redis may evict queued jobs, locks and caches; set maxmemory-policy noeviction`,
    );
  }
}
