/**
 * `spiderd mem` in a real process against real Redis (a heartbeat and sample history written
 * under a random prefix, as a daemon would) and a real PostgreSQL (a leak report row).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { redisKeys } from '../../src/shared/keys.js';
import type { MemSample } from '../../src/shared/mem-sample.js';
import type { LeakState } from '../../src/shared/mem/leak-state.js';
import { appendSample } from '../../src/shared/mem/history.js';
import { writeHeartbeat, type DaemonRecord } from '../../src/shared/presence.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { deletePrefix, REDIS_URL, testPrefix } from '../helpers/redis.js';
import { runCli } from '../helpers/spiderd.js';

const MB = 1024 * 1024;

let db: TestDatabase;
let prefix: string;
let workDir: string;

/** Runs the real `spiderd mem ...` against this file's Redis prefix and database. */
const runMem = (args: string[]) => runCli({ databaseUrl: db.url, prefix }, ['mem', ...args]);

function samples(startedAt: number, n: number, heapMb: (jobs: number) => number, jobsPerSample: number): MemSample[] {
  return Array.from({ length: n }, (_, i) => {
    const jobs = i * jobsPerSample;
    const heap = heapMb(jobs) * MB + (i % 7) * 4096; // each major GC leaves a slightly different heap
    return { at: startedAt + 1000 + i * 5000, rss: heap + 80 * MB, heapUsed: heap + 10 * MB, heapTotal: heap + 30 * MB, external: 3 * MB, arrayBuffers: MB, postGcHeap: heap, loopDelayMeanMs: 1, loopDelayP99Ms: 4, jobsDone: jobs };
  });
}

before(async () => {
  db = await createTestDatabase();
  prefix = testPrefix();
  workDir = await mkdtemp(path.join(tmpdir(), 'spiderd-mem-test-'));
});

after(async () => {
  await deletePrefix(prefix);
  await db.drop();
  await rm(workDir, { recursive: true, force: true });
});

test('no daemon running: says so and that PostgreSQL holds no leak report, exit 0; --json gives empty lists', async () => {
  const text = await runMem([]);
  assert.equal(text.code, 0, text.stderr);
  assert.deepEqual(text.stdout.trim().split('\n'), ['no live daemons: no process to measure (start one with `spiderd start`)', 'leak reports in PostgreSQL: none']);
  const json = await runMem(['--json']);
  assert.equal(json.code, 0, json.stderr);
  const doc = JSON.parse(json.stdout) as { version: number; daemons: unknown[]; processes: unknown[] };
  assert.equal(doc.version, 1);
  assert.deepEqual([doc.daemons, doc.processes], [[], []]);
});

