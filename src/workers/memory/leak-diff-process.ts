/**
 * A leak report's heap diff, in a process of its own that the supervisor starts once the
 * crawler process that leaked has stored the report and handed over its two snapshots (that
 * process is replaced at once: it must not crawl on while a diff of its heap runs, nor keep the
 * memory its snapshots left behind). The diff runs in a further child (run-diff.ts), bounded by
 * leakDiffTimeoutMs; the report gets its growing class and retainer path, or says why it has
 * none, and the log gets the completed report. SIGTERM (daemon shutdown) stops the diff and
 * records that. Message in: LeakDiffStart.
 */
import path from 'node:path';
import { configFromMessage } from '../../shared/config.js';
import { createSql } from '../../shared/db/sql.js';
import { coerceError } from '../../shared/errors.js';
import type { ClassDelta } from '../../shared/heap/diff.js';
import type { LeakDiffStart } from '../../shared/ipc.js';
import { SnapshotPin } from '../../shared/heap/snapshot-pins.js';
import { createLogger } from '../../shared/logger.js';
import { completeLeakReport, shortPath, type DiffStatus } from './leak-report.js';
import { runDiffInChild } from './run-diff.js';

const start = await new Promise<Partial<LeakDiffStart>>((resolve) => process.once('message', (m: unknown) => resolve((m ?? {}) as Partial<LeakDiffStart>)));
if (!start.job || !start.config) process.exit(2);
const config = configFromMessage(start.config);
const { job } = start;
process.disconnect?.();
const log = createLogger(config, 'leak-diff', { daemonId: config.daemonId, workerId: job.workerId, leakingPid: job.pid, reportId: job.reportId });
const sql = createSql(config, { max: 1 });
// Pinned while the diff runs: no disk-budget pass (in any process) deletes them meanwhile.
const pin = new SnapshotPin(config.snapshotDir);
for (const file of job.snapshots) await pin.add(path.basename(file));
const t0 = performance.now();
const run = runDiffInChild(job.snapshots[0], job.snapshots[1], { top: job.top, sameProcess: true });
let stopped = false;
process.once('SIGTERM', () => {
  stopped = true;
  run.kill();
});
const timer = setTimeout(() => run.kill(), config.leakDiffTimeoutMs);

let status: DiffStatus = 'done';
let message: string | undefined;
let growers: ClassDelta[] = [];
try {
  growers = (await run.result).classes;
} catch (thrown) {
  status = stopped ? 'stopped' : performance.now() - t0 >= config.leakDiffTimeoutMs ? 'timed out' : 'failed';
  message = coerceError(thrown).message;
} finally {
  clearTimeout(timer);
}
const ms = Math.round(performance.now() - t0);
try {
  const culprit = await completeLeakReport(sql, job.reportId, { status, ms, ...(message ? { message } : {}), growers, sites: job.sites, siteBytes: job.siteBytes });
  if (status === 'done') {
    log.warn({ ...culprit, diffMs: ms }, `leak report ${job.reportId} completed by its heap diff: growing class ${culprit.growingClass ?? '?'}; held by ${shortPath(culprit.retainerPath) || '?'}; allocated at ${culprit.allocationSite ?? '?'}`);
  } else {
    log.warn({ diffMs: ms, status, detail: message }, `leak report ${job.reportId}: heap diff ${status} after ${ms} ms; the report keeps its allocation sites`);
  }
} catch (thrown) {
  log.error({ err: coerceError(thrown) }, `leak report ${job.reportId}: storing the heap diff failed`);
  process.exitCode = 1;
} finally {
  await pin.release();
  await sql.close().catch(() => undefined);
}
