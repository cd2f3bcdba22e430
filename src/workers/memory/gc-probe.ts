/**
 * Post-GC figures at a usable pace. The sentinel fits the heap measured right after major
 * GCs, which the sampler sees through its 'gc' PerformanceObserver. A busy crawler gets
 * regular natural major GCs and the probe never fires. But V8 raises its next-GC limit with
 * the live size (up to 4x), so a process whose heap grows fast gets major GCs further and
 * further apart, and only the leak it is trying to see would show it. Then, and only then,
 * the probe asks for one full GC:
 *  - no major GC for `minJobs` jobs and `minIntervalMs`, none forced within `minIntervalMs`;
 *  - heapUsed grew since the last post-GC figure faster than the leak threshold (heapUsed
 *    is an upper bound of the live heap: slower growth cannot be a leak at that rate).
 * The GC function comes from V8's expose-gc flag set at run time in a separate context (what
 * Jest's leak detector does); the process need not be started with --expose-gc. If it is
 * unavailable, the sentinel works with natural GCs only.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import type { MemSample } from '../../shared/mem-sample.js';

const MB = 1024 * 1024;

export type ForceGc = () => void;

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

export interface GcProbeOptions {
  warmupJobs: number;
  minJobs: number;
  minIntervalMs: number;
  leakThresholdMbPer1kJobs: number;
}

export interface GcProbe {
  /** Looks at a sample; forces a full GC when the rules above say so. True when it did. */
  onSample(sample: MemSample): boolean;
  readonly forced: number;
}

export function createGcProbe(options: GcProbeOptions, forceGc: ForceGc | null): GcProbe {
  let last: { heap: number; jobs: number; at: number } | null = null;
  let lastForcedAt = -Infinity;
  let forced = 0;
  return {
    get forced() {
      return forced;
    },
    onSample(s) {
      // Before any major GC, the first heapUsed seen stands in (it is above the live heap then).
      if (s.postGcHeap !== null ? s.postGcHeap !== last?.heap : last === null) last = { heap: s.postGcHeap ?? s.heapUsed, jobs: s.jobsDone, at: s.at };
      if (!forceGc || !last || s.jobsDone < options.warmupJobs) return false;
      const jobs = s.jobsDone - last.jobs;
      if (jobs < options.minJobs || s.at - last.at < options.minIntervalMs || s.at - lastForcedAt < options.minIntervalMs) return false;
      const upperBoundMbPer1k = ((s.heapUsed - last.heap) / MB / jobs) * 1000;
      if (upperBoundMbPer1k <= options.leakThresholdMbPer1kJobs) return false;
      lastForcedAt = s.at;
      forced++;
      forceGc();
      return true;
    },
  };
}
