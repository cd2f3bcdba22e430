/** The `spiderd mem` table (pure): one line per process, then the verdict notes. */
import type { MemView } from './collect.js';

const MB = 1024 * 1024;

export function renderMemTable(view: MemView): string {
  if (view.rows.length === 0) return 'no live daemons\n';
  const header = ['HOST', 'DAEMON', 'WORKER', 'PID', 'UPTIME', 'JOBS', 'RSS', 'HEAP', 'EXTERNAL', 'ARRAYBUF', 'POST-GC', 'MB/H', 'MB/1K JOBS', 'VERDICT', 'LEAK REPORT'];
  const lines = view.rows.map((r) => {
    const s = r.sample;
    const verdict = r.trend.nativeGrowth ? `${r.trend.verdict}, native growth` : r.trend.verdict;
    const report = r.leakReport ? `#${r.leakReport.id} ${shortTime(r.leakReport.createdAt)} ${r.leakReport.topClass ?? '?'}${r.leakReport.pid === r.pid ? '' : ` (pid ${r.leakReport.pid})`}` : view.leakReportsError ? '?' : '-';
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
      slope(r.trend.heap.mbPerHour),
      r.trend.axis === 'jobs' ? slope(r.trend.heap.mbPer1kJobs) : '-',
      verdict,
      report,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const out = [format(header), ...lines.map(format)];
  const notes = view.rows.filter((r) => r.trend.verdict !== 'ok' || r.trend.nativeGrowth);
  if (notes.length > 0) out.push('', ...notes.map((r) => `${r.daemonId} ${r.workerId}: ${r.trend.note}`));
  if (view.leakReportsError) out.push('', `leak reports unavailable: ${view.leakReportsError}`);
  return `${out.join('\n')}\n`;
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
