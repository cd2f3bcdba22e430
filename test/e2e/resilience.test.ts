/**
 * Processes die, Redis drops its connections and daemons stop mid-crawl: nothing discovered is
 * lost, no page row is duplicated, and a drained shutdown leaves no half-written page.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, afterEach, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { CRAWLER_MMAP_THRESHOLD, CRAWLER_SEMI_SPACE_MB } from '../../src/daemon/supervisor.js';
import { redisKeys } from '../../src/shared/keys.js';
import { readDaemons } from '../../src/shared/presence.js';
import { startSampleSite, type SampleSite } from '../../src/sample-site/server.js';
import { createTestDatabase, queryDb as query, type TestDatabase } from '../helpers/db.js';
import { deletePrefix, REDIS_URL, testPrefix } from '../helpers/redis.js';
import { eventually, isAlive, runCli, startDaemon, type Daemon, type TestEnv } from '../helpers/spiderd.js';

// Slow enough that the crawl is still running when a process is killed or the daemon stopped.
const SLOW = ['--per-host-delay', '15', '--per-host-concurrency', '2'];

describe('resilience', () => {
  let db: TestDatabase;
  let env: TestEnv;
  let site: SampleSite;
  let redis: Redis;
  const daemons: Daemon[] = [];

  before(async () => {
    db = await createTestDatabase();
    // Short job locks: pages held by a killed process are redelivered within seconds.
    env = { databaseUrl: db.url, prefix: testPrefix(), extra: { SPIDERD_JOB_LOCK_MS: '3000' } };
    site = await startSampleSite({ pages: 300 });
    redis = new Redis(REDIS_URL);
  });

  afterEach(async () => {
    for (const d of daemons.splice(0)) {
      if (d.child.exitCode === null && d.child.signalCode === null) {
        d.child.kill('SIGKILL');
        await d.exited;
        assert.fail('a daemon was left running');
      }
    }
  });

  after(async () => {
    redis.disconnect();
    await site.close();
    await deletePrefix(env.prefix);
    await db.drop();
  });

  const fetchedCount = async (crawl: string) =>
    Number((await query<{ n: string }>(db.url, 'SELECT count(*) AS n FROM pages p JOIN crawls c ON c.id = p.crawl_id WHERE c.name = $1 AND state = $2', [crawl, 'fetched']))[0]!.n);

  test('a killed crawler process is respawned and the crawl still stores every page once', async () => {
    const daemon = startDaemon(env, ['--workers', '2', '--concurrency', '4']);
    daemons.push(daemon);
    assert.equal((await runCli(env, ['enqueue', site.seedUrl, '--crawl', 'killed', ...SLOW])).code, 0);
    await eventually(async () => (await fetchedCount('killed')) >= 20, '20 pages fetched');
    const keys = redisKeys(env.prefix);
    const [record] = await readDaemons(redis, keys);
    const victim = record!.processes.find((p) => p.workerId !== 'supervisor' && p.pid !== null)!;
    process.kill(victim.pid!, 'SIGKILL');
    const replaced = await eventually(async () => {
      const [r] = await readDaemons(redis, keys);
      const slot = r?.processes.find((p) => p.workerId === victim.workerId);
      return slot && slot.pid !== null && slot.pid !== victim.pid && slot.state === 'running' ? slot : undefined;
    }, 'the killed slot to be respawned');
    assert.ok(replaced.restarts >= 1);
    assert.ok(!isAlive(victim.pid!));
    // A respawned process gets the crawler environment too: snapshot buffers go back to the OS (supervisor.ts crawlerEnv).
    const environ = readFileSync(`/proc/${replaced.pid}/environ`, 'latin1').split('\0');
    assert.ok(environ.includes(`MALLOC_MMAP_THRESHOLD_=${CRAWLER_MMAP_THRESHOLD}`), 'the respawned crawler has the glibc mmap threshold');
    const argv = readFileSync(`/proc/${replaced.pid}/cmdline`, 'latin1').split('\0');
    assert.ok(argv.includes(`--max-semi-space-size=${CRAWLER_SEMI_SPACE_MB}`), 'the respawned crawler has the semi-space cap');
    assert.equal((await runCli(env, ['status', '--crawl', 'killed', '--wait'])).code, 0);
    const rows = await query<{ url: string; state: string }>(db.url, `SELECT url, state FROM pages p JOIN crawls c ON c.id = p.crawl_id WHERE c.name = 'killed'`);
    assert.deepEqual(rows.filter((r) => r.state === 'fetched').map((r) => r.url).sort(), [...site.expected.fetchable].sort());
    assert.equal(new Set(rows.map((r) => r.url)).size, rows.length);
    daemon.child.kill('SIGTERM');
    assert.equal((await daemon.exited).code, 0);
  });

  test('Redis drops every spiderd connection mid-crawl: they reconnect and the crawl stores every page once', async () => {
    const daemon = startDaemon(env, ['--workers', '2', '--concurrency', '4']);
    daemons.push(daemon);
    assert.equal((await runCli(env, ['enqueue', site.seedUrl, '--crawl', 'dropped', ...SLOW])).code, 0);
    await eventually(async () => (await fetchedCount('dropped')) >= 20, '20 pages fetched');
    // spiderd names its connections spiderd:*; BullMQ renames the ones it uses <prefix>:*.
    const ours = (await redis.client('LIST') as string).split('\n').map((line) => ({ id: /\bid=(\d+)/.exec(line)?.[1], name: /\bname=(\S*)/.exec(line)?.[1] ?? '' }))
      .filter((c) => c.id !== undefined && (c.name.startsWith('spiderd:') || c.name.startsWith(`${env.prefix}:`)));
    assert.ok(ours.length >= 4, `the daemon's connections were found (${ours.length})`);
    for (const c of ours) await redis.client('KILL', 'ID', c.id!);
    assert.equal((await runCli(env, ['status', '--crawl', 'dropped', '--wait'])).code, 0);
    const rows = await query<{ url: string; state: string }>(db.url, `SELECT url, state FROM pages p JOIN crawls c ON c.id = p.crawl_id WHERE c.name = 'dropped'`);
    assert.deepEqual(rows.filter((r) => r.state === 'fetched').map((r) => r.url).sort(), [...site.expected.fetchable].sort());
    assert.equal(new Set(rows.map((r) => r.url)).size, rows.length);
    daemon.child.kill('SIGTERM');
    assert.equal((await daemon.exited).code, 0, daemon.output());
  });

  test('SIGTERM mid-crawl exits 0 with no half-written page, and a new daemon finishes the crawl', async () => {
    const first = startDaemon(env, ['--workers', '2', '--concurrency', '4']);
    daemons.push(first);
    assert.equal((await runCli(env, ['enqueue', site.seedUrl, '--crawl', 'stopped', ...SLOW])).code, 0);
    await eventually(async () => (await fetchedCount('stopped')) >= 20, '20 pages fetched');
    first.child.kill('SIGTERM');
    const exit = await first.exited;
    assert.equal(exit.code, 0, first.output());
    const partial = await query<{ url: string; state: string; title: string | null; fetched_at: Date | null; content_hash: string | null }>(
      db.url,
      `SELECT url, state, title, fetched_at, content_hash FROM pages p JOIN crawls c ON c.id = p.crawl_id WHERE c.name = 'stopped'`,
    );
    assert.ok(partial.some((r) => r.state === 'queued'), 'the crawl was interrupted, not finished');
    for (const r of partial.filter((x) => x.state === 'fetched')) assert.ok(r.title && r.fetched_at && r.content_hash, `complete row ${r.url}`);
    for (const r of partial.filter((x) => x.state === 'queued')) assert.equal(r.fetched_at, null);

    const second = startDaemon(env, ['--workers', '2', '--concurrency', '4']);
    daemons.push(second);
    assert.equal((await runCli(env, ['status', '--crawl', 'stopped', '--wait'])).code, 0);
    const rows = await query<{ url: string; state: string }>(db.url, `SELECT url, state FROM pages p JOIN crawls c ON c.id = p.crawl_id WHERE c.name = 'stopped'`);
    assert.deepEqual(rows.filter((r) => r.state === 'fetched').map((r) => r.url).sort(), [...site.expected.fetchable].sort());
    second.child.kill('SIGTERM');
    assert.equal((await second.exited).code, 0);
  });
});
