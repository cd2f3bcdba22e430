/**
 * How eagerly the sentinel forces full GCs (pure). A forced point is exact (a quiet GC,
 * quiet-gc.ts; an atomic one where that cannot be had) and blocks the process for about 2 ms
 * per MB of old generation; V8's own major GCs, which come by themselves about once per 1,700
 * pages on the bench, carry 1-5 MB of floating garbage, enough to hide a 10 KB-per-page leak
 * over a few hundred pages (measured at 64 pages in flight: with such points in the fit, the
 * leak was reported at 3,844-5,962 pages in 3 of 4 runs, its points coming from incremental
 * GCs). So:
 *  - 'first look': after the warm-up, one forced point at once and the next 2 x pointEveryJobs
 *    later. Only forced (exact) points decide it: a major GC V8 runs by itself in between leaves
 *    1-3 MB of floating garbage, and on the bench such a point inside the first look read as
 *    growth in a clean process (a post-GC heap of 29.5 MB, then 32.5, then 31.4 exact) and cost
 *    it four more forced GCs;
 *  - if the heap (or external memory) grew by less than DECIDING_FRACTION of the threshold
 *    between them, the process is quiet: points from the steady budget only, unless a later
 *    verdict is 'growing' at that fraction of the threshold or more. A young process grows by
 *    itself while its caches and its optimized code fill (measured on the bench: 2.7-3.3 MB per
 *    1,000 jobs between jobs 800 and 1,600 against a threshold of 5): at half the threshold that
 *    read as growth and cost it four more forced GCs; a leak at the 2,500-page bar (10 KB per
 *    page, twice the default threshold) is far above 0.8 of it;
 *  - otherwise the process has shown growth, and until the analysis has a verdict other than
 *    'growing' it gets a point every pointEveryJobs on the start allowance ('urgent'), so a leak
 *    has its verdict by warm-up + 800 jobs;
 *  - none while an investigation runs (it measures by itself).
 */
import { theilSen } from '../../shared/mem/fit.js';
import type { GrowthAssessment, GrowthPoint } from '../../shared/mem/leak-analysis.js';

export interface ForceMode {
  mode: 'never' | 'steady' | 'urgent';
  /** Jobs a forced point must follow the previous point by. */
  spacingJobs: number;
  /** Where that spacing counts from, when not the latest point of any kind (the first look's first exact point). */
  fromJobs?: number;
}

export interface ForceModeOptions {
  warmupJobs: number;
  pointEveryJobs: number;
  thresholdMbPer1kJobs: number;
}

const MB = 1024 * 1024;
/** Growth, as a fraction of the threshold, that takes exact points to decide. */
const DECIDING_FRACTION = 0.8;

export function forceMode(points: readonly GrowthPoint[], assessment: GrowthAssessment, investigating: boolean, o: ForceModeOptions): ForceMode {
  const every = o.pointEveryJobs;
  const steady: ForceMode = { mode: 'steady', spacingJobs: every };
  const urgent: ForceMode = { mode: 'urgent', spacingJobs: every };
  if (investigating) return { mode: 'never', spacingJobs: every };
  const look = firstLook(points, o);
  // Until its two exact points exist, the first look is what the process works towards.
  const unfinished = look === 'none' ? urgent : typeof look === 'number' ? { ...urgent, spacingJobs: 2 * every, fromJobs: look } : null;
  if (assessment.verdict === 'growing') {
    const fast = [assessment.heap, assessment.external].some((f) => (f?.mbPer1kJobs ?? 0) >= o.thresholdMbPer1kJobs * DECIDING_FRACTION);
    return fast || look === 'grew' ? urgent : (unfinished ?? steady);
  }
  if (assessment.verdict !== 'warming up') return steady;
  return unfinished ?? (look === 'quiet' ? steady : urgent);
}

/**
 * The first look: the exact points from the first one after the warm-up to the first one
 * 2 x pointEveryJobs later. While incomplete, the jobs of its first point (the second counts from it).
 */
function firstLook(points: readonly GrowthPoint[], o: ForceModeOptions): 'none' | number | 'quiet' | 'grew' {
  const post = points.filter((p) => p.exact === true && p.jobs >= o.warmupJobs);
  if (post.length === 0) return 'none';
  const endAt = post.findIndex((p) => p.jobs - post[0]!.jobs >= 2 * o.pointEveryJobs);
  if (endAt < 0) return post[0]!.jobs;
  const look = post.slice(0, endAt + 1);
  const slope = (y: (p: GrowthPoint) => number) => theilSen(look.map((p) => p.jobs / 1000), look.map((p) => y(p) / MB))?.slope ?? 0;
  const deciding = o.thresholdMbPer1kJobs * DECIDING_FRACTION;
  return slope((p) => p.heap) < deciding && slope((p) => p.external) < deciding ? 'quiet' : 'grew';
}
