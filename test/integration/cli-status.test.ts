/** `spiderd status` as a real process, on rows and heartbeats the test writes. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createDb, type Db } from '../../src/shared/db/client.js';
import { redisKeys } from '../../src/shared/keys.js';
import { writeHeartbeat, type DaemonRecord } from '../../src/shared/presence.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { deletePrefix, REDIS_URL, testPrefix } from '../helpers/redis.js';
import { runCli, type TestEnv } from '../helpers/spiderd.js';

interface StatusDoc {
  version: number;
  crawls: Array<Record<string, unknown> & { name: string; failedByCode: Record<string, number>; skippedByCode: Record<string, number> }>;
  daemons: Array<Record<string, unknown> & { processes: Array<Record<string, unknown>> }>;
}

describe('spiderd status', () => {
  let database: TestDatabase;
  let env: TestEnv;
  let db: Db;
  let redis: Redis;

  before(async () => {
    database = await createTestDatabase();
    env = { databaseUrl: database.url, prefix: testPrefix() };
    db = createDb({ databaseUrl: database.url });
    redis = new Redis(REDIS_URL);
    const news = await db.crawl.create({ data: { name: 'news', options: { scope: 'host', maxDepth: 4 }, seedHosts: ['news.test'] } });
    const now = Date.now();
    const page = (i: number, state: 'queued' | 'fetched' | 'failed' | 'skipped', errorCode: string | null = null) => ({
      crawlId: news.id, url: `http://news.test/${i}`, depth: 1, state, errorCode, fetchedAt: state === 'queued' ? null : new Date(now - 1_000 * i),
    });
    await db.page.createMany({
      data: [
        ...Array.from({ length: 6 }, (_, i) => page(i, 'fetched')),
        page(10, 'failed', 'SPIDERD_HTTP_4XX'), page(11, 'failed', 'SPIDERD_HTTP_4XX'), page(12, 'failed', 'SPIDERD_NOT_HTML'),
        page(13, 'skipped', 'SPIDERD_ROBOTS_DISALLOWED'), page(14, 'queued'), page(15, 'queued'),
      ],
    });
    const done = await db.crawl.create({ data: { name: 'done', options: {}, seedHosts: ['done.test'] } });
    await db.page.create({ data: { crawlId: done.id, url: 'http://done.test/', depth: 0, state: 'fetched', fetchedAt: new Date() } });
    const record: DaemonRecord = {
      daemonId: 'host-a-1', host: 'host-a', pid: 4242, version: '0.1.0', startedAt: now - 90_000, lastSeen: now, snapshotDir: '/tmp/x',
      processes: [
        { workerId: 'supervisor', pid: 4242, startedAt: now - 90_000, jobsDone: 0, restarts: 0, state: 'running', lastSample: null },
        { workerId: 'w1', pid: 4243, startedAt: now - 30_000, jobsDone: 57, restarts: 1, state: 'running', lastSample: null },
      ],
    };
    await writeHeartbeat(redis, redisKeys(env.prefix), record, 60_000);
  });

  after(async () => {
    redis.disconnect();
    await db.$disconnect();
    await deletePrefix(env.prefix);
    await database.drop();
  });

  it('--json prints one versioned document with crawl counts and live daemons', async () => {
    const r = await runCli(env, ['status', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as StatusDoc;
    assert.equal(doc.version, 1);
    assert.deepEqual(doc.crawls.map((c) => c.name), ['news', 'done']);
    const news = doc.crawls[0]!;
    assert.deepEqual(
      { discovered: news.discovered, queued: news.queued, inFlight: news.inFlight, fetched: news.fetched, failed: news.failed, skipped: news.skipped, finished: news.finished },
      { discovered: 12, queued: 2, inFlight: 0, fetched: 6, failed: 3, skipped: 1, finished: false },
    );
    assert.deepEqual(news.failedByCode, { SPIDERD_HTTP_4XX: 2, SPIDERD_NOT_HTML: 1 });
    assert.deepEqual(news.skippedByCode, { SPIDERD_ROBOTS_DISALLOWED: 1 });
    assert.ok((news.pagesPerSecond as number) > 0, 'pages were fetched in the last minute');
    assert.equal((news.options as { maxDepth: number }).maxDepth, 4);
    assert.ok(!Number.isNaN(Date.parse(news.createdAt as string)));
    assert.equal(doc.crawls[1]!.finished, true);
    assert.equal(doc.daemons.length, 1);
    const daemon = doc.daemons[0]!;
    assert.equal(daemon.daemonId, 'host-a-1');
    assert.equal(daemon.host, 'host-a');
    assert.ok((daemon.uptimeSeconds as number) >= 90);
    assert.deepEqual(daemon.processes[1], { ...daemon.processes[1], workerId: 'w1', pid: 4243, jobsDone: 57, restarts: 1, state: 'running' });
  });

  it('prints a readable summary, and never a password', async () => {
    const url = new URL(database.url);
    url.password = 'hunter2-secret';
    const r = await runCli({ ...env, databaseUrl: url.toString() }, ['status']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /crawl "news"\s+running/);
    assert.match(r.stdout, /failed:\s+SPIDERD_HTTP_4XX 2, SPIDERD_NOT_HTML 1/);
    assert.match(r.stdout, /host-a-1 .*pid 4242/);
    assert.match(r.stdout, /w1 .*jobs 57\s+restarts 1/);
    assert.ok(!`${r.stdout}${r.stderr}`.includes('hunter2'), 'no password in the output');
  });

  it('--crawl narrows, --wait returns once the crawl is finished', async () => {
    const r = await runCli(env, ['status', '--crawl', 'done', '--wait', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as StatusDoc;
    assert.deepEqual(doc.crawls.map((c) => [c.name, c.finished]), [['done', true]]);
  });

  it('exits 2 for an unknown crawl, and for --wait without --crawl', async () => {
    const unknown = await runCli(env, ['status', '--crawl', 'nope']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /SPIDERD_CRAWL_NOT_FOUND: no crawl named "nope"/);
    const wait = await runCli(env, ['status', '--wait']);
    assert.equal(wait.code, 2);
    assert.match(wait.stderr, /--wait needs --crawl/);
  });
});
