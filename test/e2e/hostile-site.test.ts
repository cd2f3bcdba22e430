/**
 * The real daemon against a site written to break crawlers (test/fixtures/hostile-site.ts): the
 * crawl finishes, every ordinary page is stored once, every trap ends with a stable code, no URL
 * is requested twice (but for retries of transient failures), and a per-host budget stops a
 * calendar trap. Short deadlines and backoffs keep it quick; the behaviour is the defaults'.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MAX_LINKS_PER_PAGE } from '../../src/workers/parse-page.js';
import { startHostileSite, type HostileSite } from '../fixtures/hostile-site.js';
import { createTestDatabase, queryDb, type TestDatabase } from '../helpers/db.js';
import { deletePrefix, testPrefix } from '../helpers/redis.js';
import { runCli, startDaemon, type Daemon, type TestEnv } from '../helpers/spiderd.js';

interface Row {
  url: string;
  state: string;
  status: number | null;
  error_code: string | null;
  title: string | null;
  attempts: number;
  final_url: string | null;
  links: string[] | null;
}

const BUDGET = 150;

describe('a crawl of a hostile site', () => {
  let db: TestDatabase;
  let env: TestEnv;
  let site: HostileSite;
  let daemon: Daemon;
  let rows: Row[];
  let requests: Map<string, number>;
  const by = (path: string) => rows.find((r) => r.url === `${site.origin}${path}`);

  before(async () => {
    db = await createTestDatabase();
    env = {
      databaseUrl: db.url,
      prefix: testPrefix(),
      extra: { SPIDERD_FETCH_DEADLINE_MS: '3000', SPIDERD_RETRY_BASE_MS: '200', SPIDERD_ALLOW_PRIVATE_NETWORKS: 'true' },
    };
    site = await startHostileSite();
    daemon = startDaemon(env, ['--workers', '2']);
    const enq = await runCli(env, ['enqueue', site.seedUrl, site.calendarUrl, '--crawl', 'hostile', '--max-depth', '1000', '--max-pages-per-host', String(BUDGET), '--per-host-delay', '0', '--per-host-concurrency', '8']);
    assert.equal(enq.code, 0, enq.stderr);
    const wait = await runCli(env, ['status', '--crawl', 'hostile', '--wait']);
    assert.equal(wait.code, 0, `${wait.stderr}\n${daemon.output().slice(-3000)}`);
    rows = await queryDb<Row>(db.url, 'SELECT url, state, status, error_code, title, attempts, final_url, links FROM pages');
    requests = new Map(site.requests);
    daemon.child.kill('SIGTERM');
    assert.equal((await daemon.exited).code, 0, daemon.output().slice(-3000));
  });

  after(async () => {
    if (daemon && daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
    await site?.close();
    await deletePrefix(env.prefix);
    await db?.drop();
  });

  test('every ordinary page is stored as fetched, once', () => {
    for (const path of site.ordinary) {
      assert.equal(by(path)?.state, 'fetched', path);
      assert.equal(requests.get(path), 1, `${path} requested once`);
    }
    assert.equal(new Set(rows.map((r) => r.url)).size, rows.length, 'no URL has two rows');
  });

  test('slow servers cost a slot at most the fetch deadline per attempt, then fail with SPIDERD_FETCH_TIMEOUT', () => {
    for (const path of ['/tarpit', '/slow-headers']) {
      assert.deepEqual([by(path)?.state, by(path)?.error_code, by(path)?.attempts], ['failed', 'SPIDERD_FETCH_TIMEOUT', 4], path);
    }
  });

  test('bodies too big, bombs and broken encodings fail with their codes, once each', () => {
    for (const path of ['/endless', '/huge', '/gzip-bomb', '/br-bomb']) {
      assert.deepEqual([by(path)?.state, by(path)?.error_code], ['failed', 'SPIDERD_FETCH_TOO_LARGE'], path);
      assert.equal(requests.get(path), 1, `${path} is not retried`);
    }
    assert.deepEqual([by('/broken-gzip')?.state, by('/broken-gzip')?.error_code], ['failed', 'SPIDERD_FETCH_BAD_ENCODING']);
    assert.deepEqual([by('/lying-length')?.state, by('/lying-length')?.error_code, by('/lying-length')?.attempts], ['failed', 'SPIDERD_FETCH_NETWORK', 4]);
  });

  test('hostile markup is stored: NULs and lone surrogates cleaned, deep nesting parsed, an unknown charset read as UTF-8', () => {
    assert.deepEqual([by('/nul')?.state, by('/nul')?.title], ['fetched', 'nultitle \uFFFD']);
    assert.deepEqual([by('/deep')?.state, by('/deep')?.title], ['fetched', 'deep']);
    assert.equal(by('/bad-charset')?.state, 'fetched');
  });

  test('429 and 503 with Retry-After are retried after the wait and then stored', () => {
    for (const path of ['/rate-limited', '/unavailable']) {
      assert.deepEqual([by(path)?.state, by(path)?.attempts, requests.get(path)], ['fetched', 2, 2], path);
    }
  });

  test('redirects: each stored on its source, each target fetched at most once, loops and endless chains end', () => {
    assert.deepEqual([by('/moved')?.state, by('/moved')?.status, by('/moved')?.final_url], ['redirected', 301, `${site.origin}/plain/1`]);
    assert.equal(requests.get('/plain/1'), 1, 'linked directly and through a redirect: fetched once');
    assert.deepEqual([by('/loop-a')?.state, by('/loop-b')?.state], ['redirected', 'redirected']);
    assert.deepEqual([requests.get('/loop-a'), requests.get('/loop-b')], [1, 1]);
    const chain = rows.filter((r) => r.url.includes('/chain/'));
    assert.equal(chain.length, 6, 'the linked URL and one per redirect followed (5)');
    assert.deepEqual([by('/chain/6')?.state, by('/chain/6')?.error_code], ['failed', 'SPIDERD_TOO_MANY_REDIRECTS']);
    assert.equal(requests.get('/chain/7'), undefined);
  });

  test('a 3 KB URL is crawled; an 8 KB one is over the URL cap and never requested', () => {
    assert.equal(by(site.longPaths.kb3)?.state, 'fetched');
    assert.equal(requests.get(site.longPaths.kb3), 1);
    assert.equal(by(site.longPaths.kb8), undefined);
    assert.equal(requests.get(site.longPaths.kb8), undefined);
  });

  test('links per page are capped, and the per-host budget stops a calendar trap and a link explosion', () => {
    assert.equal(by('/many-links')?.links?.length, MAX_LINKS_PER_PAGE);
    const second = rows.filter((r) => r.url.startsWith('http://localhost:'));
    assert.equal(second.length, BUDGET, 'the calendar host got exactly its budget of pages');
    // Which trap fills the budget first depends on timing; together they never pass it.
    const trapRequests = [...requests].filter(([path]) => path.startsWith('/calendar/') || path.startsWith('/many/'));
    assert.ok(trapRequests.length <= BUDGET, `${trapRequests.length} trap pages requested, over the budget of ${BUDGET}`);
    assert.ok(rows.filter((r) => r.url.startsWith(site.origin)).length < BUDGET, 'the first host, under its budget, lost nothing');
  });

  test('nothing is requested twice but the retries of transient failures', () => {
    const retried = new Set(['/tarpit', '/slow-headers', '/lying-length', '/rate-limited', '/unavailable']);
    const twice = [...requests].filter(([path, n]) => n > 1 && !retried.has(path) && path !== '/robots.txt');
    assert.deepEqual(twice, []);
    assert.equal(requests.get('/robots.txt'), 2, 'robots.txt once per host name');
  });
});
