/** The human-readable `status` output and the live progress line. Pure formatting. */
import type { CrawlStatus } from './crawl-status.js';
import type { DaemonStatus } from './daemon-status.js';
import { formatDuration } from '../shared/duration.js';
import { describePolicy, recrawlPolicySchema } from '../shared/recrawl/policy.js';

export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

const byCode = (counts: Record<string, number>) =>
  Object.entries(counts)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([code, n]) => `${code} ${n}`)
    .join(', ');

export function crawlText(c: CrawlStatus): string {
  const lines = [
    `crawl ${JSON.stringify(c.name)}  ${c.finished ? 'finished' : 'running'}  (created ${c.createdAt})`,
    `  discovered ${c.discovered}  queued ${c.queued}  in flight ${c.inFlight}  fetched ${c.fetched}  failed ${c.failed}  skipped ${c.skipped}  redirected ${c.redirected}  ${c.pagesPerSecond.toFixed(1)} pages/s`,
  ];
  if (c.freshness) lines.push(freshnessText(c));
  if (c.failed > 0) lines.push(`  failed:  ${byCode(c.failedByCode)}`);
  if (c.skipped > 0) lines.push(`  skipped: ${byCode(c.skippedByCode)}`);
  return lines.join('\n');
}

/** "  recrawl every 6h: due 3 (overdue 0)  fetched 120 last hour, 2400 last day (91% 304)  changed 40 last day  next due 2026-..." */
function freshnessText(c: CrawlStatus): string {
  const f = c.freshness!;
  const policy = recrawlPolicySchema.safeParse((c.options as { recrawl?: unknown } | null)?.recrawl);
  const name = policy.success ? describePolicy(policy.data, formatDuration) : 'round';
  const share = f.notModifiedShare === null ? '' : ` (${Math.round(f.notModifiedShare * 100)}% 304)`;
  return `  recrawl ${name}: due ${f.dueNow} (overdue ${f.overdue})  fetched ${f.fetchedLastHour} last hour, ${f.fetchedLastDay} last day${share}  changed ${f.changedLastDay} last day  next due ${f.nextDueAt ?? '-'}`;
}

export function daemonsText(daemons: DaemonStatus[]): string {
  if (daemons.length === 0) return 'daemons: none running (start one with `spiderd start`)';
  const lines = [`daemons: ${daemons.length}`];
  for (const d of daemons) {
    lines.push(`  ${d.daemonId}  host ${d.host}  pid ${d.pid}  up ${duration(d.uptimeSeconds)}  v${d.version}`);
    for (const p of d.processes) {
      const rss = p.rssBytes === null ? '' : `  rss ${(p.rssBytes / 1024 / 1024).toFixed(0)} MB`;
      lines.push(`    ${p.workerId.padEnd(10)} pid ${String(p.pid ?? '-').padEnd(7)} ${p.state.padEnd(10)} up ${duration(p.uptimeSeconds).padEnd(8)} jobs ${p.jobsDone}  restarts ${p.restarts}${rss}`);
    }
  }
  return lines.join('\n');
}

/** One line: a bar, done/discovered, fetched, pages/s and an ETA. */
export function progressLine(c: CrawlStatus, width = 24, note = ''): string {
  const done = c.discovered - c.queued - c.inFlight;
  const ratio = c.discovered > 0 ? done / c.discovered : 0;
  const filled = Math.round(ratio * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  const remaining = c.queued + c.inFlight;
  const eta = c.finished ? 'done' : c.pagesPerSecond > 0 ? `ETA ${duration(remaining / c.pagesPerSecond)}` : 'ETA --';
  return `${bar} ${c.fetched}/${c.discovered} fetched  ${c.failed + c.skipped} failed/skipped  ${c.pagesPerSecond.toFixed(1)} pages/s  ${eta}${note}`;
}
