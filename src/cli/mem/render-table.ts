/**
 * The `spiderd mem` table (pure): one line per process, then the verdict notes and, for each
 * slot with a leak report, the culprit named three ways.
 */
import path from 'node:path';
import type { MemRow, MemView } from './collect.js';
import { hoursText } from '../../shared/mem/slow-growth.js';
import type { LeakSummary } from './leak-reports.js';
import { rowVerdict, type GrowthOutlook } from './row-verdict.js';

const MB = 1024 * 1024;

export function renderMemTable(view: MemView): string {
  if (view.rows.length === 0) return noLiveDaemon(view);
  const header = ['HOST', 'DAEMON', 'WORKER', 'PID', 'UPTIME', 'JOBS', 'RSS', 'HEAP', 'EXTERNAL', 'ARRAYBUF', 'POST-GC', 'MB/1K JOBS', 'MB/DAY', 'LIMIT IN', 'VERDICT', 'LEAK REPORT'];
  const lines = view.rows.map((r) => {
    const s = r.sample;
    const v = rowVerdict(r);
    const investigating = v.investigation === 'running' ? ', investigating' : '';
    const verdict = `${v.verdict}${v.nativeGrowth ? ', native growth' : ''}${investigating}`;
    const report = r.leakReport ? `#${r.leakReport.id} ${shortTime(r.leakReport.createdAt)} ${r.leakReport.growingClass ?? '?'}${shortSite(r.leakReport.allocationSite)}${r.leakReport.pid === r.pid ? '' : ` (pid ${r.leakReport.pid})`}` : view.leakReportsError ? '?' : '-';
    return [
      r.host,
      r.daemonId,
      r.workerId,
      r.pid === null ? '-' : String(r.pid),
      duration(r.uptimeMs),
      String(r.jobsDone),
      mb(s?.rss),
      mb(s?.heapUsed),
      mb(s?.external),
      mb(s?.arrayBuffers),
      mb(s?.postGcHeap ?? undefined),
      v.axis === 'jobs' ? slope(v.growth.mbPer1kJobs) : '-',
      slope(v.growth.mbPerDay),
      v.growth.hoursToLimit === null ? '-' : hoursText(v.growth.hoursToLimit),
      verdict,
      report,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const out = [format(header), ...lines.map(format)];
  const notes = view.rows.filter((r) => rowVerdict(r).verdict !== 'ok' || rowVerdict(r).nativeGrowth || rowVerdict(r).growth.withinWeek);
  if (notes.length > 0) out.push('', ...notes.map((r) => `${r.daemonId} ${r.workerId}: ${rowVerdict(r).note}${limitNote(rowVerdict(r).growth)}`));
  for (const r of view.rows) if (r.leakReport) out.push('', ...culprit(r));
  if (view.leakReportsError) out.push('', `leak reports unavailable: ${view.leakReportsError}`);
  return `${out.join('\n')}\n`;
}

/** "; reaches its 1900 MB limit within a week: in 2.1 h at this pace (+0.34 MB per 1,000 pages, +921 MB/day)". */
function limitNote(g: GrowthOutlook): string {
  if (!g.withinWeek || g.hoursToLimit === null) return '';
  return `; reaches its ${g.limitMb ?? '?'} MB limit within a week: in ${hoursText(g.hoursToLimit)} at this pace (${slope(g.mbPer1kJobs)} MB per 1,000 pages, ${slope(g.mbPerDay)} MB/day)`;
}

/** The report's three names, one per line. */
function culprit(r: MemRow): string[] {
  const l = r.leakReport!;
  const detected = l.jobsAtDetection === null ? '' : `, suspected at ${l.jobsAtDetection} jobs`;
  return [
    `${r.daemonId} ${r.workerId}: leak report #${l.id} (pid ${l.pid}, ${l.kind} growth, ${l.evidence}${detected}, reported at ${l.jobsDone} jobs)`,
    `  growing class: ${l.growingClass ?? '?'}`,
    `  held by:       ${l.retainerPath.length > 0 ? l.retainerPath.slice(0, 6).join(' <- ') : '?'}`,
    `  allocated at:  ${l.allocationSite ?? '?'}`,
  ];
}

/** " @ handle (leaky.mjs:19)" from "handle (file:///srv/leaky.mjs:19) [user]". */
function shortSite(site: string | null): string {
  if (!site) return '';
  const m = /^(.*) \((.*):(\d+)\)/.exec(site);
  return m ? ` @ ${m[1]} (${path.basename(m[2]!)}:${m[3]})` : ` @ ${site}`;
}

function mb(bytes: number | undefined): string {
  return bytes === undefined ? '-' : `${(bytes / MB).toFixed(1)}M`;
}

function slope(value: number | null): string {
  if (value === null) return '-';
  const s = Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(2);
  return value > 0 ? `+${s}` : s;
}

function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

function shortTime(iso: string): string {
  const d = new Date(iso);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}

/** With no live daemon: says so, then the latest leak reports PostgreSQL keeps. */
function noLiveDaemon(view: MemView): string {
  const lines = ['no live daemons: no process to measure (start one with `spiderd start`)'];
  if (view.leakReportsError !== null) lines.push(`leak reports: PostgreSQL could not be read (${view.leakReportsError})`);
  else if (view.recentReports.length === 0) lines.push('leak reports in PostgreSQL: none');
  else {
    lines.push(`latest leak reports in PostgreSQL (${view.recentReports.length}, newest first):`);
    for (const r of view.recentReports) lines.push(...leakReportLines(r));
  }
  return `${lines.join('\n')}\n`;
}

/** One stored leak report, indented, the culprit named three ways. */
export function leakReportLines(r: LeakSummary & { daemonId: string; workerId: string }): string[] {
  const lines = [`  #${r.id} ${r.createdAt} ${r.daemonId} ${r.workerId} pid ${r.pid}, ${r.kind} leak after ${r.jobsAtDetection ?? r.jobsDone} jobs (${r.evidence})`];
  if (r.growingClass !== null) lines.push(`    growing: ${r.growingClass}`);
  if (r.retainerPath.length > 0) lines.push(`    held by: ${r.retainerPath.join(' -> ')}`);
  if (r.allocationSite !== null) lines.push(`    allocated at: ${r.allocationSite}`);
  return lines;
}
