/**
 * End to end on a local 3-master Redis Cluster (test/helpers/redis-cluster.ts), the page queue
 * sharded by host (--redis-cluster, default 16 shards): three sample sites on three ports are
 * three hosts, so one crawl's jobs sit in several shards on several masters. The real CLI and the
 * real daemons crawl them; PostgreSQL must hold every page exactly once.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { keysFor } from '../../src/shared/keys.js';
import { startSampleSite, type SampleSite } from '../../src/sample-site/server.js';
import { createTestDatabase, queryDb, type TestDatabase } from '../helpers/db.js';
import { startTestCluster, type TestCluster } from '../helpers/redis-cluster.js';
import { testPrefix } from '../helpers/redis.js';
import { eventually, runCli, startDaemon, type Daemon, type TestEnv } from '../helpers/spiderd.js';

interface Row {
  url: string;
  state: string;
  error_code: string | null;
}

let cluster: TestCluster;

before(async () => {
  cluster = await startTestCluster();
});

after(async () => {
  await cluster?.stop();
});

function clusterEnv(db: TestDatabase, extra: Record<string, string> = {}): TestEnv {
  return { databaseUrl: db.url, prefix: testPrefix(), redisUrl: cluster.url, extra: { SPIDERD_REDIS_CLUSTER: '1', ...extra } };
}

async function startSites(count: number, pages: number): Promise<SampleSite[]> {
  return Promise.all(Array.from({ length: count }, () => startSampleSite({ pages })));
}

const rowsOf = (db: TestDatabase) => queryDb<Row>(db.url, 'SELECT url, state, error_code FROM pages ORDER BY id');

function assertEveryPageOnce(rows: Row[], sites: SampleSite[]): void {
  const fetched = rows.filter((r) => r.state === 'fetched').map((r) => r.url).sort();
  assert.deepEqual(fetched, sites.flatMap((s) => s.expected.fetchable).sort(), 'every page of every site is stored as fetched');
  assert.equal(new Set(rows.map((r) => r.url)).size, rows.length, 'no URL has two rows');
  assert.deepEqual(rows.filter((r) => r.state === 'failed' && !['SPIDERD_HTTP_4XX', 'SPIDERD_NOT_HTML'].includes(r.error_code ?? '')), [], 'no page failed because of the cluster');
}

/** Paths a site served more than once (robots.txt aside). */
function twice(site: SampleSite): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const p of site.requests) counts.set(p, (counts.get(p) ?? 0) + 1);
  return [...counts].filter(([p, n]) => n > 1 && p !== '/robots.txt');
}

/** The port of the master that holds shard k (the node that answers for its epoch key without a MOVED). */
async function masterOf(key: string): Promise<number> {
  for (const port of cluster.ports) {
    const ok = await cluster.node(port).exists(key).then(() => true, () => false);
    if (ok) return port;
  }
  throw new Error(`no master answers for ${key}`);
}

