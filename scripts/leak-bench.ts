/**
 * `npm run bench:leaks`: the leak sentinel against each leak fixture at a chosen speed, in a
 * process shaped like a crawler (test/fixtures/sentinel-host.ts: real pages, spiderd's decoder,
 * parser and handler runner, the real sentinel, a real PostgreSQL and snapshot directory), so
 * detection can be measured at 500 pages/s whatever the daemon's own throughput. Prints, per
 * kind: pages at detection and at the report, MB leaked before the report, pause and snapshot
 * figures, and the report's three names.
 * Flags: --rate N (pages/s, default 500; 0 = flat out), --concurrency N (16), --jobs N (6000;
 * leak-slow 40,000, leak-late 30,000), --kinds a,b (default: every fixture; an absolute path runs
 * that handler module), --clean-jobs N (pages of the clean run, default 100000), --warmup N
 * (the sentinel's warm-up, default 800: a later one lets a big leak's heap grow first).
 * The clean run is also a check: the post-GC heap from 20,000 jobs to its end must grow by less
 * than 50 bytes per page, or the bench exits 1.
 * `--daemon` runs the real daemon instead (bench/leak-daemon.ts): default settings,
 * --recycle-on-leak, one full-speed crawl of the --pages N (20,000) page bench site per --kinds
 * (default leak-dom-closures,leaky,leak-slices,clean).
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { migrate } from '../src/shared/db/migrate.js';
import { theilSen } from '../src/shared/mem/fit.js';
import { SlowHistory } from '../src/shared/mem/slow-growth.js';
import type { HostArgs, HostMessage } from '../test/fixtures/sentinel-host.js';
import { daemonLeakBench } from './bench/leak-daemon.js';

const HOST = fileURLToPath(new URL('../test/fixtures/sentinel-host.js', import.meta.url));
const HANDLERS = fileURLToPath(new URL('../test/fixtures/handlers/', import.meta.url));
const DAEMON_KINDS = ['leak-dom-closures', 'leaky', 'leak-slices', 'clean'];
const KINDS = ['leaky', 'leak-dom-closures', 'leak-slices', 'leak-listeners', 'leak-timers', 'leak-buffers', 'leak-typed-arrays', 'leak-slow', 'leak-late', 'bounded-cache', 'clean'];
/** Pages each kind runs by default: a slow leak needs its long window, a late one its clean start. */
const JOBS: Record<string, number> = { 'leak-slow': 40_000, 'leak-late': 30_000 };
/** spiderd's own heap must stay under this many bytes per page between FLAT_FROM jobs and the end of the clean run. */
const FLAT_MAX_BYTES_PER_PAGE = 50;
const FLAT_FROM = 20_000;

const { values } = parseArgs({ options: { rate: { type: 'string', default: '500' }, concurrency: { type: 'string', default: '16' }, jobs: { type: 'string', default: '6000' }, kinds: { type: 'string' }, 'clean-jobs': { type: 'string', default: '100000' }, warmup: { type: 'string' }, daemon: { type: 'boolean' }, pages: { type: 'string', default: '20000' } } });
const adminUrl = process.env.DATABASE_URL ? withDb(process.env.DATABASE_URL, 'postgres') : 'postgresql://postgres@127.0.0.1:5432/postgres';
const MB = 1024 * 1024;

console.log(`spiderd leak bench — ${new Date().toISOString()}`);
console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown cpu'} x${os.cpus().length}, ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB, node ${process.version}; rate ${values.rate} pages/s, ${values.concurrency} in flight`);

const handlerPath = (kind: string) => (path.isAbsolute(kind) ? kind : path.join(HANDLERS, `${kind}.js`));
if (values.daemon) {
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  await daemonLeakBench({ handlers: (values.kinds ?? DAEMON_KINDS.join(',')).split(',').map(handlerPath), pages: Number(values.pages), adminUrl, redisUrl });
  process.exit(0);
}

