/**
 * End to end: faults in the middle of a recrawl round lose nothing. During a round of a 301-page
 * site, a crawler process is killed (SIGKILL) and every Redis key of the deployment's prefix is
 * deleted; the round still refetches every page exactly as it should: every page fetched a
 * second time, exactly the changed pages counted as changed, no row duplicated, none left queued.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startChangingSite, type ChangingSite } from '../fixtures/changing-site.js';
import { createTestDatabase, queryDb as query, type TestDatabase } from '../helpers/db.js';
import { deletePrefix, testPrefix } from '../helpers/redis.js';
import { eventually, runCli, startDaemon, type Daemon, type TestEnv } from '../helpers/spiderd.js';

interface Row {
  path: string;
  state: string;
  fetch_count: number;
  change_count: number;
  next_due_at: Date | null;
}

describe('faults in the middle of a recrawl round', () => {
  let db: TestDatabase;
  let env: TestEnv;
  let site: ChangingSite;
  let daemon: Daemon;
  let firstCount: number;
  let rows: Row[];
  let killedPid: number;
  const changed: string[] = [];

  const read = () => query<Row>(db.url, `SELECT substring(url from '^https?://[^/]+(.*)$') AS path, state, fetch_count, change_count, next_due_at FROM pages ORDER BY id`);

  before(async () => {
    db = await createTestDatabase();
    env = { databaseUrl: db.url, prefix: testPrefix(), extra: { SPIDERD_RECRAWL_TICK_MS: '300', SPIDERD_HEARTBEAT_MS: '1000' } };
    site = await startChangingSite({ perKind: 100 });
    daemon = startDaemon(env, ['--workers', '2', '--concurrency', '4']);
    const enq = await runCli(env, ['enqueue', site.seedUrl, '--crawl', 'big', '--per-host-delay', '25', '--per-host-concurrency', '2', '--recrawl', 'adaptive', '--recrawl-min', '1h', '--recrawl-max', '7d']);
    assert.equal(enq.code, 0, enq.stderr);
    assert.equal((await runCli(env, ['status', '--crawl', 'big', '--wait'])).code, 0);
    firstCount = (await read()).length;
    for (let i = 1; i <= 100; i += 10) for (const kind of ['etag', 'lm', 'plain']) changed.push(`/${kind}/${i}`);
    for (const p of changed) site.change(p);
    assert.equal((await runCli(env, ['recrawl', '--crawl', 'big'])).code, 0);
    await eventually(async () => (await read()).filter((r) => r.fetch_count === 2).length >= 40, 'the round under way');
    const status = JSON.parse((await runCli(env, ['status', '--json'])).stdout) as { daemons: Array<{ processes: Array<{ workerId: string; pid: number | null }> }> };
    killedPid = status.daemons[0]!.processes.find((p) => p.workerId !== 'supervisor' && p.pid !== null)!.pid!;
    process.kill(killedPid, 'SIGKILL');
    await deletePrefix(env.prefix);
    const wait = await runCli(env, ['status', '--crawl', 'big', '--wait', '--json']);
    assert.equal(wait.code, 0, wait.stderr);
    rows = await read();
  });

  after(async () => {
    if (daemon && daemon.child.exitCode === null) {
      daemon.child.kill('SIGTERM');
      await daemon.exited;
    }
    await site?.close();
    await deletePrefix(env.prefix);
    await db?.drop();
  });

  test('every page was refetched once more, none is left queued or due, no row was added', () => {
    assert.ok(killedPid > 0);
    assert.equal(rows.length, firstCount);
    assert.equal(firstCount, 301);
    for (const r of rows) {
      assert.equal(r.state, 'fetched', r.path);
      assert.equal(r.fetch_count, 2, `${r.path} fetched twice`);
      assert.ok(r.next_due_at !== null && r.next_due_at.getTime() > Date.now(), `${r.path} scheduled again`);
    }
  });

  test('exactly the changed pages were found changed', () => {
    const found = rows.filter((r) => r.change_count > 0).map((r) => r.path).sort();
    assert.deepEqual(found, [...changed].sort());
  });
});
