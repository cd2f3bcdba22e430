/**
 * End to end: the real CLI enqueues, the real daemon (2 crawler processes) crawls the
 * bundled sample site on 127.0.0.1, and PostgreSQL holds every page exactly once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startSampleSite, type SampleSite } from '../../src/sample-site/server.js';
import { createTestDatabase, queryDb as query, type TestDatabase } from '../helpers/db.js';
import { deletePrefix, testPrefix } from '../helpers/redis.js';
import { runCli, startDaemon, type Daemon, type TestEnv } from '../helpers/spiderd.js';

const FAST = ['--per-host-delay', '0', '--per-host-concurrency', '16'];

interface Row {
  url: string;
  state: string;
  depth: number;
  error_code: string | null;
  title: string | null;
  status: number | null;
  fetched_at: Date | null;
  content_hash: string | null;
}

describe('a crawl of a 300-page site with 2 crawler processes', () => {
  let db: TestDatabase;
  let env: TestEnv;
  let site: SampleSite;
  let daemon: Daemon;
  let rows: Row[];
  let requestsAtEnd: string[];

  before(async () => {
    db = await createTestDatabase();
    env = { databaseUrl: db.url, prefix: testPrefix() };
    site = await startSampleSite({ pages: 300 });
    daemon = startDaemon(env, ['--workers', '2', '--concurrency', '8']);
    const enq = await runCli(env, ['enqueue', site.seedUrl, '--crawl', 'site', ...FAST]);
    assert.equal(enq.code, 0, enq.stderr);
    assert.match(enq.stdout, /1 new seed/);
    const wait = await runCli(env, ['status', '--crawl', 'site', '--wait', '--json']);
    assert.equal(wait.code, 0, wait.stderr);
    rows = await query<Row>(db.url, 'SELECT url, state, depth, error_code, title, status, fetched_at, content_hash FROM pages ORDER BY id');
    requestsAtEnd = [...site.requests];
    daemon.child.kill('SIGTERM');
    const exit = await daemon.exited;
    assert.equal(exit.code, 0, daemon.output());
  });

  after(async () => {
    if (daemon && daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
    await site?.close();
    await deletePrefix(env.prefix);
    await db?.drop();
  });

  test('every reachable HTML page is stored as fetched, exactly once', () => {
    const fetched = rows.filter((r) => r.state === 'fetched').map((r) => r.url);
    assert.ok(site.expected.fetchable.length >= 300, `fixture has ${site.expected.fetchable.length} pages`);
    assert.deepEqual([...fetched].sort(), [...site.expected.fetchable].sort());
    assert.equal(new Set(rows.map((r) => r.url)).size, rows.length, 'no URL has two rows');
    for (const r of rows.filter((x) => x.state === 'fetched')) {
      assert.ok(r.title && r.status === 200 && r.fetched_at && r.content_hash, `complete row for ${r.url}`);
    }
  });

  test('no page was requested twice', () => {
    const counts = new Map<string, number>();
    for (const path of requestsAtEnd) counts.set(path, (counts.get(path) ?? 0) + 1);
    // /old/N answers 301 -> /page/N, which is also linked directly: still one request each.
    const twice = [...counts].filter(([path, n]) => n > 1 && path !== '/robots.txt');
    assert.deepEqual(twice, []);
    assert.ok(site.expected.redirects.length > 0);
    for (const url of site.expected.redirects) {
      const row = rows.find((r) => r.url === url);
      assert.deepEqual([row?.state, row?.status], ['redirected', 301], url);
      assert.equal(counts.get(new URL(url).pathname), 1, `${url} requested once`);
    }
    assert.equal(counts.get('/robots.txt'), 1, 'robots.txt is fetched once for both processes');
  });

  test('robots-disallowed pages are stored as skipped and never requested', () => {
    assert.ok(site.expected.disallowed.length > 0);
    for (const url of site.expected.disallowed) {
      const row = rows.find((r) => r.url === url);
      assert.equal(row?.state, 'skipped', url);
      assert.equal(row?.error_code, 'SPIDERD_ROBOTS_DISALLOWED');
    }
    assert.deepEqual(requestsAtEnd.filter((p) => p.startsWith('/private/')), []);
  });

  test('nofollow and external links are not followed', () => {
    const requested = new Set(requestsAtEnd);
    for (const url of site.expected.nofollowOnly) assert.ok(!requested.has(new URL(url).pathname), `requested ${url}`);
    for (const url of [...site.expected.nofollowOnly, ...site.expected.external]) {
      assert.equal(rows.find((r) => r.url === url), undefined, `no row for ${url}`);
    }
  });

  test('404s and non-HTML responses are recorded as permanent failures', () => {
    for (const url of site.expected.notFound) assert.equal(rows.find((r) => r.url === url)?.error_code, 'SPIDERD_HTTP_4XX', url);
    for (const url of site.expected.nonHtml) assert.equal(rows.find((r) => r.url === url)?.error_code, 'SPIDERD_NOT_HTML', url);
  });
});

describe('depth and page limits', () => {
  let db: TestDatabase;
  let env: TestEnv;
  let site: SampleSite;
  let daemon: Daemon;

  before(async () => {
    db = await createTestDatabase();
    env = { databaseUrl: db.url, prefix: testPrefix() };
    site = await startSampleSite({ pages: 300 });
    daemon = startDaemon(env, ['--workers', '2', '--concurrency', '4']);
  });

  after(async () => {
    daemon.child.kill('SIGTERM');
    await daemon.exited;
    await site.close();
    await deletePrefix(env.prefix);
    await db.drop();
  });

  test('--max-depth 2 stores nothing deeper and requests nothing deeper', async () => {
    const before = site.requests.length;
    assert.equal((await runCli(env, ['enqueue', site.seedUrl, '--crawl', 'shallow', '--max-depth', '2', ...FAST])).code, 0);
    assert.equal((await runCli(env, ['status', '--crawl', 'shallow', '--wait'])).code, 0);
    const rows = await query<{ depth: number; state: string }>(db.url, `SELECT depth, state FROM pages p JOIN crawls c ON c.id = p.crawl_id WHERE c.name = 'shallow'`);
    assert.ok(rows.length > 3);
    assert.equal(Math.max(...rows.map((r) => r.depth)), 2);
    const fetched = rows.filter((r) => r.state === 'fetched').length;
    const requestedPages = site.requests.slice(before).filter((p) => p !== '/robots.txt').length;
    assert.ok(requestedPages <= rows.length, `${requestedPages} requests for ${rows.length} rows`);
    assert.ok(fetched > 0);
  });

  test('--max-pages 40 discovers and fetches at most 40 pages', async () => {
    assert.equal((await runCli(env, ['enqueue', site.seedUrl, '--crawl', 'capped', '--max-pages', '40', ...FAST])).code, 0);
    assert.equal((await runCli(env, ['status', '--crawl', 'capped', '--wait'])).code, 0);
    const rows = await query<{ state: string }>(db.url, `SELECT state FROM pages p JOIN crawls c ON c.id = p.crawl_id WHERE c.name = 'capped'`);
    assert.equal(rows.length, 40);
    const status = JSON.parse((await runCli(env, ['status', '--crawl', 'capped', '--json'])).stdout) as { crawls: Array<{ name: string; finished: boolean; discovered: number }> };
    assert.equal(status.crawls[0]?.discovered, 40);
    assert.equal(status.crawls[0]?.finished, true);
  });
});
