/**
 * Slow leaks, judged by what they cost the operator (pure). A leak of a few hundred bytes per
 * page stays far under the sentinel's threshold (MB per 1,000 jobs) yet fills a busy process's
 * heap within hours. So, besides the threshold, the sentinel keeps a long, thinned history of
 * its post-GC heap and asks two questions of it:
 *  - how certain is the growth over a long window (the lower end of the slope's 95% interval,
 *    after a long warm-up: caches and optimized code fill a young process for thousands of
 *    pages), and
 *  - at this pace, how many hours until the heap reaches its cap?
 * Growth that is certain, above MIN_MB_PER_1K_JOBS, and reaches the cap within the horizon is a
 * slow leak. The same figures give `spiderd mem` its growth per day and projected time to the limit.
 *
 * The history keeps one point per bucket of jobs: the lowest post-GC heap seen in it. A post-GC
 * heap carries floating garbage (objects that died while V8 marked) but never less than what is
 * alive, so the lowest reading of a bucket is the closest to the live heap.
 */
import { median, theilSen, tQuantile95 } from './fit.js';
import type { GrowthPoint } from './growth-point.js';

/** Growth below this (MB per 1,000 jobs, i.e. about 100 bytes per page) is never called a leak: spiderd's own heap stays under 50 bytes per page after warm-up. */
export const MIN_MB_PER_1K_JOBS = 0.1;
/** Buckets the history holds; older ones are merged pairwise, so it spans the process's whole life. */
const MAX_BUCKETS = 96;
/** Buckets a verdict needs after the warm-up. */
const MIN_BUCKETS = 6;
/** Noise never assumed below this (MB). */
const NOISE_FLOOR_MB = 0.1;
const MB = 1024 * 1024;

export interface SlowGrowthOptions {
  /** Jobs before the long window starts. */
  warmupJobs: number;
  /** Jobs the window must span. */
  windowJobs: number;
  /** The heap's limit (bytes): the cap it would crash at. */
  limitBytes: number;
  /** A slow leak reaches its limit within this long. */
  horizonMs: number;
}

export interface SlowGrowth {
  /** Enough evidence for a verdict. */
  ready: boolean;
  points: number;
  jobsSpan: number;
  mbPer1kJobs: number | null;
  lowerMbPer1kJobs: number | null;
  noiseMb: number | null;
  mbPerDay: number | null;
  /** Hours until the heap reaches limitBytes at the current pace; null when it does not grow for sure. */
  hoursToLimit: number | null;
  limitMb: number;
  /** Growth that is certain and reaches the limit within the horizon. */
  suspected: boolean;
  note: string;
}

interface Bucket {
  from: number;
  point: GrowthPoint;
}

export class SlowHistory {
  private buckets: Bucket[] = [];
  private bucketJobs: number;

  constructor(windowJobs: number) {
    this.bucketJobs = Math.max(50, Math.floor(windowJobs / 16));
  }

  add(p: GrowthPoint): void {
    const from = Math.floor(p.jobs / this.bucketJobs) * this.bucketJobs;
    const last = this.buckets[this.buckets.length - 1];
    if (last && last.from === from) {
      if (p.heap < last.point.heap) last.point = p;
      return;
    }
    if (last && from < last.from) return;
    this.buckets.push({ from, point: p });
    if (this.buckets.length > MAX_BUCKETS) this.halve();
  }

  get points(): GrowthPoint[] {
    return this.buckets.map((b) => b.point);
  }

  private halve(): void {
    this.bucketJobs *= 2;
    const merged: Bucket[] = [];
    for (const b of this.buckets) {
      const from = Math.floor(b.from / this.bucketJobs) * this.bucketJobs;
      const last = merged[merged.length - 1];
      if (last && last.from === from) {
        if (b.point.heap < last.point.heap) last.point = b.point;
      } else merged.push({ from, point: b.point });
    }
    this.buckets = merged;
  }
}

export function assessSlowGrowth(history: readonly GrowthPoint[], o: SlowGrowthOptions): SlowGrowth {
  const points = history.filter((p) => p.jobs >= o.warmupJobs);
  const limitMb = o.limitBytes / MB;
  const jobsSpan = points.length > 1 ? points[points.length - 1]!.jobs - points[0]!.jobs : 0;
  const empty = { points: points.length, jobsSpan, mbPer1kJobs: null, lowerMbPer1kJobs: null, noiseMb: null, mbPerDay: null, hoursToLimit: null, limitMb, suspected: false };
  if (points.length < MIN_BUCKETS || jobsSpan < o.windowJobs) {
    const note = (history[history.length - 1]?.jobs ?? 0) < o.warmupJobs
      ? `long window starts after ${o.warmupJobs} jobs`
      : `long window: ${jobsSpan} of ${o.windowJobs} jobs, ${points.length} of ${MIN_BUCKETS} points`;
    return { ...empty, ready: false, note };
  }
  const xs = points.map((p) => p.jobs / 1000);
  const ys = points.map((p) => p.heap / MB);
  const fit = theilSen(xs, ys)!;
  const noise = Math.max(fit.noise, NOISE_FLOOR_MB);
  const mx = xs.reduce((s, x) => s + x, 0) / xs.length;
  const sxx = xs.reduce((s, x) => s + (x - mx) ** 2, 0);
  const lower = fit.slope - tQuantile95(fit.n - 2) * (noise / Math.sqrt(sxx));
  const half = median(xs);
  const recent = theilSen(xs.filter((x) => x >= half), ys.filter((_, i) => xs[i]! >= half))?.slope ?? 0;
  const first = points[0]!;
  const last = points[points.length - 1]!;
  const hours = (last.at - first.at) / 3_600_000;
  const jobsPerHour = hours > 0 ? (last.jobs - first.jobs) / hours : null;
  const mbPerHour = jobsPerHour === null ? null : (fit.slope * jobsPerHour) / 1000;
  const growsForSure = lower > 0 && mbPerHour !== null && mbPerHour > 0;
  const hoursToLimit = growsForSure ? Math.max(0, (limitMb - last.heap / MB) / mbPerHour) : null;
  const certain = lower > MIN_MB_PER_1K_JOBS && recent > MIN_MB_PER_1K_JOBS / 2;
  const suspected = certain && hoursToLimit !== null && hoursToLimit * 3_600_000 <= o.horizonMs;
  const rate = `${fmt(fit.slope)} MB/1k jobs (at least ${fmt(lower)}, noise ${fmt(noise)} MB, ${points.length} points over ${jobsSpan} jobs)`;
  const eta = hoursToLimit === null ? '' : `; reaches its ${limitMb.toFixed(0)} MB heap limit in ${hoursText(hoursToLimit)} at this pace`;
  const note = suspected ? `slow leak: post-GC heap +${rate}${eta}` : certain ? `slow growth: post-GC heap +${rate}${eta}` : `long window flat: ${rate}`;
  return { ...empty, ready: true, mbPer1kJobs: fit.slope, lowerMbPer1kJobs: lower, noiseMb: noise, mbPerDay: mbPerHour === null ? null : mbPerHour * 24, hoursToLimit, suspected, note };
}

/** "12 min", "2.1 h", "3.5 days". */
export function hoursText(hours: number): string {
  if (hours < 1) return `${Math.round(hours * 60)} min`;
  return hours < 48 ? `${hours.toFixed(1)} h` : `${(hours / 24).toFixed(1)} days`;
}

function fmt(n: number): string {
  return Math.abs(n) >= 10 ? n.toFixed(0) : n.toFixed(2);
}
