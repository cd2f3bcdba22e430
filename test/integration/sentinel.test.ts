/**
 * The leak sentinel in a real process (test/fixtures/handlers/sentinel-host.ts): fake jobs
 * run a leaky or a clean extraction handler; the real sampler feeds the real sentinel,
 * which writes real heap snapshots, diffs them in a child process and stores a real
 * leak_reports row in PostgreSQL.
 */
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import type { HostMessage } from '../fixtures/handlers/sentinel-host.js';

const HOST = fileURLToPath(new URL('../fixtures/handlers/sentinel-host.js', import.meta.url));
const THRESHOLD = 2;

let db: TestDatabase;
let snapshotDir: string;
const children = new Set<ChildProcess>();

before(async () => {
  db = await createTestDatabase();
  snapshotDir = await mkdtemp(path.join(tmpdir(), 'spiderd-sentinel-test-'));
});

after(async () => {
  await db.drop();
  await rm(snapshotDir, { recursive: true, force: true });
});

afterEach(() => {
  const alive = [...children].filter((c) => c.exitCode === null && c.signalCode === null);
  for (const c of alive) c.kill('SIGKILL');
  children.clear();
  assert.equal(alive.length, 0, 'the test left a process running');
});

async function runHost(handler: 'leaky' | 'clean', maxJobs: number): Promise<{ pid: number; code: number | null; messages: HostMessage[] }> {
  const args = { databaseUrl: db.url, snapshotDir, handler, maxJobs, warmupJobs: 100, gapJobs: 100, thresholdMbPer1kJobs: THRESHOLD };
  const child = fork(HOST, [JSON.stringify(args)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  children.add(child);
  const messages: HostMessage[] = [];
  child.on('message', (m) => messages.push(m as HostMessage));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return { pid: child.pid!, code, messages };
}

async function reportsFor(pid: number) {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const r = await client.query('SELECT daemon_id, worker_id, pid, jobs_done, figures, growers, snapshots FROM leak_reports WHERE pid = $1', [pid]);
    return r.rows as Array<{ daemon_id: string; worker_id: number; pid: number; jobs_done: number; figures: Record<string, unknown>; growers: Array<{ name: string; countDelta: number; retainerPath: string[] | null }>; snapshots: string[] }>;
  } finally {
    await client.end();
  }
}

test('a leaky handler is flagged: two snapshots, a leak report naming RetainedPage with its retainer path, then a recycle', { timeout: 600_000 }, async () => {
  // 20,000 jobs is the bound: the sentinel must have reported and recycled long before.
  const run = await runHost('leaky', 20_000);
  assert.equal(run.code, 0);
  const done = run.messages.find((m) => m.type === 'done');
  const recycle = run.messages.find((m) => m.type === 'recycle');
  assert.ok(recycle, 'the process asked to be recycled');
  assert.match(recycle.detail, /RetainedPage/);
  assert.ok(done && done.type === 'done' && done.recycled && done.jobsDone < 20_000, 'it stopped on the recycle, not at the job bound');
  assert.equal(done.pausedForSnapshots, 2, 'jobs were paused once around each snapshot');

  const reports = await reportsFor(run.pid);
  assert.equal(reports.length, 1, 'exactly one leak report');
  const report = reports[0]!;
  assert.equal(report.daemon_id, 'sentinel-host');
  assert.equal(report.worker_id, 1);
  assert.equal(report.growers[0]?.name, 'RetainedPage', `growers: ${report.growers.map((g) => g.name).join(', ')}`);
  assert.ok(report.growers[0]!.countDelta >= 100, 'at least the jobs between the snapshots');
  assert.ok(report.growers[0]!.retainerPath?.some((step) => step.includes('`retained`')), `retainer path: ${report.growers[0]!.retainerPath?.join(' <- ')}`);
  assert.ok(report.growers.length <= 10);
  assert.ok((report.figures.heapMbPer1kJobs as number) > THRESHOLD);
  assert.equal(report.snapshots.length, 2);
  for (const file of report.snapshots) {
    assert.equal(path.dirname(file), path.resolve(snapshotDir));
    const info = await stat(file);
    assert.equal(info.mode & 0o777, 0o600, 'snapshots are readable by their owner only');
  }
});

test('a clean handler raises no leak report and writes no snapshot', { timeout: 600_000 }, async () => {
  const run = await runHost('clean', 4_000);
  assert.equal(run.code, 0);
  const done = run.messages.find((m) => m.type === 'done');
  assert.ok(done && done.type === 'done' && done.jobsDone === 4_000 && !done.recycled);
  assert.equal(run.messages.filter((m) => m.type === 'recycle').length, 0);
  assert.deepEqual(await reportsFor(run.pid), []);
  assert.deepEqual((await readdir(snapshotDir)).filter((f) => f.includes(`_${run.pid}_`)), []);
});
