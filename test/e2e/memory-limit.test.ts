/**
 * The soft memory limit: a crawler process whose RSS passes --max-worker-memory stops taking
 * pages, finishes the ones in flight and is replaced, while the crawl completes with every
 * page stored exactly once and none fetched twice.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startSampleSite, type SampleSite } from '../../src/sample-site/server.js';
import { createTestDatabase, queryDb, type TestDatabase } from '../helpers/db.js';
import { deletePrefix, testPrefix } from '../helpers/redis.js';
import { runCli, startDaemon, type TestEnv } from '../helpers/spiderd.js';

const BALLAST = fileURLToPath(new URL('../fixtures/handlers/ballast.js', import.meta.url));

let db: TestDatabase;
let env: TestEnv;
let site: SampleSite;

before(async () => {
  db = await createTestDatabase();
  env = { databaseUrl: db.url, prefix: testPrefix(), extra: { SPIDERD_LEAK_SENTINEL: 'false' } };
  site = await startSampleSite({ pages: 300 });
});

after(async () => {
  await site.close();
  await deletePrefix(env.prefix);
  await db.drop();
});

test('processes over --max-worker-memory are recycled and the crawl still stores every page once', async () => {
  // Each page adds 2 MiB of RSS: a process (about 100 MB at the start) passes 250 MB after
  // roughly 60-80 pages, well inside its share of the site's 300 pages. (At 400 MB the
  // limit sat at the end of an even share: CI once saw a crawl finish with no recycle.)
  const daemon = startDaemon(env, ['--workers', '2', '--concurrency', '4', '--max-worker-memory', '250', '--sample-interval', '0.2', '--handler', BALLAST]);
  try {
    assert.equal((await runCli(env, ['enqueue', site.seedUrl, '--crawl', 'ballast', '--per-host-delay', '0', '--per-host-concurrency', '8'])).code, 0);
    const wait = await runCli(env, ['status', '--crawl', 'ballast', '--wait']);
    assert.equal(wait.code, 0, wait.stderr);
  } finally {
    daemon.child.kill('SIGTERM');
  }
  const exit = await daemon.exited;
  assert.equal(exit.code, 0, daemon.output().slice(-3000));

  const recycles = daemon
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { reason?: string; msg?: string })
    .filter((l) => l.reason === 'max-memory' && /recycled/.test(l.msg ?? ''));
  assert.ok(recycles.length >= 1, `no recycle for max-memory was logged:\n${daemon.output().slice(-3000)}`);

  const rows = await queryDb<{ url: string; state: string; data: { ballastMiB?: number } | null }>(db.url, 'SELECT url, state, data FROM pages');
  assert.deepEqual(rows.filter((r) => r.state === 'fetched').map((r) => r.url).sort(), [...site.expected.fetchable].sort());
  assert.equal(new Set(rows.map((r) => r.url)).size, rows.length, 'no URL has two rows');
  const counts = new Map<string, number>();
  for (const path of site.requests) counts.set(path, (counts.get(path) ?? 0) + 1);
  assert.deepEqual([...counts].filter(([path, n]) => n > 1 && path !== '/robots.txt'), [], 'no page fetched twice, redirect targets included');
});
