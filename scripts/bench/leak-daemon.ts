/**
 * `npm run bench:leaks -- --daemon`: the leak sentinel in the real daemon at default settings
 * (one crawler process per CPU, default concurrency, full speed) with `--recycle-on-leak`, one
 * crawl of the throughput bench's site per leak handler. Prints, per handler: pages stored
 * against the site's pages, pages the site served more than once, the crawler processes that ran
 * and their peak RSS, each leak report (pages at suspicion, at clean measurement B and at the
 * report; whether its process was replaced; peak RSS; pauses; the diff; the three names), and
 * where the daemon's log (level info) was written. SPIDERD_* variables in the bench's
 * environment reach the daemon (SPIDERD_WORKERS, SPIDERD_MAX_WORKER_MEMORY_MB, ...).
 */
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { daemonRun, type RunResult } from './daemon-run.js';
import { startStaticSite } from './static-site.js';

export interface DaemonLeakOptions {
  /** Absolute paths of handler modules. */
  handlers: string[];
  pages: number;
  adminUrl: string;
  redisUrl: string;
}

interface ReportRow {
  id: number;
  worker_id: number;
  pid: number;
  kind: string;
  evidence: string;
  jobs_at_detection: number | null;
  jobs_done: number;
  figures: Figures;
  growing_class: string | null;
  retainer_path: string[] | null;
  allocation_site: string | null;
}

interface Figures {
  pauses?: Array<{ label: string; jobs: number; pauseMs: number; writeMs: number | null; heapMb: number; rssAfterMb?: number }>;
  diff?: { status: string; ms: number };
  evidenceNote?: string;
  peakRssMb?: number;
  peakRssOverHeapMb?: number;
  peakRssOverHeapAt?: { step: string; externalMb: number };
}

const DIFF_WAIT_MS = 15 * 60_000;

export async function daemonLeakBench(o: DaemonLeakOptions): Promise<void> {
  const site = await startStaticSite(o.pages, { accessLog: true });
  try {
    const tuned = Object.entries(process.env).filter(([k]) => k.startsWith('SPIDERD_')).map(([k, v]) => `${k}=${v}`);
    console.log(`site: ${site.pageUrls.length} HTML pages served by ${site.server}; the daemon at default settings with --recycle-on-leak${tuned.length ? ` and ${tuned.join(' ')}` : ''}`);
    for (const handler of o.handlers) {
      const before = site.requests();
      let reports: ReportRow[] = [];
      let states: Record<string, number> = {};
      const alive = new Set<number>();
      const inspect = async (db: pg.Client) => {
        reports = await settledReports(db);
        for (const r of reports) if (isAlive(r.pid)) alive.add(r.pid);
        states = Object.fromEntries((await db.query<{ state: string; n: string }>(`SELECT state, count(*) AS n FROM pages GROUP BY state`)).rows.map((r) => [r.state, Number(r.n)]));
      };
      const logFile = path.join(os.tmpdir(), `spiderd-leak-daemon-${path.basename(handler).replace(/\.[cm]?js$/, '')}-${Date.now()}.log`);
      const r = await daemonRun({ seedUrls: [site.seedUrl], adminUrl: o.adminUrl, redisUrl: o.redisUrl, sitePid: site.pid, inspect, logFile, extraEnv: { SPIDERD_HANDLER: handler, SPIDERD_RECYCLE_ON_LEAK: 'true', SPIDERD_LOG_LEVEL: process.env.SPIDERD_LOG_LEVEL ?? 'info' } });
      console.log(`\nthe daemon's log: ${logFile}`);
      const twice = [...site.requests()].filter(([p, n]) => p.startsWith('/page/') && n - (before.get(p) ?? 0) > 1).length;
      print(handler, r, states, twice, site.pageUrls.length, reports, alive);
    }
  } finally {
    await site.close();
  }
}

/** The crawl's leak reports, once no heap diff is still pending (a diff completes its report later). */
async function settledReports(db: pg.Client): Promise<ReportRow[]> {
  const until = Date.now() + DIFF_WAIT_MS;
  for (;;) {
    const rows = (await db.query<ReportRow>('SELECT id, worker_id, pid, kind, evidence, jobs_at_detection, jobs_done, figures, growing_class, retainer_path, allocation_site FROM leak_reports ORDER BY id')).rows;
    if (!rows.some((r) => r.figures.diff?.status === 'pending') || Date.now() > until) return rows;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function print(handler: string, r: RunResult, states: Record<string, number>, twice: number, sitePages: number, reports: ReportRow[], alive: Set<number>): void {
  const name = handler.split('/').pop();
  console.log(`\n${name}: ${states.fetched ?? 0} of ${sitePages} site pages stored in ${r.seconds.toFixed(1)} s (${r.pagesPerSecond.toFixed(0)} pages/s); rows by state ${JSON.stringify(states)}; pages served more than once: ${twice}`);
  const byPid = new Map(r.seen.map((p) => [p.pid, p]));
  console.log(`  crawler processes: ${r.seen.length}, peak RSS ${Math.min(...r.seen.map((p) => p.peakRssMb)).toFixed(0)}-${Math.max(...r.seen.map((p) => p.peakRssMb)).toFixed(0)} MB`);
  if (reports.length === 0) console.log('  no leak report');
  for (const row of reports) {
    const f = row.figures;
    const b = f.pauses?.find((p) => p.label === 'B');
    const proc = byPid.get(row.pid);
    console.log(`  report #${row.id} (worker ${row.worker_id}, pid ${row.pid}, ${row.kind}, ${row.evidence}): suspected at ${row.jobs_at_detection ?? '?'} pages, B at ${b?.jobs ?? '-'}, stored at ${row.jobs_done}; ${alive.has(row.pid) ? 'STILL RUNNING at the end of the crawl' : 'replaced'}`);
    console.log(`    peak RSS ${proc ? proc.peakRssMb.toFixed(0) : '?'} MB (the report's own figure ${f.peakRssMb ?? '?'} MB, ${f.peakRssOverHeapMb ?? '?'} MB above the heap${f.peakRssOverHeapAt ? `, during ${f.peakRssOverHeapAt.step}, external memory ${f.peakRssOverHeapAt.externalMb} MB` : ''})`);
    for (const p of f.pauses ?? []) console.log(`    pause ${p.label} at ${p.jobs} pages: ${p.pauseMs} ms${p.writeMs === null ? '' : ` (snapshot ${p.writeMs} ms)`}, heap ${p.heapMb} MB, rss after ${p.rssAfterMb ?? '?'} MB`);
    console.log(`    ${f.diff ? `heap diff ${f.diff.status} in ${(f.diff.ms / 1000).toFixed(1)} s` : `no heap diff: ${f.evidenceNote ?? ''}`}`);
    console.log(`    ${row.growing_class} | ${(row.retainer_path ?? []).join(' <- ')} | ${row.allocation_site}`);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
