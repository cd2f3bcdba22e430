/**
 * Opening what a CLI command needs — Redis (checked reachable), PostgreSQL (migrated first,
 * which also creates the database on a fresh machine) and the page queue — each registered
 * with its closer (src/shared/lifecycle.ts) so the command's process exits by itself.
 */
import type { RedisClient } from '../shared/redis.js';
import type { Config } from '../shared/config.js';
import { migrate, type MigrationResult } from '../shared/db/migrate.js';
import { createSql, type Sql } from '../shared/db/sql.js';
import { SpiderdError, coerceError } from '../shared/errors.js';
import { keysFor } from '../shared/keys.js';
import { PageQueues } from '../shared/page-queues.js';
import type { Resources } from '../shared/lifecycle.js';
import { redactUrl } from '../shared/redact.js';
import { createRedis } from '../shared/redis.js';

export const REDIS_HINT = 'start it (e.g. `redis-server`, or `docker run -p 6379:6379 redis:7`) or point REDIS_URL / --redis-url at yours';
export const POSTGRES_HINT =
  'start it (e.g. `pg_ctlcluster 15 main start`, or `docker run -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres:15`) or point DATABASE_URL / --database-url at yours';

/** Connects and waits until Redis answers, or fails with SPIDERD_REDIS_UNAVAILABLE. */
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
    const reason = coerceError(err).message || 'connection failed';
    throw new SpiderdError('SPIDERD_REDIS_UNAVAILABLE', `Redis is not reachable at ${redactUrl(config.redisUrl)} (${reason}): ${REDIS_HINT}`, { cause: err, transient: true });
  }
  return resources.add('redis', redis, (r) => r.quit().catch(() => r.disconnect()));
}

/** Applies pending migrations (idempotent), then opens hand-written SQL without the Prisma Client (quick to start). */
export async function connectSql(config: Pick<Config, 'databaseUrl'>, resources: Resources): Promise<Sql> {
  await migrateOrExplain(config.databaseUrl);
  return resources.add('postgresql', createSql(config, { max: 2 }), (sql) => sql.close());
}

export async function migrateOrExplain(databaseUrl: string): Promise<MigrationResult> {
  try {
    return await migrate(databaseUrl);
  } catch (err) {
    if (err instanceof SpiderdError && err.code === 'SPIDERD_DB_UNAVAILABLE') {
      throw new SpiderdError('SPIDERD_DB_UNAVAILABLE', `PostgreSQL is not reachable: ${err.message}; ${POSTGRES_HINT}`, { cause: err, transient: true });
    }
    throw err;
  }
}

/** The page queue's shards (one on a standalone Redis). */
export function openQueue(redis: RedisClient, config: Pick<Config, 'prefix' | 'redisCluster' | 'queueShards'>, resources: Resources): PageQueues {
  return resources.add('queue', new PageQueues(redis, keysFor(config)), (q) => q.close());
}
