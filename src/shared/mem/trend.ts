/**
 * The memory trend of one process (pure): fits the post-GC heap against jobs done and
 * against time, after a warm-up, and gives a verdict. Used by `spiderd mem` and by the leak
 * sentinel inside each crawler process.
 *
 * The post-GC heap only changes when a major GC runs, so repeated sample values are folded
 * into one point per GC. A leak shows as a floor that keeps rising with the work done; a
 * cache that fills and is cleared (a sawtooth with flat minima) does not.
 */
import type { MemSample } from '../mem-sample.js';
import { fitLine, floorRises } from './fit.js';

export type MemVerdict = 'warming up' | 'ok' | 'growing' | 'suspected leak';

export interface TrendOptions {
  /** Samples taken before this many jobs are ignored (caches and JIT fill up first). */
  warmupJobs: number;
  /** Post-GC heap growth above this, steady (r^2 >= 0.8) and sustained, is a suspected leak. */
  leakThresholdMbPer1kJobs: number;
  /** Processes that do no jobs (the supervisor): samples in their first warmupMs are ignored. */
  warmupMs?: number;
  /**
   * Post-GC points (major GCs) needed before any verdict. A fast leak makes V8 raise its
   * heap limit with the live size, so its major GCs come further and further apart: keep
   * this small.
   */
  minPoints?: number;
  /** Jobs the window must span before fitting against jobs. */
  minJobsSpan?: number;
  /** Without jobs, growth above this (MB per hour, r^2 >= 0.5) is 'growing'. */
  growingMbPerHour?: number;
}

export interface SeriesTrend {
  mbPer1kJobs: number | null;
  r2Jobs: number | null;
  mbPerHour: number | null;
  r2Time: number | null;
  points: number;
}

export interface MemTrend {
  verdict: MemVerdict;
  /** RSS climbing while the post-GC heap stays flat: growth outside the V8 heap (buffers, native addons). */
  nativeGrowth: boolean;
  /** One human line: why this verdict. */
  note: string;
  /** 'jobs' when the fit against jobs done decided the verdict, 'time' for processes without jobs. */
  axis: 'jobs' | 'time';
  heap: SeriesTrend;
  rss: SeriesTrend;
  samplesUsed: number;
  jobsSpan: number;
  timeSpanMs: number;
}

const MB = 1024 * 1024;
const HOUR = 3_600_000;

export function growingThreshold(leakThresholdMbPer1kJobs: number): number {
  return Math.max(0.25, leakThresholdMbPer1kJobs / 5);
}

export function computeTrend(samples: readonly MemSample[], options: TrendOptions): MemTrend {
  const minPoints = options.minPoints ?? 5;
  const minJobsSpan = options.minJobsSpan ?? 100;
  const doesJobs = samples.some((s) => s.jobsDone > 0);
  const first = samples[0];
  const used = doesJobs
    ? samples.filter((s) => s.jobsDone >= options.warmupJobs)
    : samples.filter((s) => first !== undefined && s.at >= first.at + (options.warmupMs ?? 60_000));
  const heapPoints = postGcPoints(used);
  const heap = seriesTrend(heapPoints, (s) => s.postGcHeap ?? 0);
  const rss = seriesTrend(used, (s) => s.rss);
  const jobsSpan = used.length > 0 ? used[used.length - 1]!.jobsDone - used[0]!.jobsDone : 0;
  const timeSpanMs = used.length > 0 ? used[used.length - 1]!.at - used[0]!.at : 0;
  const axis = doesJobs ? 'jobs' : 'time';
  const base = { axis, heap, rss, samplesUsed: used.length, jobsSpan, timeSpanMs } as const;

  if (heapPoints.length < minPoints || (doesJobs && jobsSpan < minJobsSpan)) {
    const why = doesJobs && samples.every((s) => s.jobsDone < options.warmupJobs)
      ? `warm-up: ${options.warmupJobs} jobs before fitting`
      : `${heapPoints.length} of ${minPoints} post-GC points needed`;
    return { ...base, verdict: 'warming up', nativeGrowth: false, note: why };
  }
  const grow = growingThreshold(options.leakThresholdMbPer1kJobs);
  const growHour = options.growingMbPerHour ?? 20;
  const heapSlope = (doesJobs ? heap.mbPer1kJobs : heap.mbPerHour) ?? 0;
  const heapR2 = (doesJobs ? heap.r2Jobs : heap.r2Time) ?? 0;
  const rssSlope = (doesJobs ? rss.mbPer1kJobs : rss.mbPerHour) ?? 0;
  const rssR2 = (doesJobs ? rss.r2Jobs : rss.r2Time) ?? 0;
  const small = doesJobs ? grow : growHour;
  const unit = doesJobs ? 'MB/1k jobs' : 'MB/h';

  let verdict: MemVerdict = 'ok';
  let note = `post-GC heap flat (${fmt(heapSlope)} ${unit})`;
  const floor = floorRises(heapPoints.map((s) => s.postGcHeap ?? 0), Math.min(4, Math.floor(heapPoints.length / 2)));
  if (doesJobs && heapSlope > options.leakThresholdMbPer1kJobs && heapR2 >= 0.8 && floor) {
    verdict = 'suspected leak';
    note = `post-GC heap +${fmt(heapSlope)} ${unit} (r^2 ${heapR2.toFixed(2)}, ${heapPoints.length} GCs), above ${options.leakThresholdMbPer1kJobs}`;
  } else if (heapSlope > small && heapR2 >= 0.5) {
    verdict = 'growing';
    note = `post-GC heap +${fmt(heapSlope)} ${unit} (r^2 ${heapR2.toFixed(2)})`;
  }
  const nativeGrowth = rssSlope > small && rssR2 >= 0.8 && heapSlope < rssSlope * 0.25;
  if (nativeGrowth) note = `native (off-heap) growth: rss +${fmt(rssSlope)} ${unit} while the post-GC heap stays flat`;
  return { ...base, verdict, nativeGrowth, note };
}

/** One point per major GC: samples with a post-GC figure, consecutive repeats folded. */
export function postGcPoints(samples: readonly MemSample[]): MemSample[] {
  const points: MemSample[] = [];
  let last: number | null = null;
  for (const s of samples) {
    if (s.postGcHeap === null || s.postGcHeap === last) continue;
    points.push(s);
    last = s.postGcHeap;
  }
  return points;
}

function seriesTrend(points: readonly MemSample[], y: (s: MemSample) => number): SeriesTrend {
  const ys = points.map((s) => y(s) / MB);
  const byJobs = fitLine(points.map((s) => s.jobsDone / 1000), ys);
  const byTime = fitLine(points.map((s) => s.at / HOUR), ys);
  return {
    mbPer1kJobs: byJobs?.slope ?? null,
    r2Jobs: byJobs?.r2 ?? null,
    mbPerHour: byTime?.slope ?? null,
    r2Time: byTime?.r2 ?? null,
    points: points.length,
  };
}

function fmt(n: number): string {
  return Math.abs(n) >= 10 ? n.toFixed(0) : n.toFixed(2);
}
