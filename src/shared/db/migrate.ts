/**
 * Applies prisma/migrations the way `prisma migrate deploy` does, without Prisma's native
 * schema engine (which cannot be downloaded everywhere): under an advisory lock, so that
 * several daemons starting at once are safe; each pending migration.sql runs as one simple
 * query (one implicit transaction: a failing file rolls back whole) and is recorded in
 * _prisma_migrations exactly as Prisma records it, so the real CLI sees it as applied.
 * Creates the database first if it does not exist.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { SpiderdError, coerceError } from '../errors.js';
import { postgresConnectError } from './connect-error.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('../../../../prisma/migrations/', import.meta.url));
const LOCK_KEY = 72_707_369; // arbitrary, constant: "spiderd migrations"

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum" VARCHAR(64) NOT NULL,
    "finished_at" TIMESTAMPTZ,
    "migration_name" VARCHAR(255) NOT NULL,
    "logs" TEXT,
    "rolled_back_at" TIMESTAMPTZ,
    "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

export interface MigrationResult {
  applied: string[];
  alreadyApplied: number;
}

export async function migrate(databaseUrl: string, migrationsDir = MIGRATIONS_DIR): Promise<MigrationResult> {
  await ensureDatabase(databaseUrl);
  const client = new pg.Client({ connectionString: databaseUrl });
  try {
    await client.connect();
  } catch (err) {
    throw postgresConnectError(err, databaseUrl);
  }
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    await client.query(CREATE_TABLE);
    const done = await client.query<{ migration_name: string; checksum: string }>(
      'SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
    );
    const applied = new Map(done.rows.map((r) => [r.migration_name, r.checksum]));
    const names = await migrationNames(migrationsDir);
    const result: MigrationResult = { applied: [], alreadyApplied: 0 };
    for (const name of names) {
      const sql = await readFile(`${migrationsDir}/${name}/migration.sql`);
      const checksum = createHash('sha256').update(sql).digest('hex');
      const known = applied.get(name);
      if (known !== undefined) {
        if (known !== checksum) throw new SpiderdError('SPIDERD_MIGRATION_MODIFIED', `migration ${name} was modified after it was applied (checksum differs)`);
        result.alreadyApplied++;
        continue;
      }
      await applyOne(client, name, sql.toString('utf8'), checksum);
      result.applied.push(name);
    }
    return result;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => undefined);
    await client.end();
  }
}

async function migrationNames(migrationsDir: string): Promise<string[]> {
  return (await readdir(migrationsDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
}

/** The migrations this spiderd knows that the connected database has not applied (all of them for an empty database). Reads only. */
export async function pendingMigrations(client: pg.Client, migrationsDir = MIGRATIONS_DIR): Promise<string[]> {
  const names = await migrationNames(migrationsDir);
  const table = await client.query<{ t: string | null }>(`SELECT to_regclass('"_prisma_migrations"')::text AS t`);
  if (table.rows[0]?.t == null) return names;
  const done = await client.query<{ migration_name: string }>('SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL');
  const applied = new Set(done.rows.map((r) => r.migration_name));
  return names.filter((n) => !applied.has(n));
}

async function applyOne(client: pg.Client, name: string, sql: string, checksum: string): Promise<void> {
  const id = randomUUID();
  await client.query('INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)', [id, checksum, name]);
  try {
    await client.query(sql);
  } catch (err) {
    const message = coerceError(err).message;
    await client.query('UPDATE "_prisma_migrations" SET logs = $2, rolled_back_at = now() WHERE id = $1', [id, message]);
    throw new SpiderdError('SPIDERD_MIGRATION_FAILED', `migration ${name} failed and was rolled back: ${message}`, { cause: err });
  }
  await client.query('UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1', [id]);
}

/** CREATE DATABASE when the target does not exist yet (a fresh machine). */
async function ensureDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  if (!name) return;
  const probe = new pg.Client({ connectionString: databaseUrl });
  try {
    await probe.connect();
    return;
  } catch (err) {
    if ((err as { code?: string }).code !== '3D000') return; // not "database does not exist": migrate() reports it
  } finally {
    await probe.end().catch(() => undefined);
  }
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } catch (err) {
    const code = (err as { code?: string }).code;
    // 42P04: it exists. 23505: another daemon created it at the same moment (pg_database_datname_index).
    if (code !== '42P04' && code !== '23505') {
      throw new SpiderdError('SPIDERD_DB_UNAVAILABLE', `database "${name}" does not exist and could not be created: ${coerceError(err).message}`, { cause: err });
    }
  } finally {
    await admin.end().catch(() => undefined);
  }
}
