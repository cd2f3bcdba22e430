/**
 * A Redis password rotated under a running daemon, and a daemon started with a wrong one:
 * ioredis's errors carry the AUTH command with its password, and none of it may reach the
 * daemon's log. Runs against a redis-server of the test's own (the shared one is never touched).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { startOwnRedis, type OwnRedis } from '../helpers/own-redis.js';
import { testPrefix } from '../helpers/redis.js';
import { eventually, startDaemon, type Daemon, type TestEnv } from '../helpers/spiderd.js';

describe('a rotated Redis password never reaches the log', () => {
  const oldPassword = `old-${randomBytes(8).toString('hex')}`;
  const newPassword = `new-${randomBytes(8).toString('hex')}`;
  let redis: OwnRedis;
  let db: TestDatabase;
  const daemons: Daemon[] = [];
  const prefix = testPrefix();

  before(async () => {
    redis = await startOwnRedis({ password: oldPassword });
    db = await createTestDatabase();
  });

  after(async () => {
    for (const d of daemons) if (d.child.exitCode === null && d.child.signalCode === null) d.child.kill('SIGKILL');
    await Promise.all(daemons.map((d) => d.exited));
    await redis?.stop();
    await db?.drop();
  });

  function env(password: string): TestEnv {
    return { databaseUrl: db.url, prefix, redisUrl: redis.url(password), extra: { SPIDERD_LOG_LEVEL: 'debug' } };
  }

  function assertClean(output: string): void {
    for (const secret of [oldPassword, newPassword]) {
      const lines = output.split('\n').filter((l) => l.includes(secret));
      assert.equal(lines.length, 0, `${lines.length} log lines carry a password, e.g. ${lines[0]?.replaceAll(secret, '<the password>')}`);
    }
  }

  test('rotated under a running daemon: the reconnects fail with WRONGPASS and no log line carries either password', async () => {
    const daemon = startDaemon(env(oldPassword), ['--workers', '1', '--concurrency', '2']);
    daemons.push(daemon);
    const admin = redis.client(oldPassword);
    try {
      await eventually(async () => (await admin.scard(`${prefix}:daemons`)) > 0, 'the daemon registers in Redis');
      await admin.config('SET', 'requirepass', newPassword);
      // Existing connections stay authenticated; dropping them makes every client log in again.
      await admin.client('KILL', 'TYPE', 'normal');
    } finally {
      admin.disconnect();
    }
    await eventually(async () => (daemon.output().match(/WRONGPASS/g) ?? []).length >= 10, 'the daemon logs failed logins', 600, 200);
    daemon.child.kill('SIGTERM');
    daemon.child.kill('SIGTERM'); // a second signal forces: Redis cannot be drained into any more
    await daemon.exited;
    assertClean(daemon.output());
  });

  test('a daemon started with the old password fails to start and prints neither password', async () => {
    const daemon = startDaemon(env(oldPassword), ['--workers', '1']);
    daemons.push(daemon);
    const exit = await daemon.exited;
    assert.notEqual(exit.code, 0, daemon.output());
    assert.match(daemon.output(), /SPIDERD_REDIS_/);
    assertClean(daemon.output());
  });
});
