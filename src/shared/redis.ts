import { Redis } from 'ioredis';
import type { Config } from './config.js';

/**
 * An ioredis connection for spiderd. maxRetriesPerRequest: null is what BullMQ workers
 * need (commands wait through a Redis restart instead of failing).
 */
export function createRedis(config: Pick<Config, 'redisUrl'>, name: string, options: { failFast?: boolean } = {}): Redis {
  return new Redis(config.redisUrl, {
    connectionName: `spiderd:${name}`,
    maxRetriesPerRequest: options.failFast ? 1 : null,
    enableReadyCheck: true,
    lazyConnect: false,
  });
}
