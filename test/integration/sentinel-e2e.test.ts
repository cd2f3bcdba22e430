/**
 * End to end: the real daemon (one crawler process) crawls the bundled sample site with a
 * leaky extraction handler and then with a clean one. The leaky crawl must produce a
 * leak_reports row naming RetainedPage, recycle the process, and still store every page
 * exactly once; the clean crawl must produce no report.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { startSampleSite, type SampleSite } from '../../src/sample-site/server.js';
import { createTestDatabase, queryDb as query, type TestDatabase } from '../helpers/db.js';
import { deletePrefix, testPrefix } from '../helpers/redis.js';
import { BIN, envFor, runCli, startDaemon, type Daemon, type TestEnv } from '../helpers/spiderd.js';

const PAGES = 2500;
const FAST = ['--per-host-delay', '0', '--per-host-concurrency', '16'];
const handlerPath = (name: string) => fileURLToPath(new URL(`../fixtures/handlers/${name}.js`, import.meta.url));

interface Report {
  worker_id: number;
  growers: Array<{ name: string; countDelta: number; retainerPath: string[] | null }>;
  snapshots: string[];
}

/** `spiderd status --wait` until the crawl is done; fails at once (instead of waiting forever) if the daemon dies. */
async function waitForCrawl(env: TestEnv, daemon: Daemon): Promise<void> {
  const status = spawn(process.execPath, [BIN, 'status', '--crawl', 'site', '--wait', '--json'], { env: envFor(env), stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  status.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const statusDone = new Promise<number | null>((resolve) => status.on('exit', (code) => resolve(code)));
  const outcome = await Promise.race([statusDone.then((code) => ({ status: code })), daemon.exited.then((exit) => ({ daemon: exit }))]);
  if ('daemon' in outcome) {
    status.kill('SIGKILL');
    await statusDone;
    assert.fail(`the daemon exited (code ${outcome.daemon.code}) before the crawl finished:\n${daemon.output().slice(-3000)}`);
  }
  assert.equal(outcome.status, 0, stderr);
}

function crawlWith(handler: 'leaky' | 'clean') {
  const state: { db?: TestDatabase; env?: TestEnv; site?: SampleSite; daemon?: Daemon; dir?: string; output: string; fetched: string[]; urlsUnique: boolean; requestedTwice: string[]; reports: Report[] } = {
    output: '', fetched: [], urlsUnique: false, requestedTwice: [], reports: [],
  };
  before(async () => {
    state.db = await createTestDatabase();
    state.dir = await mkdtemp(path.join(tmpdir(), 'spiderd-sentinel-e2e-'));
    state.env = {
      databaseUrl: state.db.url,
      prefix: testPrefix(),
      extra: {
        SPIDERD_LEAK_WARMUP_JOBS: '100',
        SPIDERD_LEAK_THRESHOLD_MB_PER_1K_JOBS: '2',
        SPIDERD_LEAK_SNAPSHOT_GAP_JOBS: '100',
        SPIDERD_SNAPSHOT_MIN_INTERVAL_MS: '0',
      },
    };
    state.site = await startSampleSite({ pages: PAGES });
    state.daemon = startDaemon(state.env, ['--workers', '1', '--concurrency', '8', '--handler', handlerPath(handler), '--snapshot-dir', state.dir, '--recycle-on-leak', '--sample-interval', '0.1']);
    const enq = await runCli(state.env, ['enqueue', state.site.seedUrl, '--crawl', 'site', ...FAST]);
    assert.equal(enq.code, 0, enq.stderr);
    await waitForCrawl(state.env, state.daemon);
    const rows = await query<{ url: string; state: string }>(state.db.url, 'SELECT url, state FROM pages ORDER BY id');
    state.fetched = rows.filter((r) => r.state === 'fetched').map((r) => r.url);
    state.urlsUnique = new Set(rows.map((r) => r.url)).size === rows.length;
    const counts = new Map<string, number>();
    for (const p of state.site.requests) counts.set(p, (counts.get(p) ?? 0) + 1);
    // /old/N answers 301 to /page/N, a page the crawl also reaches directly: that one is requested twice by design.
    const redirectTargets = new Set(state.site.expected.redirects.map((u) => new URL(u).pathname.replace(/^\/old\//, '/page/')));
    state.requestedTwice = [...counts].filter(([p, n]) => n > 1 && !redirectTargets.has(p) && p !== '/robots.txt').map(([p]) => p);
    state.reports = await query<Report>(state.db.url, 'SELECT worker_id, growers, snapshots FROM leak_reports ORDER BY id');
    state.daemon.child.kill('SIGTERM');
    const exit = await state.daemon.exited;
    state.output = state.daemon.output();
    assert.equal(exit.code, 0, state.output.slice(-4000));
  });
  after(async () => {
    if (state.daemon && state.daemon.child.exitCode === null) state.daemon.child.kill('SIGKILL');
    await state.site?.close();
    if (state.env) await deletePrefix(state.env.prefix);
    await state.db?.drop();
    if (state.dir) await rm(state.dir, { recursive: true, force: true });
  });
  return state;
}

describe('a crawl with a leaky extraction handler', { timeout: 900_000 }, () => {
  const state = crawlWith('leaky');

  test('the sentinel stores a leak report naming RetainedPage, with the retainer path to the module array', () => {
    assert.ok(state.reports.length >= 1, `no leak report; daemon output:\n${state.output.slice(-3000)}`);
    const top = state.reports[0]!.growers[0];
    assert.equal(top?.name, 'RetainedPage', `growers: ${state.reports[0]!.growers.map((g) => g.name).join(', ')}`);
    assert.ok(top!.retainerPath?.some((s) => s.includes('`retained`')), `path: ${top!.retainerPath?.join(' <- ')}`);
    assert.equal(state.reports[0]!.worker_id, 1);
    assert.equal(state.reports[0]!.snapshots.length, 2);
  });

  test('the leaking process was recycled and every page is still stored exactly once, none fetched twice', () => {
    assert.match(state.output, /"reason":"leak"/, 'the crawler process drained for the leak');
    assert.deepEqual([...state.fetched].sort(), [...state.site!.expected.fetchable].sort());
    assert.ok(state.urlsUnique, 'no URL has two rows');
    assert.deepEqual(state.requestedTwice, []);
  });
});

describe('the same crawl with a clean extraction handler', { timeout: 900_000 }, () => {
  const state = crawlWith('clean');

  test('raises no leak warning and stores no leak report', () => {
    assert.deepEqual(state.reports, []);
    assert.doesNotMatch(state.output, /leak sentinel/);
    assert.deepEqual([...state.fetched].sort(), [...state.site!.expected.fetchable].sort());
  });
});
