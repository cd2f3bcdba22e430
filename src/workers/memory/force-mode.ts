/**
 * How eagerly the sentinel forces full GCs (pure). Each one costs a crawler about 0.5 s of CPU
 * (gc-probe.ts), so a process whose heap is flat should pay for few:
 *  - 'first look': after the warm-up, one point at once and the next 2 x pointEveryJobs later;
 *  - then, if the heap (or external memory) grew by less than half the threshold between them,
 *    the process is quiet: points come from the steady budget only;
 *  - otherwise, and whenever the verdict is 'growing' at half the threshold or more, points come
 *    every pointEveryJobs on the start allowance, so a leak has its four points, and its verdict,
 *    by warm-up + 800 jobs; slower growth (a cache still filling, JIT code) waits for the steady
 *    budget: it cannot reach the threshold without showing more first;
 *  - none while an investigation runs (it measures by itself).
 */
import { theilSen } from '../../shared/mem/fit.js';
import type { GrowthAssessment, GrowthPoint } from '../../shared/mem/leak-analysis.js';

export interface ForceMode {
  mode: 'never' | 'steady' | 'urgent';
  /** Jobs a forced point must follow the previous point by. */
  spacingJobs: number;
}

export interface ForceModeOptions {
  warmupJobs: number;
  pointEveryJobs: number;
  thresholdMbPer1kJobs: number;
}

const MB = 1024 * 1024;

export function forceMode(points: readonly GrowthPoint[], assessment: GrowthAssessment, investigating: boolean, o: ForceModeOptions): ForceMode {
  const every = o.pointEveryJobs;
  if (investigating) return { mode: 'never', spacingJobs: every };
  if (assessment.verdict === 'growing') {
    const fast = [assessment.heap, assessment.external].some((f) => (f?.mbPer1kJobs ?? 0) >= o.thresholdMbPer1kJobs / 2);
    return { mode: fast ? 'urgent' : 'steady', spacingJobs: every };
  }
  if (assessment.verdict !== 'warming up') return { mode: 'steady', spacingJobs: every };
  const post = points.filter((p) => p.jobs >= o.warmupJobs);
  if (post.length === 0) return { mode: 'urgent', spacingJobs: every };
  const span = post[post.length - 1]!.jobs - post[0]!.jobs;
  if (span < 2 * every) return { mode: 'urgent', spacingJobs: 2 * every };
  const slope = (y: (p: GrowthPoint) => number) => theilSen(post.map((p) => p.jobs / 1000), post.map((p) => y(p) / MB))?.slope ?? 0;
  const quiet = slope((p) => p.heap) < o.thresholdMbPer1kJobs / 2 && slope((p) => p.external) < o.thresholdMbPer1kJobs / 2;
  return { mode: quiet ? 'steady' : 'urgent', spacingJobs: every };
}
