/**
 * The leak sentinel in a process shaped like a crawler (test/fixtures/sentinel-host.ts), driven
 * flat out: real pages through spiderd's decoder, parser and handler runner into real handler
 * modules; the real sentinel with its forced GCs, clean pauses, snapshots, sampling profile and
 * diff child; reports in a real PostgreSQL. Speeds and pause times are the benchmark's business
 * (npm run bench:leaks); this checks what a user would see: the report and its three names.
 */
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, afterEach, before, test } from 'node:test';
import type { ConfigFlags } from '../../src/shared/config.js';
import type { HostArgs, HostMessage } from '../fixtures/sentinel-host.js';
import { createTestDatabase, queryDb, type TestDatabase } from '../helpers/db.js';

const HOST = fileURLToPath(new URL('../fixtures/sentinel-host.js', import.meta.url));
const handler = (name: string) => fileURLToPath(new URL(`../fixtures/handlers/${name}.js`, import.meta.url));

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

async function runHost(name: string, maxJobs: number, config: ConfigFlags = {}): Promise<{ pid: number; code: number | null; messages: HostMessage[] }> {
  const args: HostArgs = { databaseUrl: db.url, snapshotDir, handler: handler(name), maxJobs, rate: 0, concurrency: 16, config: { sampleIntervalMs: 200, ...config } };
  const child = fork(HOST, [JSON.stringify(args)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  children.add(child);
  const messages: HostMessage[] = [];
  child.on('message', (m) => messages.push(m as HostMessage));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return { pid: child.pid!, code, messages };
}

interface Row {
  kind: string;
  evidence: string;
  jobs_at_detection: number;
  jobs_done: number;
  growing_class: string | null;
  retainer_path: string[] | null;
  allocation_site: string | null;
  snapshots: string[];
  figures: { growth?: { confirmed: boolean }; evidenceNote?: string; pauses?: unknown[]; diff?: { status: string }; peakRssOverHeapMb?: number };
}

const reportsFor = (pid: number) => queryDb<Row>(db.url, 'SELECT kind, evidence, jobs_at_detection, jobs_done, growing_class, retainer_path, allocation_site, snapshots, figures FROM leak_reports WHERE pid = $1', [pid]);

test("a big leak (each page's document kept in a record): reported and recycled by 3,000 pages, its sampling profile naming the handler, RSS within heap + 300 MB", { timeout: 300_000 }, async () => {
  const run = await runHost('leaky', 6000);
  assert.equal(run.code, 0);
  const recycle = run.messages.find((m) => m.type === 'recycle');
  assert.ok(recycle && recycle.reason === 'leak', 'the process asked to be recycled for the leak');
  assert.ok(recycle.jobsDone < 3000, `recycled at ${recycle.jobsDone} pages`);
  const [report, ...more] = await reportsFor(run.pid);
  assert.ok(report, 'a leak report was stored');
  assert.equal(more.length, 0);
  assert.ok(report.jobs_done < 3000, `reported at ${report.jobs_done} pages`);
  assert.equal(report.kind, 'heap');
  // Kept DOM trees are millions of small objects: a snapshot would need several times the heap in RSS.
  assert.equal(report.evidence, 'sampling profile');
  assert.match(report.figures.evidenceNote ?? '', /would take RSS to about \d+ MB, over the investigation's budget/);
  assert.match(report.allocation_site ?? '', /^handle \(file:\/\/.*\/handlers\/leaky\.js:\d+\) \[user\]$/);
  assert.ok((report.figures.peakRssOverHeapMb ?? Infinity) <= 300, `RSS ${report.figures.peakRssOverHeapMb} MB above the heap`);
  assert.deepEqual((await readdir(snapshotDir)).filter((f) => f.includes(`_${run.pid}_`)), [], 'no snapshot written');
});

test('a leak whose snapshots fit: the diff runs in its own process after the leaking one is replaced, and completes the report with the class and the variable', { timeout: 300_000 }, async () => {
  const run = await runHost('leak-slices', 6000);
  assert.equal(run.code, 0);
  const recycle = run.messages.find((m) => m.type === 'recycle');
  assert.ok(recycle && recycle.reason === 'leak', JSON.stringify(recycle));
  const [report] = await reportsFor(run.pid);
  assert.ok(report, 'a leak report was stored');
  assert.equal(report.evidence, 'heap snapshots');
  assert.ok(report.jobs_done <= recycle.jobsDone + 16, `recycled at ${recycle.jobsDone}, right after the report at ${report.jobs_done}: it did not crawl on while the diff ran`);
  assert.equal(report.figures.diff?.status, 'done');
  assert.equal(report.growing_class, '(sliced string)');
  assert.ok(report.retainer_path?.some((s) => s.includes('variable `snippets`') && s.includes('leak-slices.js')), report.retainer_path?.join(' <- '));
  assert.match(report.allocation_site ?? '', /^handle \(file:\/\/.*\/handlers\/leak-slices\.js:\d+\) \[user\]$/);
  assert.equal(report.snapshots.length, 2);
  for (const file of report.snapshots) {
    assert.equal(path.dirname(file), path.resolve(snapshotDir));
    assert.equal((await stat(file)).mode & 0o777, 0o600, 'snapshots are readable by their owner only');
  }
  assert.ok((report.figures.peakRssOverHeapMb ?? Infinity) <= 300, `RSS ${report.figures.peakRssOverHeapMb} MB above the heap`);
});

test('a heap too big to snapshot within the pause limit: the sampling profile alone names the handler, and the report says so', { timeout: 300_000 }, async () => {
  const run = await runHost('leak-buffers', 6000, { leakMaxPauseMs: 0 });
  assert.equal(run.code, 0);
  const [report] = await reportsFor(run.pid);
  assert.ok(report, 'a leak report was stored');
  assert.equal(report.kind, 'native');
  assert.equal(report.evidence, 'sampling profile');
  assert.deepEqual(report.snapshots, []);
  assert.match(report.figures.evidenceNote ?? '', /sampling heap profile alone: .* above SPIDERD_LEAK_MAX_PAUSE_MS/);
  assert.match(report.allocation_site ?? '', /^handle \(file:\/\/.*\/handlers\/leak-buffers\.js:\d+\) \[user\]$/);
  assert.deepEqual((await readdir(snapshotDir)).filter((f) => f.includes(`_${run.pid}_`)), [], 'no snapshot written');
});

test('a clean handler raises no report and writes no snapshot', { timeout: 300_000 }, async () => {
  const run = await runHost('clean', 5000);
  assert.equal(run.code, 0);
  const done = run.messages.find((m) => m.type === 'done');
  assert.ok(done && done.type === 'done' && done.jobsDone === 5000 && !done.recycled, JSON.stringify(done));
  assert.ok(!('suspected leak' in done.verdicts), `verdicts ${JSON.stringify(done.verdicts)}`);
  assert.deepEqual(await reportsFor(run.pid), []);
  assert.deepEqual((await readdir(snapshotDir)).filter((f) => f.includes(`_${run.pid}_`)), []);
});
