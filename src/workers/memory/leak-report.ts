/** Builds and stores a leak_reports row from the trend figures and the snapshot diff. */
import os from 'node:os';
import type { Db } from '../../shared/db/client.js';
import type { ClassDelta, HeapDiff } from '../../shared/heap/diff.js';
import type { MemTrend } from '../../shared/mem/trend.js';
import { workerSlot } from '../../shared/mem/worker-slot.js';

export const TOP_GROWERS = 10;

export interface LeakFigures {
  heapMbPer1kJobs: number | null;
  heapBytesPer1kJobs: number | null;
  heapMbPerHour: number | null;
  r2Jobs: number | null;
  r2Time: number | null;
  rssMbPer1kJobs: number | null;
  rssMbPerHour: number | null;
  nativeGrowth: boolean;
  gcPoints: number;
  samplesUsed: number;
  jobsSpan: number;
  timeSpanMs: number;
  thresholdMbPer1kJobs: number;
  jobsAtA: number;
  jobsAtB: number;
  snapshotBytes: [number, number];
  note: string;
}

export function leakFigures(trend: MemTrend, extra: { thresholdMbPer1kJobs: number; jobsAtA: number; jobsAtB: number; snapshotBytes: [number, number] }): LeakFigures {
  const mbPer1k = trend.heap.mbPer1kJobs;
  return {
    heapMbPer1kJobs: mbPer1k,
    heapBytesPer1kJobs: mbPer1k === null ? null : Math.round(mbPer1k * 1024 * 1024),
    heapMbPerHour: trend.heap.mbPerHour,
    r2Jobs: trend.heap.r2Jobs,
    r2Time: trend.heap.r2Time,
    rssMbPer1kJobs: trend.rss.mbPer1kJobs,
    rssMbPerHour: trend.rss.mbPerHour,
    nativeGrowth: trend.nativeGrowth,
    gcPoints: trend.heap.points,
    samplesUsed: trend.samplesUsed,
    jobsSpan: trend.jobsSpan,
    timeSpanMs: trend.timeSpanMs,
    note: trend.note,
    ...extra,
  };
}

export interface StoreLeakReport {
  db: Db;
  daemonId: string;
  workerId: string;
  crawlId: number | null;
  jobsDone: number;
  figures: LeakFigures;
  diff: HeapDiff;
  snapshots: [string, string];
}

/** Returns the stored row's id and the growers as stored (culprit first). */
export async function storeLeakReport(r: StoreLeakReport): Promise<{ id: number; growers: ClassDelta[] }> {
  const growers = r.diff.classes.slice(0, TOP_GROWERS); // the diff ranks the culprit first
  const row = await r.db.leakReport.create({
    data: {
      crawlId: r.crawlId,
      daemonId: r.daemonId,
      host: os.hostname(),
      workerId: workerSlot(r.workerId) ?? 0,
      pid: process.pid,
      jobsDone: r.jobsDone,
      figures: JSON.parse(JSON.stringify(r.figures)) as object,
      growers: JSON.parse(JSON.stringify(growers)) as object,
      snapshots: r.snapshots,
    },
    select: { id: true },
  });
  return { id: row.id, growers };
}
