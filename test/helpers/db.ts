/**
 * One PostgreSQL database per test file, cloned from a migrated template
 * (CREATE DATABASE ... TEMPLATE ...), dropped afterwards.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { migrate } from '../../src/shared/db/migrate.js';

export const ADMIN_URL = process.env.TEST_ADMIN_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const MIGRATIONS = fileURLToPath(new URL('../../../prisma/migrations/', import.meta.url));

function urlFor(name: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** The template's name changes whenever a migration changes, so a stale template is never used. */
function templateName(): string {
  const hash = createHash('sha256');
  for (const dir of readdirSync(MIGRATIONS).sort()) {
    if (dir.endsWith('.toml')) continue;
    hash.update(dir).update(readFileSync(`${MIGRATIONS}/${dir}/migration.sql`));
  }
  return `spiderd_tpl_${hash.digest('hex').slice(0, 12)}`;
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const template = templateName();
  await admin(async (c) => {
    await c.query('SELECT pg_advisory_lock(727073)');
    try {
      const exists = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
      if (exists.rowCount === 0) {
        await migrate(urlFor(template));
        await c.query(`ALTER DATABASE "${template}" WITH is_template = true`);
      }
    } finally {
      await c.query('SELECT pg_advisory_unlock(727073)');
    }
  });
  const name = `spiderd_test_${randomBytes(5).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
  return {
    name,
    url: urlFor(name),
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

/** One query against a test database (a fresh connection, closed afterwards). */
export async function queryDb<T>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}
