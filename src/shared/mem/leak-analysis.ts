/**
 * THE leak analysis (pure). Each crawler process runs it on its own post-GC measurements and
 * publishes the result in its memory samples; `spiderd mem` prints what the process published,
 * so the table and the sentinel can never disagree.
 *
 * Input: one point per major GC (natural or forced by the sentinel), with the work done at
 * that moment. Three series are fitted against jobs done (MB per 1,000 jobs):
 *  - heap: V8 heap used right after the GC (JS objects that survived it);
 *  - external: memory outside the V8 heap that V8 accounts for (Buffers, ArrayBuffers);
 *  - off-heap RSS (RSS minus the V8 heap's committed memory): native growth V8 does not know
 *    about (an addon, malloc). RSS also follows the heap's own growth, with a lag, and keeps
 *    pages after a GC; taking the committed heap out leaves what grows outside it. It is the
 *    noisiest series (allocator arenas settle for thousands of pages), so it may only suspect a
 *    leak on a full window of points spanning 3,000 jobs, with the lower end of its interval
 *    above the whole threshold: native leaks through Buffers show in `external` long before.
 *
 * Why these rules:
 *  - Only points after `warmupJobs`: code, caches and pools fill first, and so does any bounded
 *    cache a handler keeps (an LRU of 1,000 pages grows like a leak until it is full).
 *  - Theil-Sen slope (median of pairwise slopes), not least squares: a point taken while many
 *    pages were in flight sits high; the median ignores a few such points.
 *  - The noise is measured (spread of the points around the line, and the step-to-step spread
 *    over the process's longer history) and the slope must clear the threshold by a margin that
 *    grows with the noise and shrinks with more points (Student t at 95%): a busy process with
 *    128 pages in flight needs more points than a quiet one, a big leak fewer. Detection is thus
 *    counted in work done and in evidence, not in wall time.
 *  - Growth must still be there in the recent half of the window: a cache that filled and then
 *    stayed flat is not a leak.
 */
import { median, theilSen, tQuantile95 } from './fit.js';
import type { GrowthPoint } from './growth-point.js';
import type { SlowGrowth } from './slow-growth.js';

export type { GrowthPoint } from './growth-point.js';


export type LeakVerdict = 'warming up' | 'ok' | 'growing' | 'suspected leak';
export type LeakKind = 'heap' | 'native';

export interface GrowthOptions {
  warmupJobs: number;
  thresholdMbPer1kJobs: number;
  /** Points (after the warm-up) needed before any verdict. */
  minPoints?: number;
  /** Jobs those points must span. */
  minSpanJobs?: number;
  /** The most recent points used. */
  windowPoints?: number;
}

export interface SeriesFit {
  /** Theil-Sen slope, MB per 1,000 jobs. */
  mbPer1kJobs: number;
  /** Lower end of its 95% interval: the growth the evidence supports for sure. */
  lowerMbPer1kJobs: number;
  /** Slope over the recent half of the window (null with fewer than two points there). */
  recentMbPer1kJobs: number | null;
  /** Spread of the points around the line, MB. */
  noiseMb: number;
  /** Slope against time, MB per hour. */
  mbPerHour: number | null;
}

export interface GrowthAssessment {
  verdict: LeakVerdict;
  /** What grows when the verdict is 'suspected leak': the V8 heap, native memory, or both. */
  kinds: LeakKind[];
  /** One human line: why this verdict. */
  note: string;
  points: number;
  jobsSpan: number;
  heap: SeriesFit | null;
  external: SeriesFit | null;
  rss: SeriesFit | null;
  /** The long window's verdict (slow-growth.ts), once the sentinel has one. */
  slow?: SlowGrowth;
}

const MB = 1024 * 1024;
/** Measurement noise never assumed below this (MB): two points of a perfect line prove little. */
const NOISE_FLOOR_MB = { heap: 0.25, external: 0.25, rss: 1 } as const;

