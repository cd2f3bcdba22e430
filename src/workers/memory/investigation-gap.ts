/**
 * How long an investigation's gap between its two clean measurements is (pure): long enough for
 * the growth the sentinel suspected to show clearly on them, so a slow leak (a few hundred bytes
 * a page) gets thousands of pages where a fast one gets the configured 200.
 */
import type { GrowthAssessment } from '../../shared/mem/leak-analysis.js';

/** The gap lets at least this much growth show at the suspected rate, within MAX_GAP_JOBS. */
const GAP_GROWTH_MB = 1;
const MAX_GAP_JOBS = 6_000;

/** The growth rate the sentinel suspected (MB per 1,000 jobs): the slow window's for a slow leak. */
export function suspectedRate(a: GrowthAssessment, thresholdMbPer1kJobs: number): number {
  const fast = [a.heap, a.external].some((f) => f !== null && f.mbPer1kJobs > thresholdMbPer1kJobs);
  return fast ? thresholdMbPer1kJobs : Math.min(thresholdMbPer1kJobs, Math.max(a.slow?.mbPer1kJobs ?? thresholdMbPer1kJobs, 0.05));
}

/** Jobs between the clean measurements: enough for GAP_GROWTH_MB at the suspected rate. */
export function gapJobs(rateMbPer1kJobs: number, configuredGapJobs: number): number {
  return Math.max(configuredGapJobs, Math.min(MAX_GAP_JOBS, Math.ceil((GAP_GROWTH_MB / rateMbPer1kJobs) * 1000)));
}
