/**
 * Forced full GCs, within a budget. The leak analysis needs the heap measured right after a
 * major GC every `pointEveryJobs` jobs, whatever the crawl speed. A busy crawler runs few
 * natural major GCs (about one per 1,700 pages on the bench's sample site: young pages die
 * in scavenges) and a fast leak makes V8 raise its limits so they come even further apart.
 * So when no major GC gave a point for pointEveryJobs jobs, the sentinel forces one, if the
 * budget allows it:
 *  - none before the warm-up (those points would not be used);
 *  - steady budget: forced GCs may cost budgetPercent of wall time (a token bucket that holds
 *    at most two GCs' worth);
 *  - while the evidence is short or suspicious ('warming up', 'growing': `urgent`), a one-off
 *    allowance of startAllowanceGcs forced GCs per process may be spent on top, so the first
 *    verdict comes within the 2,500-page bar even at 500 pages/s. Counted in GCs, not in ms:
 *    a leaking process's heap, and so each pause, grows, and it must still get its points.
 * An atomic full GC's pause is about 1 ms per MB of live heap on the dev machine (20-30 ms for a
 * clean crawler's 40 MB, 70-90 ms for a leaking one at 90 MB), but it costs more than its pause:
 * marking while no JavaScript runs, it frees what optimized code was compiled against, which
 * V8's own GCs, marking while the process runs, keep alive; V8 deoptimizes that code ("reason:
 * weak objects", about 27 functions per GC, in Node's streams, ioredis, pg, htmlparser2 and
 * spiderd alike) and optimizes it again: 0.4-0.6 s of CPU each, measured on the bench. So exact
 * points come from quiet GCs where they can (quiet-gc.ts: the same exact heap, no
 * deoptimization, the process blocked about 2 ms per MB of old generation) and from atomic ones
 * otherwise. Each forced GC is charged its pause (or block) plus its after-effect, and the
 * process gets few: two or three in its first 1,600 pages when its heap is flat, four when it
 * grows (the 2,500-page bar needs them), then one every half minute or so.
 *
 * The GC function comes from V8's expose-gc flag set at run time in a separate context (what
 * Jest's leak detector does); the process need not be started with --expose-gc. Without it
 * the sentinel works with natural GCs only.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

/** V8's gc() (expose-gc): a full atomic GC, or a scavenge with `{ type: 'minor' }`. */
export type ForceGc = (options?: { type: 'major' | 'minor' }) => void;

let cached: ForceGc | null | undefined;

export function loadForceGc(): ForceGc | null {
  if (cached !== undefined) return cached;
  const existing = (globalThis as { gc?: unknown }).gc;
  if (typeof existing === 'function') return (cached = existing as ForceGc);
  try {
    v8.setFlagsFromString('--expose-gc');
    const fn = vm.runInNewContext('gc') as unknown;
    cached = typeof fn === 'function' ? (fn as ForceGc) : null;
  } catch {
    cached = null;
  }
  return cached;
}

export interface GcBudgetOptions {
  warmupJobs: number;
  pointEveryJobs: number;
  budgetPercent: number;
  /** Forced GCs a process may have on top of the steady budget while its evidence is short or suspicious. */
  startAllowanceGcs: number;
}

/** What a forced GC's pause is assumed to be before one has been measured. */
const FIRST_COST_MS = 25;
/**
 * CPU an atomic forced GC costs beyond its pause: deoptimized code optimized again, mostly off the
 * main thread; 0.4-0.6 s of CPU each on the bench (a crawler forcing one every 1,000 jobs against
 * one that did not, in the same crawl).
 */
export const AFTER_EFFECT_MS = 500;
/**
 * The same for a quiet GC (quiet-gc.ts), on top of its block and pause: the CPU of its marking
 * (on V8's helper thread, during the block) and of its sweeping: about 130 ms each on the bench
 * (a crawler process with the sentinel against its twin without it, in the same crawl).
 */
export const QUIET_AFTER_EFFECT_MS = 130;

/** The steady bucket holds at most this many forced GCs' worth. */
const STEADY_CAP_GCS = 2;

export class GcBudget {
  private steadyMs = 0;
  private allowance: number;
  private refilledAt: number;
  /** Cost (pause + after-effect) of the last forced GC. */
  private lastCostMs = FIRST_COST_MS + AFTER_EFFECT_MS;
  /** Forced GCs so far, and their pauses (ms). */
  forced = 0;
  forcedMs = 0;

  constructor(
    private readonly options: GcBudgetOptions,
    now = Date.now(),
  ) {
    this.allowance = options.startAllowanceGcs;
    this.refilledAt = now;
  }

  /** True when a point is due (no major GC for `spacingJobs`, pointEveryJobs by default) and a forced GC fits the budget. */
  due(jobs: number, lastPointJobs: number | null, urgent: boolean, now = Date.now(), spacingJobs = this.options.pointEveryJobs): boolean {
    this.refill(now);
    if (jobs < this.options.warmupJobs) return false;
    if (lastPointJobs !== null && jobs - lastPointJobs < spacingJobs) return false;
    return this.steadyMs >= this.lastCostMs || (urgent && this.allowance > 0);
  }

  /** Charges a forced GC: its measured pause plus its after-effect to the steady budget, or one GC of the allowance. */
  spent(pauseMs: number, now = Date.now(), afterEffectMs = AFTER_EFFECT_MS): void {
    const costMs = pauseMs + afterEffectMs;
    this.refill(now);
    if (this.steadyMs >= costMs) this.steadyMs -= costMs;
    else this.allowance = Math.max(0, this.allowance - 1);
    this.lastCostMs = Math.max(1, costMs);
    this.forced++;
    this.forcedMs += pauseMs;
  }

  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.refilledAt);
    this.refilledAt = now;
    this.steadyMs = Math.min(STEADY_CAP_GCS * this.lastCostMs, this.steadyMs + (elapsed * this.options.budgetPercent) / 100);
  }
}
