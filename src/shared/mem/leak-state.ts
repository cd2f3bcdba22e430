/**
 * What a crawler process publishes about itself in every memory sample: its leak sentinel's
 * latest assessment (see leak-analysis.ts) and where its investigation stands. `spiderd mem`
 * prints this as is, so it always agrees with the sentinel.
 */
import type { GrowthAssessment, LeakKind, LeakVerdict } from './leak-analysis.js';

export type InvestigationPhase = 'none' | 'running' | 'reported' | 'not confirmed' | 'failed';

export interface LeakState {
  verdict: LeakVerdict;
  kinds: LeakKind[];
  note: string;
  /** Post-GC points the verdict rests on, and the jobs they span. */
  points: number;
  jobsSpan: number;
  heapMbPer1kJobs: number | null;
  heapLowerMbPer1kJobs: number | null;
  heapMbPerHour: number | null;
  externalMbPer1kJobs: number | null;
  rssMbPer1kJobs: number | null;
  rssMbPerHour: number | null;
  noiseMb: number | null;
  /**
   * The long window (slow-growth.ts): post-GC heap growth per 1,000 jobs and per day, and the
   * hours until the heap reaches its limit at the current pace (null while it does not grow for sure).
   */
  longMbPer1kJobs: number | null;
  longMbPerDay: number | null;
  hoursToLimit: number | null;
  limitMb: number | null;
  /** Full GCs the sentinel forced, and their main-thread time. */
  forcedGcs: number;
  forcedGcMs: number;
  investigation: InvestigationPhase;
  /** The leak_reports row of this process's latest report. */
  reportId: number | null;
}

export function leakStateFrom(a: GrowthAssessment, extra: Pick<LeakState, 'forcedGcs' | 'forcedGcMs' | 'investigation' | 'reportId'>): LeakState {
  const r = (n: number | null | undefined) => (n === null || n === undefined || !Number.isFinite(n) ? null : Math.round(n * 1000) / 1000);
  return {
    verdict: a.verdict,
    kinds: a.kinds,
    note: a.note,
    points: a.points,
    jobsSpan: a.jobsSpan,
    heapMbPer1kJobs: r(a.heap?.mbPer1kJobs),
    heapLowerMbPer1kJobs: r(a.heap?.lowerMbPer1kJobs),
    heapMbPerHour: r(a.heap?.mbPerHour),
    externalMbPer1kJobs: r(a.external?.mbPer1kJobs),
    rssMbPer1kJobs: r(a.rss?.mbPer1kJobs),
    rssMbPerHour: r(a.rss?.mbPerHour),
    noiseMb: r(a.heap?.noiseMb),
    longMbPer1kJobs: r(a.slow?.mbPer1kJobs),
    longMbPerDay: r(a.slow?.mbPerDay),
    hoursToLimit: r(a.slow?.hoursToLimit),
    limitMb: a.slow ? Math.round(a.slow.limitMb) : null,
    ...extra,
    forcedGcMs: Math.round(extra.forcedGcMs),
  };
}
