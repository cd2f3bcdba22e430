/**
 * End to end: a crawl with --sitemaps finds pages no link reaches through robots.txt's sitemap
 * index (an XML child, a gzip child and a text child); a crawl without it does not. A sitemap
 * <lastmod> later than a page's last fetch makes that page due when the sitemaps are read again.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startChangingSite, type ChangingSite } from '../fixtures/changing-site.js';
import { createTestDatabase, queryDb as query, type TestDatabase } from '../helpers/db.js';
import { deletePrefix, testPrefix } from '../helpers/redis.js';
import { eventually, runCli, startDaemon, type Daemon, type TestEnv } from '../helpers/spiderd.js';

const FAST = ['--per-host-delay', '0', '--per-host-concurrency', '4'];

interface Row {
  path: string;
  state: string;
  depth: number;
  fetch_count: number;
}

describe('sitemap discovery', () => {
  let db: TestDatabase;
  let env: TestEnv;
  let site: ChangingSite;
  let daemon: Daemon;

  const rows = async (crawl: string) =>
    new Map(
      (
        await query<Row>(db.url, `SELECT substring(url from '^https?://[^/]+(.*)$') AS path, state, depth, fetch_count FROM pages WHERE crawl_id = (SELECT id FROM crawls WHERE name = $1)`, [crawl])
      ).map((r) => [r.path, r]),
    );

  const crawl = async (name: string, flags: string[]) => {
    const enq = await runCli(env, ['enqueue', site.seedUrl, '--crawl', name, ...FAST, ...flags]);
    assert.equal(enq.code, 0, enq.stderr);
    const wait = await runCli(env, ['status', '--crawl', name, '--wait', '--json']);
    assert.equal(wait.code, 0, wait.stderr);
    return rows(name);
  };

  before(async () => {
    db = await createTestDatabase();
    env = { databaseUrl: db.url, prefix: testPrefix(), extra: { SPIDERD_RECRAWL_TICK_MS: '300' } };
    site = await startChangingSite({ perKind: 1, orphans: 6, sitemaps: true });
    daemon = startDaemon(env, ['--workers', '1', '--concurrency', '4']);
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

  test('pages only the sitemaps list (XML, gzip and text children of an index) are crawled, like seeds', async () => {
    const withMaps = await crawl('maps', ['--sitemaps', '--recrawl-every', '1d']);
    for (const p of site.orphans) {
      assert.equal(withMaps.get(p)?.state, 'fetched', `${p} found through the sitemaps`);
      assert.equal(withMaps.get(p)?.depth, 0);
    }
    assert.ok(site.requests.some((r) => r.path === '/sitemap-b.xml.gz'), 'the gzip child was read');
    const without = await crawl('links-only', []);
    for (const p of site.orphans) assert.equal(without.has(p), false, `${p} is not reached without --sitemaps`);
  });

  test('a sitemap lastmod after the last fetch makes that page due when the sitemaps are read again', async () => {
    site.setLastmod('/orphan/1', new Date(Date.now() + 86_400_000).toISOString());
    // The seed's interval has run out: its refetch reads the sitemaps again.
    await query(db.url, `UPDATE pages SET next_due_at = now() AT TIME ZONE 'UTC' WHERE url = $1 AND crawl_id = (SELECT id FROM crawls WHERE name = 'maps')`, [site.seedUrl]);
    await eventually(async () => ((await rows('maps')).get('/')?.fetch_count ?? 0) >= 2, 'the seed refetched');
    const wait = await runCli(env, ['status', '--crawl', 'maps', '--wait']);
    assert.equal(wait.code, 0, wait.stderr);
    const after = await rows('maps');
    assert.equal(after.get('/orphan/1')!.fetch_count, 2, 'the page with a newer lastmod was fetched again');
    for (const p of site.orphans.slice(1)) assert.equal(after.get(p)!.fetch_count, 1, `${p} (lastmod unchanged) was not`);
  });
});
