/**
 * A crawl's revisit policy and the rule that moves a page's interval (docs/recrawl.md).
 * Fixed: every page comes back `everyS` after its last fetch. Adaptive (after Nutch's
 * AdaptiveFetchSchedule): a page starts at the geometric mean of the bounds; a fetch that finds
 * the body changed halves its interval, one that finds it unchanged multiplies it by 1.5; the
 * result is clamped to [minS, maxS]. A page that changes at every visit drifts to minS, one that
 * never changes reaches maxS, and one in between settles near its real change rate.
 */
import { z } from 'zod';

/** Interval factors of the adaptive rule. */
export const CHANGED_FACTOR = 0.5;
export const UNCHANGED_FACTOR = 1.5;
/** A year: far beyond any useful revisit interval, and well inside an int column of seconds. */
export const MAX_INTERVAL_S = 366 * 86_400;

const seconds = z.number().int().min(1).max(MAX_INTERVAL_S);

export const recrawlPolicySchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('fixed'), everyS: seconds }),
  z.object({ mode: z.literal('adaptive'), minS: seconds, maxS: seconds }).refine((p) => p.minS <= p.maxS, 'the minimum interval is longer than the maximum'),
]);

export type RecrawlPolicy = z.infer<typeof recrawlPolicySchema>;

/** What a fetch found, as far as the schedule is concerned. */
export type FetchFinding = 'changed' | 'unchanged';

/** The interval of a page fetched for the first time. */
export function firstInterval(policy: RecrawlPolicy): number {
  return policy.mode === 'fixed' ? policy.everyS : Math.round(Math.sqrt(policy.minS * policy.maxS));
}

/**
 * The page's next interval after a refetch. `currentS` is its interval so far (null: none yet,
 * e.g. the policy was added after the page was fetched).
 */
export function nextInterval(policy: RecrawlPolicy, currentS: number | null, finding: FetchFinding): number {
  if (policy.mode === 'fixed') return policy.everyS;
  const base = currentS ?? firstInterval(policy);
  const moved = base * (finding === 'changed' ? CHANGED_FACTOR : UNCHANGED_FACTOR);
  return Math.min(policy.maxS, Math.max(policy.minS, Math.round(moved)));
}

/** A short human description, for status and logs: "every 6h", "adaptive 1h..7d". */
export function describePolicy(policy: RecrawlPolicy, format: (ms: number) => string): string {
  return policy.mode === 'fixed' ? `every ${format(policy.everyS * 1000)}` : `adaptive ${format(policy.minS * 1000)}..${format(policy.maxS * 1000)}`;
}
