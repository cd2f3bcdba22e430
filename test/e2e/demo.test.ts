/**
 * `spiderd demo` as a user runs it: a real daemon crawls the sample site; the summary labels
 * the site's deliberate traps, reports fetched pages per second, and ends with the exact
 * `status` and `mem` commands, which then work as printed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_URL, createTestDatabase, queryDb, type TestDatabase } from '../helpers/db.js';
import { deletePrefix, testPrefix } from '../helpers/redis.js';
import { runCli, type TestEnv } from '../helpers/spiderd.js';

/** Splits a printed command line into argv, honouring the single quotes the demo puts around the URL. */
function argv(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

describe('spiderd demo', () => {
  let db: TestDatabase;
  let env: TestEnv;
  let stdout = '';

  before(async () => {
    db = await createTestDatabase();
    env = { databaseUrl: db.url, prefix: testPrefix() };
  });

  after(async () => {
    await deletePrefix(`${env.prefix}-demo`);
    await queryDb(ADMIN_URL, `DROP DATABASE IF EXISTS "${db.name}_demo" WITH (FORCE)`);
    await db?.drop();
  });

  test('crawls the sample site and labels its deliberate traps', async () => {
    const r = await runCli(env, ['demo', '--pages', '60', '--workers', '1']);
    stdout = r.stdout;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(stdout, /^ {2}failed: \d+ \(.*SPIDERD_HTTP_4XX.*\)$/m);
    assert.match(stdout, /^ {4}deliberate traps of the sample site: \d+ links to pages that do not exist \(404\), \d+ PDF files \(not HTML\)$/m);
    assert.match(stdout, /^ {4}deliberate: \d+ links under \/private\/, which robots.txt disallows \(never requested\)$/m);
    assert.match(stdout, /^ {2}elapsed: [\d.]+ s, [\d.]+ pages fetched\/s$/m);
    assert.match(stdout, /^ {2}robots-disallowed pages requested: 0$/m);
  });

  test('ends with the exact status and mem commands, which work as printed', async () => {
    const lines = stdout.split('\n');
    const at = lines.indexOf('to look further:');
    assert.ok(at > 0, stdout);
    const status = lines.slice(at + 1).find((l) => l.trim().startsWith('spiderd status'));
    const mem = lines.slice(at + 1).find((l) => l.trim().startsWith('spiderd mem'));
    assert.ok(status && mem, stdout);
    const s = await runCli(env, argv(status.trim()).slice(1));
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stdout, /finished/);
    const rate = /fetched \d+ .* ([\d.]+) pages\/s/.exec(s.stdout);
    assert.ok(rate && Number(rate[1]) > 0, `a finished crawl shows its whole-crawl rate: ${s.stdout}`);
    const m = await runCli(env, argv(mem.trim()).slice(1));
    assert.equal(m.code, 0, m.stderr);
    assert.match(m.stdout, /^no live daemons: /);
    assert.match(m.stdout, /leak reports in PostgreSQL: none/);
  });
});

describe('spiderd demo --leak', () => {
  let db: TestDatabase;
  let env: TestEnv;

  before(async () => {
    db = await createTestDatabase();
    env = { databaseUrl: db.url, prefix: testPrefix() };
  });

  after(async () => {
    await deletePrefix(`${env.prefix}-demo`);
    await queryDb(ADMIN_URL, `DROP DATABASE IF EXISTS "${db.name}_demo" WITH (FORCE)`);
    await db?.drop();
  });

  test('runs the leaky example handler until a leak report, then shows mem and the report naming the culprit', async () => {
    const r = await runCli(env, ['demo', '--leak']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /handler: .*examples\/handlers\/leaky\.mjs/);
    const mem = r.stdout.indexOf('$ spiderd mem');
    assert.ok(mem > 0, r.stdout);
    assert.match(r.stdout.slice(mem), /HOST\s+DAEMON\s+WORKER/);
    assert.match(r.stdout, /^leak report #\d+ is stored in PostgreSQL \(table leak_reports\); the crawler process \d+ was recycled after it\.$/m);
    assert.match(r.stdout, /^heap snapshots: \S+\.heapsnapshot, \S+\.heapsnapshot$/m);
    assert.match(r.stdout, /^ {2}growing class: PageCacheEntry$/m);
    assert.match(r.stdout, /^ {2}allocated at: {2}leaky \(.*leaky\.mjs:\d+\)/m);
    const reports = await queryDb<{ growing_class: string }>(`${db.url}_demo`, 'SELECT growing_class FROM leak_reports');
    assert.ok(reports.length >= 1);
    assert.match(r.stdout, /^to look further:$/m);
  });
});
