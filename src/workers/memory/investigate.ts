/**
 * One leak investigation: snapshot A, leakSnapshotGapJobs more jobs, snapshot B, a diff in
 * a separate process, a stored leak report. Jobs are paused around each snapshot so no job
 * lock lapses while v8 blocks the process.
 */
import type { HeapDiff } from '../../shared/heap/diff.js';
import { snapshotStem, writeHeapSnapshot, type SnapshotFile } from '../../shared/heap/write-snapshot.js';
import type { MemSample } from '../../shared/mem-sample.js';
import type { MemTrend } from '../../shared/mem/trend.js';
import { leakFigures, storeLeakReport } from './leak-report.js';
import { runDiffInChild, type DiffRun } from './run-diff.js';
import type { LeakSentinelDeps } from './sentinel.js';

/** Classes asked of the diff (culprit first); the report keeps the first ten. */
const DIFF_TOP = 100;

export interface InvestigationDeps extends Omit<LeakSentinelDeps, 'onRecycle'> {
  trendNow(): MemTrend;
  isClosed(): boolean;
}

export interface Investigation {
  onSample(sample: MemSample): void;
  abort(): void;
  /** The stored report, or null when aborted (shutdown). Rejects when a step failed. */
  done: Promise<{ reportId: number; detail: string } | null>;
}

class Aborted extends Error {}

export function runInvestigation(deps: InvestigationDeps): Investigation {
  const { config, log } = deps;
  let aborted = false;
  let diffRun: DiffRun | null = null;
  let gap: { until: number; resolve(): void; reject(e: Error): void } | null = null;

  const snapshot = async (label: string): Promise<SnapshotFile> => {
    await deps.pauseJobs();
    try {
      if (aborted || deps.isClosed()) throw new Aborted();
      const stem = snapshotStem({ daemonId: deps.daemonId, workerId: deps.workerId, pid: process.pid, at: new Date(), jobsDone: deps.jobsDone(), label });
      return await writeHeapSnapshot(config.snapshotDir, stem, { maxFiles: config.snapshotMaxFiles, maxBytes: config.snapshotMaxBytes });
    } finally {
      if (!aborted && !deps.isClosed()) deps.resumeJobs();
    }
  };

  const run = async () => {
    const a = await snapshot('leak-a');
    const jobsAtA = deps.jobsDone();
    log.info({ snapshot: a.path, bytes: a.bytes, jobsDone: jobsAtA }, 'leak sentinel: snapshot A written');
    await new Promise<void>((resolve, reject) => {
      gap = { until: jobsAtA + config.leakSnapshotGapJobs, resolve, reject };
    });
    gap = null;
    const b = await snapshot('leak-b');
    const jobsAtB = deps.jobsDone();
    log.info({ snapshot: b.path, bytes: b.bytes, jobsDone: jobsAtB }, 'leak sentinel: snapshot B written; diffing');
    const trend = deps.trendNow();
    diffRun = runDiffInChild(a.path, b.path, DIFF_TOP);
    const diff: HeapDiff = await diffRun.result;
    if (aborted) throw new Aborted();
    const figures = leakFigures(trend, { thresholdMbPer1kJobs: config.leakThresholdMbPer1kJobs, jobsAtA, jobsAtB, snapshotBytes: [a.bytes, b.bytes] });
    const { id, growers } = await storeLeakReport({
      db: deps.db,
      daemonId: deps.daemonId,
      workerId: deps.workerId,
      crawlId: deps.crawlId?.() ?? null,
      jobsDone: jobsAtB,
      figures,
      diff,
      snapshots: [a.path, b.path],
    });
    const top = growers[0];
    const detail = `leak report ${id}: post-GC heap +${(figures.heapMbPer1kJobs ?? 0).toFixed(1)} MB per 1,000 jobs; top grower ${top ? `${top.name} (+${top.countDelta})` : 'none'}`;
    log.warn({ reportId: id, topClass: top?.name ?? null, retainerPath: top?.retainerPath ?? null, snapshots: [a.path, b.path] }, `leak sentinel: ${detail}`);
    return { reportId: id, detail };
  };

  const done = run().catch((thrown: unknown) => {
    if (thrown instanceof Aborted || aborted) return null;
    throw thrown;
  });
  return {
    onSample(sample) {
      const g = gap as { until: number; resolve(): void } | null;
      if (g && sample.jobsDone >= g.until) g.resolve();
    },
    abort() {
      aborted = true;
      (gap as { reject(e: Error): void } | null)?.reject(new Aborted());
      (diffRun as DiffRun | null)?.kill();
    },
    done,
  };
}