let failed = false;
for (const kind of (values.kinds ?? KINDS.join(',')).split(',')) {
  const jobs = kind === 'clean' ? Number(values['clean-jobs']) : (JOBS[kind] ?? Number(values.jobs));
  const r = await runKind(kind, jobs);
  console.log(`\n${kind}: ${r.done?.jobsDone ?? '?'} pages in ${((r.done?.elapsedMs ?? 0) / 1000).toFixed(1)} s, peak RSS ${((r.done?.peakRss ?? 0) / MB).toFixed(0)} MB; verdicts ${JSON.stringify(r.done?.verdicts ?? {})}; ${r.done?.forcedGcs ?? 0} forced GCs (${r.done?.forcedGcMs ?? 0} ms)`);
  if (kind === 'clean' && r.done) failed = !flatAfterWarmup(r.done.postGc) || failed;
  if (r.reports.length === 0) {
    console.log('  no leak report');
    continue;
  }
  for (const row of r.reports) {
    const f = row.figures as { growth?: { heapMbPer1kJobs: number; externalMbPer1kJobs: number }; pauses?: Array<{ label: string; jobs: number; pauseMs: number; writeMs: number | null; drainMs: number; gcMs: number; snapshotBytes: number | null; heapMb: number; rssAfterMb?: number }>; diffMs?: number; diff?: { status: string; ms: number }; evidenceNote?: string; peakRssMb?: number; peakRssOverHeapMb?: number; budget?: { headroomMb?: number; maxWorkerMemoryMb?: number } };
    const rate = Math.max(f.growth?.heapMbPer1kJobs ?? 0, 0) + Math.max(f.growth?.externalMbPer1kJobs ?? 0, 0);
    const b = f.pauses?.find((p) => p.label === 'B');
    console.log(`  report #${row.id} (${row.kind}, ${row.evidence}): suspected at ${row.jobs_at_detection} pages, clean measurement B at ${b?.jobs ?? '?'}, report stored at ${row.jobs_done}, recycled at ${r.recycle?.jobsDone ?? '-'}; +${rate.toFixed(2)} MB per 1,000 pages`);
    const budget = f.budget?.maxWorkerMemoryMb ? `--max-worker-memory ${f.budget.maxWorkerMemoryMb} MB` : `heap + ${f.budget?.headroomMb ?? '?'} MB`;
    console.log(`  peak RSS during the investigation ${f.peakRssMb ?? '?'} MB, at most ${f.peakRssOverHeapMb ?? '?'} MB above the heap (budget: ${budget})`);
    for (const p of f.pauses ?? []) console.log(`  pause ${p.label} at ${p.jobs} pages: ${p.pauseMs} ms (in-flight ${p.drainMs} ms, GC ${p.gcMs} ms${p.writeMs === null ? '' : `, snapshot ${p.writeMs} ms, ${((p.snapshotBytes ?? 0) / MB).toFixed(1)} MB`}); heap ${p.heapMb} MB, rss after ${p.rssAfterMb ?? '?'} MB`);
    console.log(`  ${f.diff ? `heap diff (its own process) ${f.diff.status} in ${f.diff.ms} ms` : `no heap diff; ${f.evidenceNote ?? ''}`}`);
    console.log(`  growing class: ${row.growing_class}`);
    console.log(`  retainer path: ${(row.retainer_path ?? []).join(' <- ')}`);
    console.log(`  allocation site: ${row.allocation_site}`);
  }
}

interface ReportRow {
  id: number;
  kind: string;
  evidence: string;
  jobs_at_detection: number;
  jobs_done: number;
  figures: unknown;
  growing_class: string | null;
  retainer_path: string[] | null;
  allocation_site: string | null;
}

if (failed) process.exitCode = 1;

/** The clean run's post-GC heap (lowest per bucket) from FLAT_FROM jobs on: its slope in bytes per page. */
function flatAfterWarmup(postGc: Array<[number, number]>): boolean {
  const history = new SlowHistory(10_000);
  for (const [jobs, heap] of postGc) history.add({ jobs, at: 0, heap, external: 0, rss: 0, heapCommitted: 0 });
  const points = history.points.filter((p) => p.jobs >= FLAT_FROM);
  const fit = theilSen(points.map((p) => p.jobs), points.map((p) => p.heap));
  if (!fit || points.length < 4) {
    console.log(`  flatness check: not enough post-GC points after ${FLAT_FROM} jobs (${points.length}); run at least 60,000 clean pages`);
    return false;
  }
  const first = points[0]!;
  const last = points[points.length - 1]!;
  const ok = fit.slope < FLAT_MAX_BYTES_PER_PAGE;
  console.log(`  flatness check: post-GC heap ${(first.heap / MB).toFixed(1)} MB at ${first.jobs} jobs, ${(last.heap / MB).toFixed(1)} MB at ${last.jobs}: ${fit.slope.toFixed(1)} bytes per page (limit ${FLAT_MAX_BYTES_PER_PAGE}) ${ok ? 'ok' : 'FAILED'}`);
  return ok;
}

async function runKind(kind: string, maxJobs: number): Promise<{ done: Extract<HostMessage, { type: 'done' }> | null; recycle: Extract<HostMessage, { type: 'recycle' }> | null; reports: ReportRow[] }> {
  const dbName = `spiderd_leakbench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${dbName}"`);
  const dbUrl = withDb(adminUrl, dbName);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'spiderd-leakbench-'));
  try {
    await migrate(dbUrl);
    const args: HostArgs = { databaseUrl: dbUrl, snapshotDir: dir, handler: handlerPath(kind), maxJobs, rate: Number(values.rate), concurrency: Number(values.concurrency), config: { sampleIntervalMs: 1000, logLevel: 'warn', ...(values.warmup ? { leakWarmupJobs: Number(values.warmup) } : {}) } };
    const child = fork(HOST, [JSON.stringify(args)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
    let done: Extract<HostMessage, { type: 'done' }> | null = null;
    let recycle: Extract<HostMessage, { type: 'recycle' }> | null = null;
    child.on('message', (m: HostMessage) => {
      if (m.type === 'done') done = m;
      else recycle = m;
    });
    await new Promise((resolve) => child.on('exit', resolve));
    const c = new pg.Client({ connectionString: dbUrl });
    await c.connect();
    const reports = (await c.query<ReportRow>('SELECT id, kind, evidence, jobs_at_detection, jobs_done, figures, growing_class, retainer_path, allocation_site FROM leak_reports ORDER BY id')).rows;
    await c.end();
    return { done, recycle, reports };
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin.end();
    await rm(dir, { recursive: true, force: true });
  }
}

function withDb(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}