describe('a crawl of three sample sites on a 3-master Redis Cluster', () => {
  let db: TestDatabase;
  let env: TestEnv;
  let sites: SampleSite[];
  let daemon: Daemon;
  let rows: Row[];
  let exported: string;
  let statusJson: { crawls: Array<{ name: string; finished: boolean; fetched: number }> };

  before(async () => {
    db = await createTestDatabase();
    env = clusterEnv(db, { SPIDERD_LOG_LEVEL: 'info' }); // recycles are logged at info
    sites = await startSites(3, 120);
    // Crawler processes recycle themselves every 60 pages (the leak sentinel is on, by default).
    daemon = startDaemon(env, ['--workers', '2', '--concurrency', '8', '--max-jobs-per-worker', '60']);
    const enq = await runCli(env, ['enqueue', ...sites.map((s) => s.seedUrl), '--crawl', 'site', '--per-host-delay', '0', '--per-host-concurrency', '8']);
    assert.equal(enq.code, 0, enq.stderr);
    assert.match(enq.stdout, /3 new seeds/);
    const wait = await runCli(env, ['status', '--crawl', 'site', '--wait']);
    assert.equal(wait.code, 0, wait.stderr);
    rows = await rowsOf(db);
    statusJson = JSON.parse((await runCli(env, ['status', '--crawl', 'site', '--json'])).stdout) as typeof statusJson;
    const exp = await runCli(env, ['export', '--crawl', 'site', '--format', 'jsonl']);
    assert.equal(exp.code, 0, exp.stderr);
    exported = exp.stdout;
    daemon.child.kill('SIGTERM');
    assert.equal((await daemon.exited).code, 0, daemon.output().slice(-3000));
  });

  after(async () => {
    if (daemon && daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
    for (const s of sites ?? []) await s.close();
    await db?.drop();
  });

  test('every page is stored exactly once, none requested twice, robots.txt once per site', () => {
    assertEveryPageOnce(rows, sites);
    for (const site of sites) {
      assert.deepEqual(twice(site), [], site.origin);
      assert.equal(site.requests.filter((p) => p === '/robots.txt').length, 1, `${site.origin}/robots.txt fetched once`);
    }
  });

  test('crawler processes recycled during the crawl, and no page was lost', () => {
    const recycles = daemon.output().split('\n').filter((line) => line.includes('crawler process recycled; starting a new one')).length;
    assert.ok(recycles >= 2, `${recycles} recycles`);
  });

  test('status and export read the crawl from the cluster deployment', () => {
    assert.equal(statusJson.crawls[0]?.finished, true);
    assert.equal(statusJson.crawls[0]?.fetched, rows.filter((r) => r.state === 'fetched').length);
    assert.equal(exported.trim().split('\n').length, rows.length);
  });
});

describe('two daemons share a crawl on the cluster; mem and heap snapshot reach a crawler process', () => {
  let db: TestDatabase;
  let env: TestEnv;
  let sites: SampleSite[];
  let daemons: Daemon[];
  let dir: string;

  before(async () => {
    db = await createTestDatabase();
    dir = path.join(await mkdtemp(path.join(os.tmpdir(), 'spiderd-cluster-e2e-')), 'snaps');
    env = clusterEnv(db, { SPIDERD_SNAPSHOT_DIR: dir, SPIDERD_LEAK_SENTINEL: 'false', SPIDERD_LOG_LEVEL: 'info' });
    sites = await startSites(3, 150);
    daemons = [
      startDaemon(env, ['--workers', '1', '--concurrency', '4', '--daemon-id', 'cluster-a']),
      startDaemon(env, ['--workers', '1', '--concurrency', '4', '--daemon-id', 'cluster-b']),
    ];
  });

  after(async () => {
    for (const d of daemons ?? []) if (d.child.exitCode === null) d.child.kill('SIGKILL');
    for (const s of sites ?? []) await s.close();
    await db?.drop();
    if (dir) await rm(path.dirname(dir), { recursive: true, force: true });
  });

  test('mem lists both daemons; a heap snapshot of a crawler process; every page stored once and requested once', async () => {
    // A per-host gap keeps the crawl running while mem and heap are asked.
    const enq = await runCli(env, ['enqueue', ...sites.map((s) => s.seedUrl), '--crawl', 'shared', '--per-host-delay', '20', '--per-host-concurrency', '4']);
    assert.equal(enq.code, 0, enq.stderr);
    await eventually(async () => (await queryDb<{ n: number }>(db.url, "SELECT count(*)::int AS n FROM pages WHERE state = 'fetched'"))[0]!.n >= 10, 'some pages fetched');

    const mem = await eventually(async () => {
      const r = await runCli(env, ['mem', '--json']);
      const doc = JSON.parse(r.stdout) as { processes: Array<{ daemonId: string; workerId: string; pid: number | null; rss: number | null }> };
      const crawlers = doc.processes.filter((p) => p.workerId === 'w1' && p.rss !== null);
      return crawlers.length === 2 ? doc : null;
    }, 'mem to list a sampled w1 in both daemons');
    assert.deepEqual([...new Set(mem.processes.map((p) => p.daemonId))].sort(), ['cluster-a', 'cluster-b']);

    const snap = await runCli(env, ['heap', 'snapshot', '--daemon', 'cluster-b', '--worker', 'w1', '--label', 'cluster']);
    assert.equal(snap.code, 0, `${snap.stderr}\ndaemon cluster-b's log:\n${daemons[1]!.output().slice(-6000)}`);
    const file = /: (\S+\.heapsnapshot) \(/.exec(snap.stdout)?.[1];
    assert.ok(file, snap.stdout);
    assert.equal(path.dirname(file), dir);
    assert.ok((await stat(file)).size > 100_000, `${file} holds a heap`);

    const wait = await runCli(env, ['status', '--crawl', 'shared', '--wait']);
    assert.equal(wait.code, 0, wait.stderr);
    assertEveryPageOnce(await rowsOf(db), sites);
    // /old/N redirects to /page/N, which the crawl also reaches directly: that page may be requested twice by design.
    for (const site of sites) {
      const redirectTargets = new Set(site.expected.redirects.map((u) => new URL(u).pathname.replace(/^\/old\//, '/page/')));
      assert.deepEqual(twice(site).filter(([p]) => !redirectTargets.has(p)), [], `${site.origin}: no page fetched by both daemons`);
    }
    for (const d of daemons) d.child.kill('SIGTERM');
    for (const d of daemons) assert.equal((await d.exited).code, 0, d.output().slice(-3000));
  });
});

describe('one master flushed mid-crawl', () => {
  let db: TestDatabase;
  let env: TestEnv;
  let sites: SampleSite[];
  let daemon: Daemon;

  before(async () => {
    db = await createTestDatabase();
    // A fast epoch check (it runs every heartbeat) and short job locks.
    env = clusterEnv(db, { SPIDERD_HEARTBEAT_MS: '1000', SPIDERD_JOB_LOCK_MS: '3000' });
    sites = await startSites(3, 400);
  });

  after(async () => {
    if (daemon && daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
    for (const s of sites ?? []) await s.close();
    await db?.drop();
  });

  test('FLUSHALL on the master of a busy shard: the lost jobs are rebuilt from PostgreSQL, every page stored once', async () => {
    daemon = startDaemon(env, ['--workers', '2', '--concurrency', '4']);
    const enq = await runCli(env, ['enqueue', ...sites.map((s) => s.seedUrl), '--crawl', 'flush', '--per-host-delay', '5', '--per-host-concurrency', '4']);
    assert.equal(enq.code, 0, enq.stderr);
    const keys = keysFor({ prefix: env.prefix, redisCluster: true, queueShards: 16 });
    const shard = keys.hostShard(new URL(sites[0]!.origin).host);
    const port = await masterOf(keys.epoch(shard));
    const fetchedOf = async (origin: string) =>
      (await queryDb<{ n: number }>(db.url, "SELECT count(*)::int AS n FROM pages WHERE state = 'fetched' AND url LIKE $1", [`${origin}/%`]))[0]!.n;
    await eventually(async () => (await fetchedOf(sites[0]!.origin)) >= 60, `60 pages of ${sites[0]!.origin} fetched`, 1500, 100);
    const queuedBefore = (await queryDb<{ n: number }>(db.url, "SELECT count(*)::int AS n FROM pages WHERE state = 'queued' AND url LIKE $1", [`${sites[0]!.origin}/%`]))[0]!.n;
    assert.ok(queuedBefore > 0, 'the flushed shard still had queued pages');
    const logBefore = daemon.output().length;
    assert.equal(await cluster.node(port).flushall(), 'OK');

    const wait = await runCli(env, ['status', '--crawl', 'flush', '--wait']);
    assert.equal(wait.code, 0, wait.stderr);
    assertEveryPageOnce(await rowsOf(db), sites);
    assert.match(daemon.output().slice(logBefore), /Redis holds no spiderd epoch/, 'the daemon saw the lost epoch');
    daemon.child.kill('SIGTERM');
    assert.equal((await daemon.exited).code, 0, daemon.output().slice(-3000));
  });
});
