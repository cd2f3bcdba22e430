import { Redis } from 'ioredis';
import type { Config } from './config.js';
import { coalesceWrites } from './redis-coalesce.js';

/**
 * An ioredis connection for spiderd. maxRetriesPerRequest: null is what BullMQ workers
 * need (commands wait through a Redis restart instead of failing). Commands issued in one
 * event-loop turn leave in one socket write (redis-coalesce.ts).
 */
export function createRedis(config: Pick<Config, 'redisUrl'>, name: string, options: { failFast?: boolean } = {}): Redis {
  const redis = new Redis(config.redisUrl, {
    connectionName: `spiderd:${name}`,
    maxRetriesPerRequest: options.failFast ? 1 : null,
    enableReadyCheck: true,
    lazyConnect: false,
  });
  coalesceWrites(redis);
  return redis;
}
