/**
 * Confirms a suspected leak on the investigation's two clean measurements (pure): taken with
 * jobs paused, no page in flight and right after a full GC, they carry none of the noise the
 * sentinel's running measurements do. Growth of at least half the suspected rate per 1,000 jobs
 * between them, in what the sentinel saw grow, confirms the leak; less (a cache that has just
 * filled, a burst of in-flight pages misread as growth) does not, and nothing is reported.
 *
 * A slow leak is the exception. The long window suspected it on a fit over at least 12,000 jobs
 * after a 15,000-job warm-up, with the lower end of its 95% interval above 100 bytes a page and
 * its recent half still growing: a cache that fills and stops is already ruled out there. Two
 * clean measurements a few thousand jobs apart carry less evidence than that: spiderd's own live
 * heap moves by a few MB between them (a daemon run measured -3.3 MB against +1.1 MB expected),
 * more than such a leak adds. So a slow suspicion stands on the long window; the pair is
 * recorded, and the gap exists to give the heap diff enough new objects to name.
 */
import type { LeakKind } from '../../shared/mem/leak-analysis.js';
import type { Suspicion } from './investigation-gap.js';

export interface Measure {
  jobs: number;
  heap: number;
  external: number;
  /** Off-heap RSS at the start of the step (B) and at its end (A: after its snapshot, which leaves RSS higher). */
  offHeapRss: number;
  offHeapRssAfter: number;
}

export interface Growth {
  jobs: number;
  heapMbPer1kJobs: number;
  externalMbPer1kJobs: number;
  rssMbPer1kJobs: number;
  confirmed: boolean;
  note: string;
}

const MB = 1024 * 1024;
/**
 * Off-heap RSS that confirms a native leak alone (without external memory) must also have grown
 * by this much between the measurements: malloc's arenas move by a few MB between two clean
 * measurements by themselves (on Node 24, +2.8 MB over 231 jobs in a process whose native
 * memory did not leak read as +12 MB per 1,000 jobs).
 */
export const OFF_HEAP_MIN_GROWTH_MB = 8;

/** `suspicion`: the growth the sentinel suspected (its threshold, or a slow leak's own rate). */
export function confirmGrowth(a: Measure, b: Measure, kinds: readonly LeakKind[], suspicion: Suspicion): Growth {
  const thresholdMbPer1kJobs = suspicion.rate;
  const jobs = Math.max(1, b.jobs - a.jobs);
  const per1k = (from: number, to: number) => Math.round(((to - from) / MB / jobs) * 1000 * 100) / 100;
  const heap = per1k(a.heap, b.heap);
  const external = per1k(a.external, b.external);
  const rss = per1k(a.offHeapRssAfter, b.offHeapRss);
  const half = thresholdMbPer1kJobs / 2;
  const heapGrew = kinds.includes('heap') && heap >= half;
  const offHeapGrowthMb = (b.offHeapRss - a.offHeapRssAfter) / MB;
  const nativeGrew = kinds.includes('native') && (external >= half || (rss >= thresholdMbPer1kJobs && offHeapGrowthMb >= OFF_HEAP_MIN_GROWTH_MB));
  const confirmed = heapGrew || nativeGrew || suspicion.slow;
  const signed = (n: number) => (n >= 0 ? `+${n}` : `${n}`);
  const verdict = heapGrew || nativeGrew ? '' : suspicion.slow ? '; a slow leak: the long window decides' : ` (below ${half}${kinds.includes('native') ? `, or off-heap rss under ${OFF_HEAP_MIN_GROWTH_MB} MB in all` : ''})`;
  const note = `${signed(heap)} MB heap, ${signed(external)} MB external, ${signed(rss)} MB off-heap rss per 1,000 jobs over ${jobs} jobs with no page in flight${verdict}`;
  return { jobs, heapMbPer1kJobs: heap, externalMbPer1kJobs: external, rssMbPer1kJobs: rss, confirmed, note };
}
