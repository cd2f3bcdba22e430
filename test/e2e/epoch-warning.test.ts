/**
 * The missing Redis epoch at start: on an empty database it is a first start and logs at info;
 * after Redis lost its data while PostgreSQL still has queued pages it stays a warning.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { deletePrefix, testPrefix } from '../helpers/redis.js';
import { eventually, runCli, startDaemon, type TestEnv } from '../helpers/spiderd.js';

interface Line {
  level: number;
  msg: string;
  queued?: number;
}

async function epochLine(env: TestEnv): Promise<Line> {
  const daemon = startDaemon(env, ['--workers', '1', '--concurrency', '1']);
  try {
    const lines = () =>
      daemon
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Line);
    return await eventually(async () => lines().find((l) => l.msg.includes('holds no spiderd epoch')), 'the epoch line');
  } finally {
    daemon.child.kill('SIGTERM');
    await daemon.exited;
  }
}

describe('the missing-epoch message at start', () => {
  let db: TestDatabase;
  let env: TestEnv;

  before(async () => {
    db = await createTestDatabase();
    env = { databaseUrl: db.url, prefix: testPrefix(), extra: { SPIDERD_LOG_LEVEL: 'info' } };
  });

  after(async () => {
    await deletePrefix(env.prefix);
    await db?.drop();
  });

  test('a first start on an empty database logs it at info, not as a warning', async () => {
    const line = await epochLine(env);
    assert.equal(line.level, 30, JSON.stringify(line));
    assert.match(line.msg, /no queued pages/);
  });

  test('Redis lost its data while PostgreSQL has queued pages: a warning naming how many', async () => {
    const enq = await runCli(env, ['enqueue', 'http://127.0.0.1:9/a', 'http://127.0.0.1:9/b', '--crawl', 'lost']);
    assert.equal(enq.code, 0, enq.stderr);
    await deletePrefix(env.prefix); // what a Redis restart without persistence leaves
    const line = await epochLine(env);
    assert.equal(line.level, 40, JSON.stringify(line));
    assert.equal(line.queued, 2);
    assert.match(line.msg, /Redis lost its data/);
  });
});
