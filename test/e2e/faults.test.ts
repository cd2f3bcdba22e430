/**
 * Four faults in a row during one crawl by the real daemon, as an operator would live them:
 * a crawler process killed with SIGKILL, Redis losing every key of the deployment (a FLUSHDB of
 * its data), PostgreSQL unreachable for 10 s (connections cut and refused, through a TCP proxy,
 * so other users of the database are not disturbed), and the supervisor killed with SIGKILL,
 * then a fresh daemon. Every page must be stored once; the orphaned crawler processes must exit
 * by themselves.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { redisKeys } from '../../src/shared/keys.js';
import { readDaemons } from '../../src/shared/presence.js';
import { startSampleSite, type SampleSite } from '../../src/sample-site/server.js';
import { createTestDatabase, queryDb, type TestDatabase } from '../helpers/db.js';
import { REDIS_URL, deletePrefix, testPrefix } from '../helpers/redis.js';
import { eventually, isAlive, runCli, startDaemon, type Daemon, type TestEnv } from '../helpers/spiderd.js';
import { tcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

let db: TestDatabase;
let site: SampleSite;
let proxy: TcpProxy;
let redis: Redis;
let daemonEnv: TestEnv;
let cliEnv: TestEnv;
const daemons: Daemon[] = [];

before(async () => {
  db = await createTestDatabase();
  proxy = await tcpProxy(5432);
  await proxy.open();
  const viaProxy = new URL(db.url);
  viaProxy.port = String(proxy.port);
  const prefix = testPrefix();
  // Short job locks so pages held by a killed process come back within seconds.
  const extra = { SPIDERD_JOB_LOCK_MS: '3000', SPIDERD_HEARTBEAT_MS: '1000' };
  daemonEnv = { databaseUrl: viaProxy.toString(), prefix, extra };
  cliEnv = { databaseUrl: db.url, prefix, extra };
  site = await startSampleSite({ pages: 1500 });
  redis = new Redis(REDIS_URL);
});

after(async () => {
  for (const d of daemons) if (d.child.exitCode === null && d.child.signalCode === null) d.child.kill('SIGKILL');
  redis.disconnect();
  await proxy.close();
  await site.close();
  await deletePrefix(cliEnv.prefix);
  await db.drop();
});

const fetched = async () => Number((await queryDb<{ n: string }>(db.url, "SELECT count(*) AS n FROM pages WHERE state = 'fetched'"))[0]!.n);
const atLeast = (n: number) => eventually(async () => (await fetched()) >= n, `${n} pages fetched`, 1500, 100);

test('kill -9 of a crawler, Redis data loss, PostgreSQL down 10 s, kill -9 of the supervisor: every page stored once', async () => {
  const keys = redisKeys(cliEnv.prefix);
  const first = startDaemon(daemonEnv, ['--workers', '2', '--concurrency', '4']);
  daemons.push(first);
  const enq = await runCli(cliEnv, ['enqueue', site.seedUrl, '--crawl', 'faults', '--per-host-delay', '5', '--per-host-concurrency', '4']);
  assert.equal(enq.code, 0, enq.stderr);

  // 1. A crawler process dies.
  await atLeast(150);
  const [record] = await readDaemons(redis, keys);
  const victim = record!.processes.find((p) => p.workerId !== 'supervisor' && p.pid !== null)!;
  process.kill(victim.pid!, 'SIGKILL');

  // 2. Redis loses every key of the deployment: the queue, the epoch, the robots cache, the leases.
  // At once, as a restart or FLUSHDB loses them: one script, so no crawler adds a job between
  // two deletions (deleting key by key can leave a job whose hash survives its queue list, a
  // state no real loss of data produces).
  await atLeast(350);
  await redis.eval(
    "local cursor = '0' repeat local r = redis.call('SCAN', cursor, 'MATCH', ARGV[1], 'COUNT', 1000) cursor = r[1] for _, k in ipairs(r[2]) do redis.call('DEL', k) end until cursor == '0' return 0",
    0,
    `${cliEnv.prefix}:*`,
  );

  // 3. PostgreSQL is unreachable for 10 s.
  await atLeast(550);
  await proxy.close();
  await sleep(10_000);
  await proxy.open();

  // 4. The supervisor dies; its crawler processes are orphaned, and a fresh daemon takes over.
  await atLeast(750);
  const [now] = await readDaemons(redis, keys);
  const orphans = now!.processes.filter((p) => p.workerId !== 'supervisor' && p.pid !== null).map((p) => p.pid!);
  first.child.kill('SIGKILL');
  await first.exited;
  const second = startDaemon(daemonEnv, ['--workers', '2', '--concurrency', '4']);
  daemons.push(second);
  await eventually(async () => orphans.every((pid) => !isAlive(pid)), 'the orphaned crawler processes to exit by themselves');

  const wait = await runCli(cliEnv, ['status', '--crawl', 'faults', '--wait']);
  assert.equal(wait.code, 0, wait.stderr);
  const rows = await queryDb<{ url: string; state: string; error_code: string | null }>(db.url, 'SELECT url, state, error_code FROM pages');
  const stored = rows.filter((r) => r.state === 'fetched').map((r) => r.url).sort();
  assert.deepEqual(stored, [...site.expected.fetchable].sort(), 'every page of the site is stored as fetched');
  assert.equal(new Set(rows.map((r) => r.url)).size, rows.length, 'no URL has two rows');
  assert.deepEqual(rows.filter((r) => r.state === 'failed' && !['SPIDERD_HTTP_4XX', 'SPIDERD_NOT_HTML'].includes(r.error_code ?? '')), [], 'no page failed because of a fault');

  const counts = new Map<string, number>();
  for (const p of site.requests) counts.set(p, (counts.get(p) ?? 0) + 1);
  const twice = [...counts].filter(([p, n]) => n > 1 && p !== '/robots.txt');
  // Only pages in flight when a process died or Redis lost its jobs may be fetched again: a few dozen at most.
  assert.ok(twice.length <= 60, `${twice.length} pages fetched more than once: ${JSON.stringify(twice.slice(0, 20))}`);
  process.stdout.write(`# faults: ${rows.length} rows, ${stored.length} fetched, ${twice.length} pages fetched twice\n`);

  second.child.kill('SIGTERM');
  assert.equal((await second.exited).code, 0, second.output().slice(-3000));
});