test('every process of a live daemon is listed with its trend, verdict and latest leak report; --chart writes an SVG', async () => {
  const redis = new Redis(REDIS_URL);
  const keys = redisKeys(prefix);
  const now = Date.now();
  const startedAt = now - 15 * 60_000;
  const leaky = samples(startedAt, 150, (jobs) => 60 + (20 * jobs) / 1000, 40); // +20 MB per 1,000 jobs
  const steady = samples(startedAt, 150, () => 30, 0);
  try {
    // Samples of the slot's previous process (before startedAt) must not count.
    await appendSample(redis, keys, 'd1', 'w1', { ...leaky[0]!, at: startedAt - 60_000, postGcHeap: 900 * MB, jobsDone: 99_999 });
    for (const s of leaky) await appendSample(redis, keys, 'd1', 'w1', s);
    for (const s of steady) await appendSample(redis, keys, 'd1', 'supervisor', s);
    const record: DaemonRecord = {
      daemonId: 'd1', host: 'host-a', pid: 4000, version: 'test', startedAt, lastSeen: now, snapshotDir: workDir,
      processes: [
        { workerId: 'supervisor', pid: 4000, startedAt, jobsDone: 0, restarts: 0, state: 'running', lastSample: steady[steady.length - 1]! },
        { workerId: 'w1', pid: 4001, startedAt, jobsDone: leaky[leaky.length - 1]!.jobsDone, restarts: 0, state: 'running', lastSample: leaky[leaky.length - 1]! },
      ],
    };
    await writeHeartbeat(redis, keys, record, 120_000);
  } finally {
    redis.disconnect();
  }
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO leak_reports (daemon_id, host, worker_id, pid, jobs_done, figures, growers, snapshots) VALUES ('d1', 'host-a', 1, 4001, 5000, '{}', $1, ARRAY['/tmp/a.heapsnapshot','/tmp/b.heapsnapshot'])`,
      [JSON.stringify([{ name: 'RetainedPage', countDelta: 200 }, { name: 'Element', countDelta: 9000 }])],
    );
  } finally {
    await client.end();
  }

  const json = await runMem(['--json']);
  assert.equal(json.code, 0, json.stderr);
  const doc = JSON.parse(json.stdout) as { processes: Array<{ workerId: string; pid: number; host: string; jobsDone: number; trend: { verdict: string; heapMbPer1kJobs: number | null; axis: string }; leakReport: { topClass: string } | null }> };
  assert.deepEqual(doc.processes.map((p) => p.workerId), ['supervisor', 'w1']);
  const w1 = doc.processes.find((p) => p.workerId === 'w1')!;
  assert.equal(w1.pid, 4001);
  assert.equal(w1.host, 'host-a');
  assert.equal(w1.trend.verdict, 'suspected leak');
  assert.ok(Math.abs(w1.trend.heapMbPer1kJobs! - 20) < 0.5, `slope ${w1.trend.heapMbPer1kJobs}`);
  assert.equal(w1.leakReport?.topClass, 'RetainedPage');
  const sup = doc.processes.find((p) => p.workerId === 'supervisor')!;
  assert.equal(sup.trend.axis, 'time');
  assert.equal(sup.trend.verdict, 'ok');
  assert.equal(sup.leakReport, null);

  const chart = path.join(workDir, 'mem.svg');
  const table = await runMem(['--chart', chart]);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^HOST\s+DAEMON\s+WORKER/m);
  assert.match(table.stdout, /^host-a\s+d1\s+w1\s+4001\s.*suspected leak\s+#\d+ .* RetainedPage$/m);
  assert.match(table.stdout, /chart written to /);
  const svg = await readFile(chart, 'utf8');
  assert.ok(svg.startsWith('<svg'));
  assert.equal((svg.match(/<polyline /g) ?? []).length, 4, 'rss and post-GC heap for each of the two processes');
  assert.deepEqual((await readdir(workDir)).filter((f) => f.endsWith('.tmp')), [], 'no temp file left behind');

  const other = await runMem(['--json', '--daemon', 'not-there']);
  assert.deepEqual((JSON.parse(other.stdout) as { processes: unknown[] }).processes, []);
});

test("a crawler's verdict is the one its own sentinel published in its latest sample, whatever its history looks like", async () => {
  const redis = new Redis(REDIS_URL);
  const keys = redisKeys(prefix);
  const now = Date.now();
  const startedAt = now - 10 * 60_000;
  // The history alone would read as a steep leak; the process's own sentinel says otherwise.
  const history = samples(startedAt, 60, (jobs) => 60 + (30 * jobs) / 1000, 50);
  const leak: LeakState = {
    verdict: 'ok', kinds: [], note: 'post-GC heap flat (0.10 MB/1k jobs, noise 0.30 MB, 9 points)', points: 9, jobsSpan: 1800,
    heapMbPer1kJobs: 0.1, heapLowerMbPer1kJobs: -0.4, heapMbPerHour: 2, externalMbPer1kJobs: 0, rssMbPer1kJobs: 0.2, rssMbPerHour: 3,
    noiseMb: 0.3, forcedGcs: 3, forcedGcMs: 90, investigation: 'not confirmed', reportId: null,
    longMbPer1kJobs: 0.34, longMbPerDay: 921, hoursToLimit: 40.5, limitMb: 1900,
  };
  const last = { ...history[history.length - 1]!, leak };
  try {
    for (const s of [...history.slice(0, -1), last]) await appendSample(redis, keys, 'd2', 'w1', s);
    const record: DaemonRecord = {
      daemonId: 'd2', host: 'host-b', pid: 5000, version: 'test', startedAt, lastSeen: now, snapshotDir: workDir,
      processes: [{ workerId: 'w1', pid: 5001, startedAt, jobsDone: last.jobsDone, restarts: 0, state: 'running', lastSample: last }],
    };
    await writeHeartbeat(redis, keys, record, 120_000);
  } finally {
    redis.disconnect();
  }
  const json = await runMem(['--json', '--daemon', 'd2']);
  assert.equal(json.code, 0, json.stderr);
  const w1 = (JSON.parse(json.stdout) as { processes: Array<{ trend: { source: string; verdict: string; noiseMb: number; investigation: string; forcedGcs: number; growth: { mbPer1kJobs: number; mbPerDay: number; hoursToLimit: number; limitMb: number; withinWeek: boolean } } }> }).processes[0]!;
  assert.deepEqual([w1.trend.source, w1.trend.verdict, w1.trend.noiseMb, w1.trend.investigation, w1.trend.forcedGcs], ['process', 'ok', 0.3, 'not confirmed', 3]);
  assert.deepEqual(w1.trend.growth, { mbPer1kJobs: 0.34, mbPerDay: 921, hoursToLimit: 40.5, limitMb: 1900, withinWeek: true });
  const table = await runMem(['--daemon', 'd2']);
  // Growth per 1,000 pages and per day, the time to the limit, and a note that says it comes within a week.
  assert.match(table.stdout, /^host-b\s+d2\s+w1\s+5001\s.*\+0\.34\s+\+921\s+40\.5 h\s+ok\s+-$/m);
  assert.match(table.stdout, /^d2 w1: .*reaches its 1900 MB limit within a week: in 40\.5 h at this pace \(\+0\.34 MB per 1,000 pages, \+921 MB\/day\)$/m);
});

test('after the daemons are gone, mem says so and shows the latest leak reports from PostgreSQL', async () => {
  await deletePrefix(prefix); // no heartbeat left: no live daemon
  const text = await runMem([]);
  assert.equal(text.code, 0, text.stderr);
  const lines = text.stdout.trim().split('\n');
  assert.equal(lines[0], 'no live daemons: no process to measure (start one with `spiderd start`)');
  assert.match(lines[1]!, /^latest leak reports in PostgreSQL \(\d+, newest first\):$/);
  assert.match(text.stdout, /^ {2}#\d+ \S+ d1 w1 pid 4001, heap leak after 5000 jobs \(heap snapshots\)$/m);
  assert.match(text.stdout, /^ {4}growing: RetainedPage$/m);
});
