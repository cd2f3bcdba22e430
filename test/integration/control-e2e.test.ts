/**
 * End to end: the real daemon (2 crawler processes) crawls the sample site while
 * `spiderd heap snapshot --all` snapshots every process. The snapshots parse, and every page
 * is still stored exactly once and requested once (jobs neither stall nor run twice).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { diffHeapSnapshotsInProcess } from '../../src/shared/heap/diff.js';
import { startSampleSite, type SampleSite } from '../../src/sample-site/server.js';
import { createTestDatabase, queryDb, type TestDatabase } from '../helpers/db.js';
import { deletePrefix, testPrefix } from '../helpers/redis.js';
import { eventually, runCli, startDaemon, type Daemon, type RunResult, type TestEnv } from '../helpers/spiderd.js';


interface Row {
  url: string;
  state: string;
}

describe('heap snapshots of every process while a crawl runs', () => {
  let db: TestDatabase;
  let env: TestEnv;
  let site: SampleSite;
  let daemon: Daemon;
  let dir: string;
  let snapshot: RunResult;
  let queuedAtSnapshot: number;
  let rows: Row[];

  before(async () => {
    db = await createTestDatabase();
    dir = path.join(await mkdtemp(path.join(os.tmpdir(), 'spiderd-control-e2e-')), 'snaps');
    env = { databaseUrl: db.url, prefix: testPrefix(), extra: { SPIDERD_SNAPSHOT_DIR: dir, SPIDERD_LEAK_SENTINEL: 'false' } };
    site = await startSampleSite({ pages: 200 });
    daemon = startDaemon(env, ['--workers', '2', '--concurrency', '4']);
    // A per-host gap keeps the crawl running for a while, so the snapshot lands mid-crawl.
    const enq = await runCli(env, ['enqueue', site.seedUrl, '--crawl', 'site', '--per-host-delay', '40', '--per-host-concurrency', '4']);
    assert.equal(enq.code, 0, enq.stderr);
    await eventually(async () => (await queryDb<{ n: number }>(db.url, "SELECT count(*)::int AS n FROM pages WHERE state = 'fetched'"))[0]!.n >= 5, 'some pages fetched');
    await eventually(async () => (await runCli(env, ['heap', 'snapshot', '--worker', 'w2', '--timeout', '5'])).code !== 2 || null, 'w2 is listed as live');
    snapshot = await runCli(env, ['heap', 'snapshot', '--all', '--label', 'mid-crawl']);
    queuedAtSnapshot = (await queryDb<{ n: number }>(db.url, "SELECT count(*)::int AS n FROM pages WHERE state = 'queued'"))[0]!.n;
    const wait = await runCli(env, ['status', '--crawl', 'site', '--wait', '--json']);
    assert.equal(wait.code, 0, wait.stderr);
    rows = await queryDb<Row>(db.url, 'SELECT url, state FROM pages ORDER BY id');
    daemon.child.kill('SIGTERM');
    const exit = await daemon.exited;
    assert.equal(exit.code, 0, daemon.output());
  });

  after(async () => {
    if (daemon && daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
    await site?.close();
    await deletePrefix(env.prefix);
    await db?.drop();
    if (dir) await rm(path.dirname(dir), { recursive: true, force: true });
  });

  test('the supervisor and both crawler processes each wrote a 0600 snapshot that parses', async () => {
    assert.equal(snapshot.code, 0, snapshot.stderr);
    assert.ok(queuedAtSnapshot > 0, 'the crawl was still running when the snapshots were taken');
    const lines = snapshot.stdout.trim().split('\n');
    assert.deepEqual(lines.map((l) => l.split(' ')[0]).sort(), ['supervisor', 'w1', 'w2']);
    for (const line of lines) {
      const file = /: (\S+\.heapsnapshot) \(/.exec(line)?.[1];
      assert.ok(file, line);
      assert.equal(path.dirname(file), dir);
      assert.match(path.basename(file), /_mid-crawl\.heapsnapshot$/);
      assert.equal((await stat(file)).mode & 0o777, 0o600);
      const parsed = await diffHeapSnapshotsInProcess(file, file, { top: 1 });
      assert.ok(parsed.b.nodes > 1000, `${file} holds a real heap`);
    }
  });

  test('every page is stored exactly once and none was requested twice', () => {
    const fetched = rows.filter((r) => r.state === 'fetched').map((r) => r.url);
    assert.deepEqual([...fetched].sort(), [...site.expected.fetchable].sort());
    assert.equal(new Set(rows.map((r) => r.url)).size, rows.length, 'no URL has two rows');
    const counts = new Map<string, number>();
    for (const p of site.requests) counts.set(p, (counts.get(p) ?? 0) + 1);
    // /old/N redirects to /page/N, which the crawl also reaches directly: that page is requested twice by design.
    const redirectTargets = new Set(site.expected.redirects.map((u) => new URL(u).pathname.replace(/^\/old\//, '/page/')));
    assert.deepEqual([...counts].filter(([p, n]) => n > 1 && !redirectTargets.has(p)), []);
  });
});
