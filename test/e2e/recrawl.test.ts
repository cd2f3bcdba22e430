/**
 * End to end: recrawling. A crawl with an adaptive revisit policy is crawled once by the real
 * daemon; some pages change on the fixture site; `spiderd recrawl` starts a round and
 * `status --wait` returns when it is over. The round finds exactly the changed pages, sends the
 * validators, stores 304s and same-hash 200s as unchanged without a handler call (the handler's
 * stamp stays), moves intervals the documented way, and takes links only from changed pages.
 * A crawl with a fixed interval comes back by itself, through the daemon's scheduler.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { startChangingSite, type ChangingSite } from '../fixtures/changing-site.js';
import { createTestDatabase, queryDb as query, type TestDatabase } from '../helpers/db.js';
import { deletePrefix, testPrefix } from '../helpers/redis.js';
import { eventually, runCli, startDaemon, type Daemon, type TestEnv } from '../helpers/spiderd.js';

const HANDLER = fileURLToPath(new URL('../fixtures/handlers/stamp.js', import.meta.url));
const FAST = ['--per-host-delay', '0', '--per-host-concurrency', '4'];

interface Row {
  path: string;
  state: string;
  title: string | null;
  data: { stamp: string } | null;
  etag: string | null;
  last_modified: string | null;
  fetch_count: number;
  change_count: number;
  interval_s: number | null;
  not_modified: boolean | null;
  next_due_at: Date | null;
}

describe('recrawling a site whose pages change', () => {
  let db: TestDatabase;
  let env: TestEnv;
  let site: ChangingSite;
  let daemon: Daemon;
  let first: Map<string, Row>;
  let second: Map<string, Row>;
  let roundRequests: ChangingSite['requests'];
  let recrawlOut: string;
  let statusJson: { crawls: Array<{ finished: boolean; due: number; freshness: Record<string, unknown> | null }> };
  const changed = ['/etag/1', '/lm/1', '/plain/1'];

  const rows = async (crawl: string) =>
    new Map(
      (
        await query<Row>(
          db.url,
          `SELECT substring(url from '^https?://[^/]+(.*)$') AS path, state, title, data, etag, last_modified, fetch_count, change_count, interval_s, not_modified, next_due_at
           FROM pages WHERE crawl_id = (SELECT id FROM crawls WHERE name = $1) ORDER BY id`,
          [crawl],
        )
      ).map((r) => [r.path, r]),
    );

  before(async () => {
    db = await createTestDatabase();
    env = { databaseUrl: db.url, prefix: testPrefix(), extra: { SPIDERD_RECRAWL_TICK_MS: '300' } };
    site = await startChangingSite({ perKind: 3 });
    daemon = startDaemon(env, ['--workers', '1', '--concurrency', '4', '--handler', HANDLER]);
    const enq = await runCli(env, ['enqueue', site.seedUrl, '--crawl', 'fresh', ...FAST, '--recrawl', 'adaptive', '--recrawl-min', '10s', '--recrawl-max', '1000s']);
    assert.equal(enq.code, 0, enq.stderr);
    const wait1 = await runCli(env, ['status', '--crawl', 'fresh', '--wait', '--json']);
    assert.equal(wait1.code, 0, wait1.stderr);
    first = await rows('fresh');

    for (const p of changed) site.change(p);
    site.link('/plain/1', '/new-page');
    site.requests.length = 0;
    const rc = await runCli(env, ['recrawl', '--crawl', 'fresh']);
    assert.equal(rc.code, 0, rc.stderr);
    recrawlOut = rc.stdout;
    const wait2 = await runCli(env, ['status', '--crawl', 'fresh', '--wait', '--json']);
    assert.equal(wait2.code, 0, wait2.stderr);
    statusJson = JSON.parse(wait2.stdout);
    roundRequests = [...site.requests];
    second = await rows('fresh');
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

  test('the first crawl stores validators, a first interval at the geometric mean of the bounds, and a next due time', () => {
    const linked = ['/', ...site.pages];
    assert.deepEqual([...first.keys()].sort(), linked.sort());
    for (const [path, r] of first) {
      assert.equal(r.state, 'fetched', path);
      assert.equal(r.fetch_count, 1, path);
      assert.equal(r.change_count, 0, path);
      assert.equal(r.interval_s, 100, `${path}: sqrt(10 * 1000)`);
      assert.ok(r.next_due_at !== null, path);
      assert.equal(r.etag !== null, path === '/' || path.startsWith('/etag/'), `${path} etag`);
      assert.equal(r.last_modified !== null, path.startsWith('/lm/'), `${path} last-modified`);
    }
  });

  test('`spiderd recrawl` makes every fetched page due; the round refetches each once, sending its validators', () => {
    assert.match(recrawlOut, /10 pages due now/);
    const paths = roundRequests.filter((r) => r.path !== '/robots.txt').map((r) => r.path).sort();
    assert.deepEqual(paths, ['/', ...site.pages, '/new-page'].sort());
    for (const r of roundRequests) {
      if (r.path.startsWith('/etag/')) assert.ok(r.ifNoneMatch !== null, `${r.path} sent If-None-Match`);
      if (r.path.startsWith('/lm/')) assert.ok(r.ifModifiedSince !== null, `${r.path} sent If-Modified-Since`);
    }
    const notModified = roundRequests.filter((r) => r.status === 304).map((r) => r.path).sort();
    assert.deepEqual(notModified, ['/', '/etag/2', '/etag/3', '/lm/2', '/lm/3'], 'the unchanged pages with validators answered 304');
  });

  test('the round finds exactly the changed pages', () => {
    const found = [...second].filter(([, r]) => r.change_count > 0).map(([p]) => p).sort();
    assert.deepEqual(found, [...changed].sort());
    for (const p of changed) assert.notEqual(second.get(p)!.title, first.get(p)!.title, `${p} title updated`);
  });

  test('unchanged pages (304, or the same body) keep their stored data: no handler call, the stamp stays', () => {
    for (const [path, r] of second) {
      if (path === '/new-page') continue;
      assert.equal(r.fetch_count, 2, `${path} fetched twice`);
      const before = first.get(path)!;
      if (changed.includes(path)) assert.notEqual(r.data!.stamp, before.data!.stamp, `${path}: the handler ran on the changed page`);
      else {
        assert.equal(r.data!.stamp, before.data!.stamp, `${path}: no handler call on an unchanged page`);
        assert.equal(r.title, before.title, path);
        assert.equal(r.not_modified, !path.startsWith('/plain/'), `${path}: 304 for pages with validators, a same-hash 200 otherwise`);
      }
    }
  });

  test("an unchanged page's interval grows (x1.5), a changed one's shrinks (x0.5)", () => {
    for (const [path, r] of second) {
      if (path === '/new-page') continue;
      assert.equal(r.interval_s, changed.includes(path) ? 50 : 150, path);
    }
  });

  test('links come from changed pages only: the new link was followed, nothing else was added', () => {
    assert.equal(second.get('/new-page')?.state, 'fetched');
    assert.equal(second.size, first.size + 1);
  });

  test('status shows freshness for the crawl and waits until nothing is due, queued or in flight', () => {
    const [c] = statusJson.crawls;
    assert.equal(c!.finished, true);
    assert.equal(c!.due, 0);
    const f = c!.freshness!;
    assert.equal(f.dueNow, 0);
    assert.equal(f.fetchedLastHour, 11);
    assert.equal(f.changedLastDay, 3);
    assert.equal(f.notModifiedShare, Math.round((5 / 11) * 1000) / 1000);
    assert.ok(typeof f.nextDueAt === 'string');
  });

  test('status text shows the policy and the freshness line', async () => {
    const text = await runCli(env, ['status', '--crawl', 'fresh']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /recrawl adaptive 10s\.\.16m40s: due 0 \(overdue 0\) {2}fetched 11 last hour, 11 last day \(46% 304\) {2}changed 3 last day {2}next due 20\d\d-/);
  });

  test('a crawl with a fixed interval comes back by itself through the scheduler', async () => {
    const enq = await runCli(env, ['enqueue', `${site.origin}/etag/3`, '--crawl', 'fixed', '--max-depth', '0', ...FAST, '--recrawl-every', '1s']);
    assert.equal(enq.code, 0, enq.stderr);
    const r = await eventually(async () => {
      const row = (await rows('fixed')).get('/etag/3');
      return row && row.fetch_count >= 3 ? row : null;
    }, 'the page fetched three times');
    assert.equal(r.interval_s, 1);
    assert.equal(r.change_count, 0);
    assert.equal(r.not_modified, true);
  });
});
