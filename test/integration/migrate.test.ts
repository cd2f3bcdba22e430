/**
 * migrate() (src/shared/db/migrate.ts) against real, throwaway PostgreSQL databases: it
 * creates a missing database, applies each migration once (also when two daemons start at
 * the same time), records it the way `prisma migrate deploy` does, and refuses to run when an
 * applied migration file was changed.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import pg from 'pg';
import { migrate } from '../../src/shared/db/migrate.js';
import { SpiderdError } from '../../src/shared/errors.js';
import { ADMIN_URL } from '../helpers/db.js';

const MIGRATIONS = fileURLToPath(new URL('../../../prisma/migrations/', import.meta.url));
const NAMES = readdirSync(MIGRATIONS, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
const created: string[] = [];
const tempDirs: string[] = [];

/** A database name nobody else uses; migrate() creates it, after() drops it. */
function freshDatabaseUrl(): string {
  const name = `spiderd_migrate_${randomBytes(5).toString('hex')}`;
  created.push(name);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

interface MigrationRow { id: string; checksum: string; migration_name: string; finished_at: Date | null; rolled_back_at: Date | null; applied_steps_count: number; logs: string | null }
const rows = (url: string) => query<MigrationRow>(url, 'SELECT * FROM "_prisma_migrations" ORDER BY migration_name, started_at');

/** A copy of prisma/migrations the test may change. */
function migrationsCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'spiderd-migrations-'));
  tempDirs.push(dir);
  cpSync(MIGRATIONS, dir, { recursive: true });
  return dir;
}

after(async () => {
  for (const name of created) await query(ADMIN_URL, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

test('a missing database is created and migrated; running migrate() again changes nothing', async () => {
  const url = freshDatabaseUrl();
  const first = await migrate(url);
  assert.deepEqual(first, { applied: NAMES, alreadyApplied: 0 });
  const tables = await query<{ table_name: string }>(url, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1");
  assert.deepEqual(tables.map((t) => t.table_name), ['_prisma_migrations', 'crawl_hosts', 'crawls', 'leak_reports', 'pages']);
  const before = await rows(url);

  const second = await migrate(url);
  assert.deepEqual(second, { applied: [], alreadyApplied: NAMES.length });
  assert.deepEqual(await rows(url), before, '_prisma_migrations is untouched by a second run');
});

test('_prisma_migrations rows look like Prisma\'s: sha256 checksum of the file, finished, one step', async () => {
  const url = freshDatabaseUrl();
  await migrate(url);
  const recorded = await rows(url);
  assert.deepEqual(recorded.map((r) => r.migration_name), NAMES);
  for (const row of recorded) {
    const sha = createHash('sha256').update(readFileSync(join(MIGRATIONS, row.migration_name, 'migration.sql'))).digest('hex');
    assert.match(row.checksum, /^[0-9a-f]{64}$/);
    assert.equal(row.checksum, sha, `checksum of ${row.migration_name}`);
    assert.match(row.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.ok(row.finished_at instanceof Date, 'finished_at is set');
    assert.equal(row.rolled_back_at, null);
    assert.equal(row.applied_steps_count, 1);
  }
});

test('two daemons migrating a fresh database at once both succeed and apply each migration once', async () => {
  const url = freshDatabaseUrl();
  const results = await Promise.all([migrate(url), migrate(url)]);
  const applied = results.flatMap((r) => r.applied).sort();
  assert.deepEqual(applied, NAMES, 'each migration applied by exactly one of them');
  assert.deepEqual(results.map((r) => r.applied.length + r.alreadyApplied), [NAMES.length, NAMES.length]);
  const recorded = await rows(url);
  assert.deepEqual(recorded.map((r) => r.migration_name), NAMES, 'one row per migration');
});

test('an applied migration that was edited afterwards stops migrate() with SPIDERD_MIGRATION_MODIFIED', async () => {
  const url = freshDatabaseUrl();
  const dir = migrationsCopy();
  await migrate(url, dir);
  const file = join(dir, NAMES[0]!, 'migration.sql');
  writeFileSync(file, `${readFileSync(file, 'utf8')}\n-- edited after it was applied\n`);
  await assert.rejects(migrate(url, dir), (err: unknown) => {
    assert.ok(err instanceof SpiderdError);
    assert.equal(err.code, 'SPIDERD_MIGRATION_MODIFIED');
    assert.match(err.message, new RegExp(NAMES[0]!));
    return true;
  });
});

test('a failing migration is rolled back whole and reported as SPIDERD_MIGRATION_FAILED', async () => {
  const url = freshDatabaseUrl();
  const dir = migrationsCopy();
  await migrate(url, dir);
  const bad = '99990101000000_broken';
  mkdirSync(join(dir, bad));
  writeFileSync(join(dir, bad, 'migration.sql'), 'CREATE TABLE "half_done" (id INTEGER);\nSELECT 1 / 0;\n');
  await assert.rejects(migrate(url, dir), (err: unknown) => {
    assert.ok(err instanceof SpiderdError);
    assert.equal(err.code, 'SPIDERD_MIGRATION_FAILED');
    assert.match(err.message, /division by zero/);
    return true;
  });
  const halfDone = await query(url, "SELECT 1 FROM information_schema.tables WHERE table_name = 'half_done'");
  assert.equal(halfDone.length, 0, 'the statements before the failure were rolled back');
  const row = (await rows(url)).find((r) => r.migration_name === bad)!;
  assert.equal(row.finished_at, null);
  assert.ok(row.rolled_back_at instanceof Date);
  assert.match(row.logs ?? '', /division by zero/);

  // Fixed file: the next run applies it (a rolled-back attempt does not count as applied).
  writeFileSync(join(dir, bad, 'migration.sql'), 'CREATE TABLE "half_done" (id INTEGER);\n');
  assert.deepEqual((await migrate(url, dir)).applied, [bad]);
});
