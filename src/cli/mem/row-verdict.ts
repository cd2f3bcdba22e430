/**
 * One process's verdict as `spiderd mem` prints it (pure): the leak state the process's own
 * sentinel published when there is one (source 'process'), otherwise the trend of its samples
 * against time (source 'samples': the supervisor, or a crawler with the sentinel off).
 */
import type { MemRow } from './collect.js';

export interface RowVerdict {
  source: 'process' | 'samples';
  verdict: string;
  nativeGrowth: boolean;
  note: string;
  axis: 'jobs' | 'time';
  heapMbPerHour: number | null;
  heapMbPer1kJobs: number | null;
  heapLowerMbPer1kJobs: number | null;
  heapR2Jobs: number | null;
  heapR2Time: number | null;
  externalMbPer1kJobs: number | null;
  rssMbPerHour: number | null;
  rssMbPer1kJobs: number | null;
  noiseMb: number | null;
  gcPoints: number;
  samplesUsed: number;
  /** The sentinel's investigation: none, running, reported, not confirmed, failed (null without a sentinel). */
  investigation: string | null;
  forcedGcs: number | null;
  forcedGcMs: number | null;
  /** Post-GC heap growth per 1,000 jobs and per day, and the projected hours until the process reaches its limit. */
  growth: GrowthOutlook;
}

export interface GrowthOutlook {
  mbPer1kJobs: number | null;
  mbPerDay: number | null;
  /** Null while the heap does not grow for sure (or for a process without a sentinel). */
  hoursToLimit: number | null;
  limitMb: number | null;
  /** It reaches its limit within a week at its current pace. */
  withinWeek: boolean;
}

const WEEK_HOURS = 7 * 24;

export function rowVerdict(r: MemRow): RowVerdict {
  const l = r.leak;
  if (l) {
    return {
      source: 'process',
      verdict: l.verdict,
      nativeGrowth: l.kinds.includes('native'),
      note: l.note,
      axis: 'jobs',
      heapMbPerHour: l.heapMbPerHour,
      heapMbPer1kJobs: l.heapMbPer1kJobs,
      heapLowerMbPer1kJobs: l.heapLowerMbPer1kJobs,
      heapR2Jobs: null,
      heapR2Time: null,
      externalMbPer1kJobs: l.externalMbPer1kJobs,
      rssMbPerHour: l.rssMbPerHour,
      rssMbPer1kJobs: l.rssMbPer1kJobs,
      noiseMb: l.noiseMb,
      gcPoints: l.points,
      samplesUsed: r.history.length,
      investigation: l.investigation,
      forcedGcs: l.forcedGcs,
      forcedGcMs: l.forcedGcMs,
      growth: {
        mbPer1kJobs: l.longMbPer1kJobs ?? l.heapMbPer1kJobs,
        mbPerDay: l.longMbPerDay ?? (l.heapMbPerHour === null ? null : l.heapMbPerHour * 24),
        hoursToLimit: l.hoursToLimit,
        limitMb: l.limitMb,
        withinWeek: l.hoursToLimit !== null && l.hoursToLimit <= WEEK_HOURS,
      },
    };
  }
  const t = r.trend;
  return {
    source: 'samples',
    verdict: t.verdict,
    nativeGrowth: t.nativeGrowth,
    note: t.note,
    axis: t.axis,
    heapMbPerHour: t.heap.mbPerHour,
    heapMbPer1kJobs: t.heap.mbPer1kJobs,
    heapLowerMbPer1kJobs: null,
    heapR2Jobs: t.heap.r2Jobs,
    heapR2Time: t.heap.r2Time,
    externalMbPer1kJobs: null,
    rssMbPerHour: t.rss.mbPerHour,
    rssMbPer1kJobs: t.rss.mbPer1kJobs,
    noiseMb: null,
    gcPoints: t.heap.points,
    samplesUsed: t.samplesUsed,
    investigation: null,
    forcedGcs: null,
    forcedGcMs: null,
    growth: { mbPer1kJobs: t.heap.mbPer1kJobs, mbPerDay: t.heap.mbPerHour === null ? null : t.heap.mbPerHour * 24, hoursToLimit: null, limitMb: null, withinWeek: false },
  };
}
