/**
 * A page on which crawler processes keep dying is given up after three deaths: stored
 * 'failed' with SPIDERD_PAGE_KILLED_WORKER, and the rest of the crawl completes.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startSampleSite, type SampleSite } from '../../src/sample-site/server.js';
import { createTestDatabase, queryDb, type TestDatabase } from '../helpers/db.js';
import { deletePrefix, testPrefix } from '../helpers/redis.js';
import { runCli, startDaemon, type TestEnv } from '../helpers/spiderd.js';

const POISON = fileURLToPath(new URL('../fixtures/handlers/poison.js', import.meta.url));
const BLOCKING = fileURLToPath(new URL('../fixtures/handlers/blocking.js', import.meta.url));

let db: TestDatabase;
let env: TestEnv;
let site: SampleSite;

before(async () => {
  db = await createTestDatabase();
  // Short job locks and restarts so each death is noticed within seconds (not too short: a lock
  // renewal that comes late on a busy machine would look like a death).
  env = { databaseUrl: db.url, prefix: testPrefix(), extra: { SPIDERD_JOB_LOCK_MS: '3000', SPIDERD_RESTART_BASE_MS: '50', SPIDERD_LEAK_SENTINEL: 'false' } };
  site = await startSampleSite({ pages: 40 });
});

after(async () => {
  await site.close();
  await deletePrefix(env.prefix);
  await db.drop();
});

test('a page that kills its crawler process three times is stored failed and the crawl finishes', async () => {
  const daemon = startDaemon(env, ['--workers', '2', '--concurrency', '2', '--handler', POISON]);
  try {
    assert.equal((await runCli(env, ['enqueue', site.seedUrl, '--crawl', 'poison', '--per-host-delay', '0', '--per-host-concurrency', '4'])).code, 0);
    const wait = await runCli(env, ['status', '--crawl', 'poison', '--wait']);
    assert.equal(wait.code, 0, wait.stderr);
  } finally {
    daemon.child.kill('SIGTERM');
  }
  assert.equal((await daemon.exited).code, 0, daemon.output().slice(-3000));
  const rows = await queryDb<{ url: string; state: string; error_code: string | null; error: string | null }>(db.url, "SELECT url, state, error_code, error FROM pages");
  const poisoned = rows.find((r) => new URL(r.url).pathname === '/page/7');
  assert.equal(poisoned?.state, 'failed');
  assert.equal(poisoned?.error_code, 'SPIDERD_PAGE_KILLED_WORKER');
  assert.deepEqual(rows.filter((r) => r.state === 'queued'), [], 'nothing is left queued');
  // Pages linked only from /page/7 are never discovered (it is never parsed); every other one is stored.
  const discoveredHtml = rows.filter((r) => site.expected.fetchable.includes(r.url) && new URL(r.url).pathname !== '/page/7');
  const notFetched = rows.filter((r) => r.state !== "fetched").map((r) => `${new URL(r.url).pathname} ${r.state} ${r.error_code} ${r.error ?? ""}`);
  assert.ok(discoveredHtml.length >= site.expected.fetchable.length - 10, `${discoveredHtml.length} of ${site.expected.fetchable.length} pages discovered; not fetched: ${notFetched.join(', ')}`);
  assert.deepEqual(discoveredHtml.filter((r) => r.state !== 'fetched').map((r) => `${r.url} ${r.error_code} ${r.error}`), [], 'every other discovered page is fetched');
  assert.equal(site.requests.filter((p) => p === '/page/7').length, 3, 'the poison page was fetched once per death, then not again');
});

test('a handler that blocks its event loop: the watchdog kills the process, the page is given up, the crawl finishes', async () => {
  const blockedEnv = { ...env, extra: { ...env.extra, SPIDERD_BLOCKED_LIMIT_MS: '2000' } };
  const daemon = startDaemon(blockedEnv, ['--workers', '2', '--concurrency', '2', '--handler', BLOCKING]);
  const before = site.requests.length;
  try {
    assert.equal((await runCli(blockedEnv, ['enqueue', site.seedUrl, '--crawl', 'blocking', '--per-host-delay', '0', '--per-host-concurrency', '4'])).code, 0);
    const wait = await runCli(blockedEnv, ['status', '--crawl', 'blocking', '--wait']);
    assert.equal(wait.code, 0, wait.stderr);
  } finally {
    daemon.child.kill('SIGTERM');
  }
  assert.equal((await daemon.exited).code, 0, daemon.output().slice(-3000));
  const rows = await queryDb<{ url: string; state: string; error_code: string | null }>(
    db.url,
    "SELECT p.url, p.state, p.error_code FROM pages p JOIN crawls c ON c.id = p.crawl_id WHERE c.name = 'blocking'",
  );
  const blocked = rows.find((r) => new URL(r.url).pathname === '/page/7');
  assert.deepEqual([blocked?.state, blocked?.error_code], ['failed', 'SPIDERD_PAGE_KILLED_WORKER']);
  assert.deepEqual(rows.filter((r) => r.state === 'queued'), [], 'nothing is left queued');
  const kills = daemon.output().split('\n').filter((l) => l.includes('"SPIDERD_WORKER_BLOCKED"'));
  // Each try blocks the process that runs it; its job lock may lapse first and the page's next try
  // start elsewhere, so the kills and tries are three at most, and at least two were the watchdog's.
  assert.ok(kills.length >= 2 && kills.length <= 3, `${kills.length} watchdog kills`);
  assert.ok(site.requests.slice(before).filter((p) => p === '/page/7').length <= 3, 'the blocking page was tried at most three times');
});
