/**
 * Opens what the supervisor talks to — PostgreSQL (migrated), Redis, and the page queue on first
 * use, by a requeue with jobs to add or remove: after a crawler process died, after Redis lost
 * data, rarely otherwise (five reconciles during a busy bench crawl found every queued page with
 * its job). BullMQ is about a tenth of an idle supervisor's RSS: 81-84 MB without it against
 * 93-98 MB. Fails fast with SPIDERD_DB_UNAVAILABLE / SPIDERD_REDIS_UNAVAILABLE when PostgreSQL
 * or Redis cannot be reached within connectTimeoutMs, so systemd or Docker restarts the daemon
 * instead of it hanging at start. Every opened resource registers its closer. A Redis whose
 * maxmemory-policy is not noeviction gets one warning.
 */
import type { RedisClient } from '../shared/redis.js';
import pg from 'pg';
import type { Config } from '../shared/config.js';
import { migrate } from '../shared/db/migrate.js';
import { createPgPool, type PgPool } from '../shared/db/pool.js';
import { postgresConnectError } from '../shared/db/connect-error.js';
import { coerceError } from '../shared/errors.js';
import type { Resources } from '../shared/lifecycle.js';
import type { Logger } from '../shared/logger.js';
import { keysFor } from '../shared/keys.js';
import type { PageQueues } from '../shared/page-queues.js';
import { createRedis } from '../shared/redis.js';
import { redisConnectError } from '../shared/redis-connect-error.js';
import { warnUnlessNoeviction } from './redis-policy.js';
import { withTimeout } from './with-timeout.js';

export interface Services {
  redis: RedisClient;
  db: PgPool;
  /** The page queue, opened (and BullMQ loaded) at the first call. */
  openQueue(): Promise<PageQueues>;
}

export async function openServices(config: Config, resources: Resources, log: Logger): Promise<Services> {
  await probePostgres(config);
  const migrated = await migrate(config.databaseUrl);
  log.info({ applied: migrated.applied, alreadyApplied: migrated.alreadyApplied }, 'database migrations up to date');
  const redis = resources.add('redis', await connectRedis(config, log), (r) => r.quit().catch(() => r.disconnect()));
  await warnUnlessNoeviction(redis, log);
  const db = resources.add('postgresql', createPgPool(config, { max: 2, connectTimeoutMs: config.connectTimeoutMs }), (d) => d.end());
  let queue: Promise<PageQueues> | null = null;
  const openQueue = () =>
    (queue ??= import('../shared/page-queues.js')
      .then(({ PageQueues }) => resources.add('queue', new PageQueues(redis, keysFor(config)), (q) => q.close()))
      .catch((err: unknown) => {
        queue = null; // the next requeue tries again
        throw err;
      }));
  return { redis, db, openQueue };
}

/** migrate() would wait as long as the OS lets a connect hang; this bounds it. A missing database is fine (migrate creates it). */
async function probePostgres(config: Config): Promise<void> {
  const client = new pg.Client({ connectionString: config.databaseUrl, connectionTimeoutMillis: config.connectTimeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    if ((err as { code?: string }).code === '3D000') return;
    throw postgresConnectError(err, config.databaseUrl);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function connectRedis(config: Config, log: Logger): Promise<RedisClient> {
  const redis = createRedis(config, 'supervisor');
  let lastError: Error | null = null;
  let warned = 0;
  redis.on('error', (err: unknown) => {
    lastError = coerceError(err);
    // ioredis reconnects on its own; log the first failure and then every 20th, not each retry.
    if (warned++ % 20 === 0) log.warn({ err: lastError }, 'Redis connection error');
  });
  try {
    await withTimeout(redis.ping(), config.connectTimeoutMs, 'no answer');
    return redis;
  } catch (err) {
    redis.disconnect();
    throw redisConnectError(lastError ?? err, config.redisUrl, ` within ${config.connectTimeoutMs} ms`);
  }
}
