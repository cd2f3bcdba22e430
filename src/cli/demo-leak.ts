/**
 * `spiderd demo --leak`: the demo's daemon runs the bundled leaky example handler
 * (examples/handlers/leaky.mjs) with --recycle-on-leak and a leak sentinel scaled down to the
 * sample site (warm-up 300 jobs instead of 800, a post-GC point and a snapshot gap of 100
 * jobs), waits until the sentinel stores a leak report, then shows `spiderd mem` while the
 * daemon still runs (it names the culprit from the report) and where the report and its
 * snapshots are.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Config } from '../shared/config.js';
import type { Db } from '../shared/db/client.js';
import { SpiderdError } from '../shared/errors.js';
import { recentLeakReports } from './mem/leak-reports.js';
import { runMem } from './mem/run-mem.js';

export const LEAKY_HANDLER = fileURLToPath(new URL('../../../examples/handlers/leaky.mjs', import.meta.url));
/** Enough pages for the scaled-down sentinel to warm up, see the growth and take its two snapshots. */
export const LEAK_DEMO_PAGES = 2400;
const REPORT_WAIT_MS = 180_000;

export function leakDaemonSettings(snapshotDir: string): { args: string[]; env: Record<string, string> } {
  return {
    args: ['--handler', LEAKY_HANDLER, '--recycle-on-leak', '--snapshot-dir', snapshotDir, '--sample-interval', '1'],
    env: { SPIDERD_LEAK_WARMUP_JOBS: '300', SPIDERD_LEAK_POINT_EVERY_JOBS: '100', SPIDERD_LEAK_SNAPSHOT_GAP_JOBS: '100', SPIDERD_SNAPSHOT_MIN_INTERVAL_MS: '0' },
  };
}

/** Waits for the daemon's first leak report; `check` throws when the demo must stop (interrupted, daemon gone). */
export async function waitForLeakReport(db: Db, daemonId: string, check: () => void): Promise<void> {
  const until = Date.now() + REPORT_WAIT_MS;
  while ((await db.leakReport.count({ where: { daemonId } })) === 0) {
    check();
    if (Date.now() > until) throw new SpiderdError('SPIDERD_INTERNAL', `the leak sentinel stored no report within ${REPORT_WAIT_MS / 1000} s of the crawl's end`);
    await sleep(500);
  }
}

/** Prints `spiderd mem` (the live daemon, its slot's report) and the report itself. */
export async function showLeak(config: Config, db: Db, daemonId: string, out: (line: string) => void): Promise<void> {
  out('');
  out('$ spiderd mem');
  await runMem(config, { json: false, watch: false, daemon: daemonId });
  const [report] = (await recentLeakReports(db, 20)).filter((r) => r.daemonId === daemonId);
  if (report === undefined) return;
  out('');
  out(`leak report #${report.id} is stored in PostgreSQL (table leak_reports); the crawler process ${report.pid} was recycled after it.`);
  out(`heap snapshots: ${report.snapshots.join(', ') || 'none'}`);
}
