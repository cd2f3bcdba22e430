/**
 * Which database problem it is, said by the real CLI: a missing database is reported (never
 * created) by every command but `migrate`, `start` and `demo`; an empty one is reported as not
 * migrated (never migrated); a missing role, an unreachable server and a Redis that refuses the
 * password each get their own code. Real PostgreSQL, and a redis-server of the test's own.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { ADMIN_URL, createTestDatabase, queryDb, type TestDatabase } from '../helpers/db.js';
import { startOwnRedis, type OwnRedis } from '../helpers/own-redis.js';
import { runCli, startDaemon, type TestEnv } from '../helpers/spiderd.js';

function urlFor(database: string, user?: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  if (user !== undefined) url.username = user;
  return url.toString();
}

async function databaseExists(name: string): Promise<boolean> {
  return (await queryDb(ADMIN_URL, 'SELECT 1 FROM pg_database WHERE datname = $1', [name])).length > 0;
}

const READ_COMMANDS: string[][] = [
  ['status', '--json'],
  ['status'],
  ['export', '--crawl', 'x'],
  ['enqueue', 'http://example.com/', '--crawl', 'x'],
  ['requeue', '--all'],
  ['mem'],
];

describe('database and Redis connection problems, each named', () => {
  const missing = `spiderd_missing_${randomBytes(4).toString('hex')}`;
  const empty = `spiderd_empty_${randomBytes(4).toString('hex')}`;
  const password = `pw-${randomBytes(6).toString('hex')}`;
  let redis: OwnRedis;
  let db: TestDatabase;

  before(async () => {
    redis = await startOwnRedis({ password });
    db = await createTestDatabase();
    await queryDb(ADMIN_URL, `CREATE DATABASE "${empty}"`);
  });

  after(async () => {
    await redis?.stop();
    await db?.drop();
    for (const name of [missing, empty]) await queryDb(ADMIN_URL, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  });

  const env = (databaseUrl: string): TestEnv => ({ databaseUrl, prefix: `spt${randomBytes(4).toString('hex')}` });

  for (const args of READ_COMMANDS) {
    test(`spiderd ${args.join(' ')}: a missing database is reported and not created`, async () => {
      const r = await runCli(env(urlFor(missing)), args);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stderr, new RegExp(`^spiderd: SPIDERD_DB_MISSING: .*database "${missing}" does not exist; create it with \`spiderd migrate\``, 'm'));
      assert.equal(await databaseExists(missing), false);
    });
  }

  test('spiderd status on an empty database: not migrated, and nothing is created in it', async () => {
    const r = await runCli(env(urlFor(empty)), ['status', '--json']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^spiderd: SPIDERD_DB_NOT_MIGRATED: .*migrations are not applied .*run `spiderd migrate`/m);
    const tables = await queryDb(urlFor(empty), "SELECT tablename FROM pg_tables WHERE schemaname = 'public'");
    assert.deepEqual(tables, []);
  });

  test('spiderd migrate creates the missing database; status then works', async () => {
    const m = await runCli(env(urlFor(missing)), ['migrate']);
    assert.equal(m.code, 0, m.stderr);
    assert.equal(await databaseExists(missing), true);
    const s = await runCli(env(urlFor(missing)), ['status', '--json']);
    assert.equal(s.code, 0, s.stderr);
  });

  test('a role that does not exist: SPIDERD_DB_ROLE_MISSING, from the CLI and from the daemon', async () => {
    const role = `nosuchrole_${randomBytes(3).toString('hex')}`;
    const r = await runCli(env(urlFor(db.name, role)), ['status']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^spiderd: SPIDERD_DB_ROLE_MISSING: .*role "${role}" does not exist`, 'm'));
    assert.doesNotMatch(r.stderr, /not reachable/);
    const daemon = startDaemon(env(urlFor(db.name, role)), ['--workers', '1']);
    const exit = await daemon.exited;
    assert.equal(exit.code, 1, daemon.output());
    assert.match(daemon.output(), /SPIDERD_DB_ROLE_MISSING/);
  });

  test('a server that is not listening: SPIDERD_DB_UNAVAILABLE, "not reachable"', async () => {
    const r = await runCli(env('postgresql://postgres@127.0.0.1:1/spiderd'), ['status']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^spiderd: SPIDERD_DB_UNAVAILABLE: PostgreSQL at postgresql:\/\/postgres@127\.0\.0\.1:1\/spiderd is not reachable \(.*ECONNREFUSED/m);
  });

  test('Redis with requirepass: a wrong password and none at all are SPIDERD_REDIS_AUTH_FAILED; a closed port is SPIDERD_REDIS_UNAVAILABLE', async () => {
    for (const [redisUrl, code] of [
      [redis.url('wrong-password'), 'SPIDERD_REDIS_AUTH_FAILED'],
      [redis.url(), 'SPIDERD_REDIS_AUTH_FAILED'],
      ['redis://127.0.0.1:1', 'SPIDERD_REDIS_UNAVAILABLE'],
    ] as const) {
      const r = await runCli({ ...env(db.url), redisUrl }, ['status']);
      assert.equal(r.code, 1, `${redisUrl}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`^spiderd: ${code}: `, 'm'), redisUrl);
      assert.ok(!r.stderr.includes('wrong-password'), 'the password is not printed');
    }
    const ok = await runCli({ ...env(db.url), redisUrl: redis.url(password) }, ['status']);
    assert.equal(ok.code, 0, ok.stderr);
  });

  test('the daemon started with a wrong Redis password exits 1 with SPIDERD_REDIS_AUTH_FAILED', async () => {
    const daemon = startDaemon({ ...env(db.url), redisUrl: redis.url('wrong-password'), extra: { SPIDERD_CONNECT_TIMEOUT_MS: '2000' } }, ['--workers', '1']);
    const exit = await daemon.exited;
    assert.equal(exit.code, 1, daemon.output());
    assert.match(daemon.output(), /SPIDERD_REDIS_AUTH_FAILED: Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+: authentication failed \(WRONGPASS/);
  });
});
