/**
 * Samples this process's memory at an interval: process.memoryUsage(), the heap right after
 * the last major GC (seen through a PerformanceObserver on 'gc' entries), and event-loop
 * delay. Used by the supervisor and every crawler process.
 */
import { constants, monitorEventLoopDelay, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import type { MemSample } from '../mem-sample.js';

export interface Sampler {
  /** Takes a sample now (also resets the event-loop histogram). */
  sample(): MemSample;
  stop(): void;
}

export function startSampler(intervalMs: number, jobsDone: () => number, onSample: (s: MemSample) => void): Sampler {
  let postGcHeap: number | null = null;
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) postGcHeap = process.memoryUsage().heapUsed;
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  const loop = monitorEventLoopDelay({ resolution: 20 });
  loop.enable();

  const sample = (): MemSample => {
    const m = process.memoryUsage();
    const s: MemSample = {
      at: Date.now(),
      rss: m.rss,
      heapUsed: m.heapUsed,
      heapTotal: m.heapTotal,
      external: m.external,
      arrayBuffers: m.arrayBuffers,
      postGcHeap,
      loopDelayMeanMs: Number.isFinite(loop.mean) ? loop.mean / 1e6 : 0,
      loopDelayP99Ms: loop.count > 0 ? loop.percentile(99) / 1e6 : 0,
      jobsDone: jobsDone(),
    };
    loop.reset();
    return s;
  };
  const timer = setInterval(() => onSample(sample()), intervalMs);
  timer.unref();
  return {
    sample,
    stop() {
      clearInterval(timer);
      gcObserver.disconnect();
      loop.disable();
    },
  };
}
