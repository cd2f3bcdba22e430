/**
 * What an investigation expects to see between its two clean measurements (pure): the growth
 * rate the sentinel suspected, whether the suspicion came from the long window (a slow leak),
 * and how many jobs the gap between the measurements spans. The gap is long enough for the
 * growth to show: a fast leak gets the configured 200 jobs, a slow one (a few hundred bytes a
 * page) thousands, so its heap diff has enough new objects to name the culprit.
 */
import type { GrowthAssessment } from '../../shared/mem/leak-analysis.js';
import { OFF_HEAP_MIN_GROWTH_MB } from './confirm-growth.js';

/** The gap lets at least this much growth show at the suspected rate: enough new objects for the heap diff to name. */
const GAP_GROWTH_MB = 1;
/**
 * A slow leak's gap stops here: the long window took 27,000-36,000 jobs to be sure of a 300-byte
 * leak, and the process crawls on through the gap while snapshot A's native memory stays (its RSS
 * rose 65 MB over a 7,500-job gap in the daemon bench, taking it to the budget's edge).
 */
const MAX_GAP_JOBS = 4_000;

/** A native suspicion on off-heap RSS alone gets a gap for this much growth at its rate: twice what confirms it (confirm-growth.ts). */
const OFF_HEAP_GAP_GROWTH_MB = 2 * OFF_HEAP_MIN_GROWTH_MB;

export interface Suspicion {
  /** MB per 1,000 jobs: the threshold for a fast leak, the long window's own rate for a slow one. */
  rate: number;
  /** Suspected by the long window alone (slow-growth.ts), not by the threshold. */
  slow: boolean;
  /** Suspected on off-heap RSS alone (neither the heap nor external memory grew): its rate, MB per 1,000 jobs. */
  offHeapRate?: number;
}

export function suspicionOf(a: GrowthAssessment, thresholdMbPer1kJobs: number): Suspicion {
  const fast = [a.heap, a.external].some((f) => f !== null && f.mbPer1kJobs > thresholdMbPer1kJobs);
  if (!fast && a.verdict === 'suspected leak' && a.kinds.includes('native') && a.rss !== null && a.rss.mbPer1kJobs > thresholdMbPer1kJobs) {
    return { rate: thresholdMbPer1kJobs, slow: false, offHeapRate: a.rss.mbPer1kJobs };
  }
  if (fast || !a.slow?.suspected) return { rate: thresholdMbPer1kJobs, slow: false };
  return { rate: Math.min(thresholdMbPer1kJobs, Math.max(a.slow.mbPer1kJobs ?? thresholdMbPer1kJobs, 0.05)), slow: true };
}

/** Jobs between the clean measurements: enough for the suspicion's growth to show, within MAX_GAP_JOBS. */
export function gapJobs(s: Suspicion, configuredGapJobs: number): number {
  const growthJobs = s.offHeapRate !== undefined ? (OFF_HEAP_GAP_GROWTH_MB / s.offHeapRate) * 1000 : (GAP_GROWTH_MB / s.rate) * 1000;
  return Math.max(configuredGapJobs, Math.min(MAX_GAP_JOBS, Math.ceil(growthJobs)));
}

/**
 * Bytes between the sampling heap profiler's samples during the gap (V8's default is 32 KiB).
 * 512 bytes over the configured gap: the few small objects a handler allocates to keep a page (a
 * record, a closure, a slice, a Buffer object, a 32-byte cons string that pins the page's HTML)
 * are sampled a dozen times over 200 pages (at 1 KiB, a handler whose only allocation per page
 * is such a cons string can be left with no sample, and its report then names spiderd's
 * decoder, which allocated the HTML, instead of the handler). A longer gap takes proportionally
 * fewer samples, 1 KiB per multiple of the configured gap, up to 16 KiB (as measured on the
 * slow-leak daemon bench): the same leak still leaves as many samples (a 300-byte record per
 * page over 4,000 pages is about 75 at 16 KiB), and the profiler's own memory, which the
 * process holds through the gap and doubles while the profile is read, stays small (at 1 KiB
 * over a 2,000-page gap its RSS rose about 40 MB and the read added about 40 MB more).
 */
export function samplingInterval(gap: number, configuredGapJobs: number): number {
  const ratio = Math.max(1, Math.round(gap / Math.max(1, configuredGapJobs)));
  return ratio === 1 ? 512 : Math.min(16, ratio) * 1024;
}