export const DEFAULT_MIN_POINTS = 4;
export const DEFAULT_MIN_SPAN_JOBS = 500;
export const DEFAULT_WINDOW_POINTS = 16;
/** Points (warm-up included) from which the step-to-step noise is also estimated. */
const HISTORY_POINTS = 64;

export function assessGrowth(all: readonly GrowthPoint[], options: GrowthOptions): GrowthAssessment {
  const minPoints = options.minPoints ?? DEFAULT_MIN_POINTS;
  const minSpan = options.minSpanJobs ?? DEFAULT_MIN_SPAN_JOBS;
  const points = all.filter((p) => p.jobs >= options.warmupJobs).slice(-(options.windowPoints ?? DEFAULT_WINDOW_POINTS));
  const jobsSpan = points.length > 0 ? points[points.length - 1]!.jobs - points[0]!.jobs : 0;
  const base = { points: points.length, jobsSpan, kinds: [] as LeakKind[] };
  if (points.length < minPoints || jobsSpan < minSpan) {
    const seen = all.length > 0 ? all[all.length - 1]!.jobs : 0;
    const note = seen < options.warmupJobs
      ? `warm-up: fitting starts after ${options.warmupJobs} jobs`
      : `${points.length} of ${minPoints} post-GC points over ${jobsSpan} of ${minSpan} jobs`;
    return { ...base, verdict: 'warming up', note, heap: null, external: null, rss: null };
  }
  const history = all.slice(-HISTORY_POINTS);
  const heap = fitSeries(points, (p) => p.heap, NOISE_FLOOR_MB.heap, history);
  const external = fitSeries(points, (p) => p.external, NOISE_FLOOR_MB.external, history);
  const rss = fitSeries(points, (p) => p.rss - p.heapCommitted, NOISE_FLOOR_MB.rss, history);
  const rssEnough = points.length >= (options.windowPoints ?? DEFAULT_WINDOW_POINTS) && jobsSpan >= 6 * minSpan;
  const t = options.thresholdMbPer1kJobs;
  const leaking = (f: SeriesFit | null) => f !== null && f.mbPer1kJobs > t && f.lowerMbPer1kJobs > t / 2 && (f.recentMbPer1kJobs ?? 0) > t / 2;
  const small = (f: SeriesFit | null) => f === null || f.mbPer1kJobs < t / 2;
  const rssLeaking = rssEnough && leaking(rss) && rss!.lowerMbPer1kJobs > t;

  const kinds: LeakKind[] = [];
  if (leaking(heap)) kinds.push('heap');
  // Native: V8's external memory (Buffers), or the whole process while heap and external stay flat.
  if (leaking(external) || (rssLeaking && small(heap) && small(external))) kinds.push('native');
  const fits = { heap, external, rss };
  if (kinds.length > 0) {
    const parts = kinds.map((k) => (k === 'heap' ? `post-GC heap ${describe(heap!)}` : leaking(external) ? `native (external) memory ${describe(external!)}` : `native memory outside V8 (off-heap rss ${describe(rss!)})`));
    return { ...base, ...fits, kinds, verdict: 'suspected leak', note: `${parts.join('; ')}, above ${t} MB/1k jobs (${points.length} points over ${jobsSpan} jobs)` };
  }
  const grow = Math.max(0.5, t / 5);
  // Growing: surely above a fifth of the threshold, or above the threshold but not yet certain
  // (noisy points): either way the sentinel keeps taking exact points (force-mode.ts).
  const growing = [heap, external].some((f) => f !== null && f.mbPer1kJobs > grow && (f.lowerMbPer1kJobs > 0 || f.mbPer1kJobs > t));
  if (growing) return { ...base, ...fits, verdict: 'growing', note: `post-GC heap ${describe(heap!)}, external ${describe(external!)}: below ${t} MB/1k jobs or not yet certain` };
  return { ...base, ...fits, verdict: 'ok', note: `post-GC heap flat (${fmt(heap?.mbPer1kJobs ?? 0)} MB/1k jobs, noise ${fmt(heap?.noiseMb ?? 0)} MB, ${points.length} points)` };
}

