/**
 * A plain `pg` pool, for the processes that only read a little and must stay small (the
 * supervisor's requeue and reconcile). Crawler processes and CLI commands use Prisma (client.ts).
 */
import pg from 'pg';
import type { Config } from '../config.js';

export type PgPool = pg.Pool;

export function createPgPool(config: Pick<Config, 'databaseUrl'>, options: { max?: number; connectTimeoutMs?: number } = {}): pg.Pool {
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: options.max ?? 2, connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000 });
  // An idle client that loses its server (PostgreSQL restarting) emits 'error' on the pool; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}
