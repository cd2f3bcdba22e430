/**
 * Opening what a CLI command needs — Redis (checked reachable), PostgreSQL (checked there and
 * migrated; only `migrate`, `start` and `demo` create or migrate it) and the page queue — each
 * registered with its closer (src/shared/lifecycle.ts) so the command's process exits by itself.
 */
import type { Config } from '../shared/config.js';
import { migrate, type MigrationResult } from '../shared/db/migrate.js';
import { createSql, type Sql } from '../shared/db/sql.js';
import { coerceError } from '../shared/errors.js';
import { checkDatabase } from '../shared/db/check-database.js';
import { redisConnectError } from '../shared/redis-connect-error.js';
import { keysFor } from '../shared/keys.js';
import { PageQueues } from '../shared/page-queues.js';
import type { Resources } from '../shared/lifecycle.js';
import { createRedis, type RedisClient } from '../shared/redis.js';

/** Connects and waits until Redis answers, or fails with SPIDERD_REDIS_UNAVAILABLE / SPIDERD_REDIS_AUTH_FAILED. */
export async function connectRedis(config: Pick<Config, 'redisUrl' | 'redisCluster'>, resources: Resources, timeoutMs = 5_000): Promise<RedisClient> {
  const redis = createRedis(config, 'cli', { failFast: true });
  let lastError: Error | null = null;
  redis.on('error', (err: unknown) => {
    lastError = coerceError(err);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(lastError ?? new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
      redis.once('error', (err: unknown) => {
        clearTimeout(timer);
        reject(coerceError(err));
      });
    });
  } catch (err) {
    redis.disconnect();
    throw redisConnectError(err, config.redisUrl);
  }
  return resources.add('redis', redis, (r) => r.quit().catch(() => r.disconnect()));
}

/** Checks the database is there and migrated, then opens hand-written SQL without the Prisma Client (quick to start). */
export async function connectSql(config: Pick<Config, 'databaseUrl'>, resources: Resources): Promise<Sql> {
  await checkDatabase(config.databaseUrl);
  return resources.add('postgresql', createSql(config, { max: 2 }), (sql) => sql.close());
}

/** Creates the database if needed and applies pending migrations (idempotent): for `migrate`, `start` and `demo` only. */
export async function migrateOrExplain(databaseUrl: string): Promise<MigrationResult> {
  return migrate(databaseUrl);
}

/** The page queue's shards (one on a standalone Redis). */
export function openQueue(redis: RedisClient, config: Pick<Config, 'prefix' | 'redisCluster' | 'queueShards'>, resources: Resources): PageQueues {
  return resources.add('queue', new PageQueues(redis, keysFor(config)), (q) => q.close());
}