function fitSeries(points: readonly GrowthPoint[], y: (p: GrowthPoint) => number, noiseFloorMb: number, history: readonly GrowthPoint[]): SeriesFit | null {
  const xs = points.map((p) => p.jobs / 1000);
  const ys = points.map((p) => y(p) / MB);
  const fit = theilSen(xs, ys);
  if (!fit) return null;
  // Around the fitted line: points are unevenly spaced in jobs (a natural GC and a forced one at
  // one job count, then 400 jobs apart), so raw steps of a steep leak differ by the trend itself.
  const noise = Math.max(fit.noise, noiseFloorMb, stepNoise(history.map((p) => y(p) / MB - (fit.slope * p.jobs) / 1000)));
  const error = slopeErrorFor(xs, noise);
  const half = median(xs);
  const recent = points.length >= 4 ? theilSen(xs.filter((x) => x >= half), ys.filter((_, i) => xs[i]! >= half)) : null;
  const byTime = theilSen(points.map((p) => p.at / 3_600_000), ys);
  return {
    mbPer1kJobs: fit.slope,
    lowerMbPer1kJobs: fit.slope - tQuantile95(fit.n - 2) * error,
    recentMbPer1kJobs: recent?.slope ?? null,
    noiseMb: noise,
    mbPerHour: byTime?.slope ?? null,
  };
}

/**
 * Noise from consecutive differences of the residuals (an offset cancels out of them): 1.4826 x the median
 * absolute deviation of the steps, over sqrt(2). Uses the process's longer history, so four
 * points that happen to line up do not make a busy process look quiet. 0 with too few steps.
 */
function stepNoise(ys: readonly number[]): number {
  if (ys.length < 6) return 0;
  const steps = ys.slice(1).map((y, i) => y - ys[i]!);
  const mid = median(steps);
  return (1.4826 * median(steps.map((d) => Math.abs(d - mid)))) / Math.SQRT2;
}

function slopeErrorFor(xs: readonly number[], noise: number): number {
  const mx = xs.reduce((s, x) => s + x, 0) / xs.length;
  const sxx = xs.reduce((s, x) => s + (x - mx) ** 2, 0);
  return sxx > 0 ? noise / Math.sqrt(sxx) : Number.POSITIVE_INFINITY;
}

function describe(f: SeriesFit): string {
  return `${f.mbPer1kJobs >= 0 ? '+' : ''}${fmt(f.mbPer1kJobs)} MB/1k jobs (at least ${fmt(f.lowerMbPer1kJobs)}, noise ${fmt(f.noiseMb)} MB)`;
}

function fmt(n: number): string {
  return Math.abs(n) >= 10 ? n.toFixed(0) : n.toFixed(2);
}

/**
 * The sentinel's verdict with the long window's: a slow leak (certain growth that reaches the
 * heap limit within the horizon) is a suspected heap leak even far under the threshold.
 */
export function withSlowGrowth(a: GrowthAssessment, slow: SlowGrowth, lastHeapBytes: number | null = null): GrowthAssessment {
  if (a.verdict === 'suspected leak' || !slow.suspected) return { ...a, slow: projectFast(a, slow, lastHeapBytes) };
  return { ...a, slow, verdict: 'suspected leak', kinds: ['heap'], note: slow.note };
}

/**
 * A heap leak the short window suspects, before the long window has a projection of its own:
 * the time to the limit at the short window's pace, so `spiderd mem` shows it for fast leaks too.
 * Only for a suspected leak: a young clean process's warm-up growth is not projected.
 */
function projectFast(a: GrowthAssessment, slow: SlowGrowth, lastHeapBytes: number | null): SlowGrowth {
  const heap = a.heap;
  if (slow.hoursToLimit !== null || a.verdict !== 'suspected leak' || !a.kinds.includes('heap') || !heap || lastHeapBytes === null) return slow;
  if (heap.mbPerHour === null || heap.mbPerHour <= 0 || heap.lowerMbPer1kJobs <= 0) return slow;
  return { ...slow, hoursToLimit: Math.max(0, (slow.limitMb - lastHeapBytes / MB) / heap.mbPerHour) };
}
