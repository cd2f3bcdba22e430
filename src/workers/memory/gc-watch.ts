/**
 * The heap right after each major GC, from V8's own GC reports (v8.GCProfiler, Node >= 18.15):
 * each mark-compact's afterGC heap statistics, exact at the end of that GC. The profiler runs
 * all the time; take() stops it (which hands over the entries recorded so far) and starts it
 * again at once. Scavenges are skipped: they only empty the young generation.
 */
import v8 from 'node:v8';

export interface GcPoint {
  /** Jobs done when the point was collected (the GC happened since the previous take()). */
  jobs: number;
  /** epoch ms when it was collected */
  at: number;
  /** V8 heap used right after the GC. */
  heap: number;
  /** External memory (Buffers, ArrayBuffers, ...) V8 knew of right after the GC. */
  external: number;
  /** Physical memory the heap had committed right after the GC. */
  heapCommitted: number;
  /** The GC's pause on the main thread, ms. */
  costMs: number;
}

interface GcEntry {
  gcType: string;
  cost: number;
  afterGC: { heapStatistics: { usedHeapSize: number; externalMemory?: number; totalPhysicalSize: number } };
}

export class GcWatch {
  private profiler: v8.GCProfiler | null = new v8.GCProfiler();

  constructor() {
    this.profiler?.start();
  }

  /** Major GCs since the previous call, oldest first. */
  take(jobs: number, at = Date.now()): GcPoint[] {
    const p = this.profiler;
    if (!p) return [];
    const result = p.stop() as unknown as { statistics?: GcEntry[] } | undefined;
    p.start();
    const points: GcPoint[] = [];
    for (const e of result?.statistics ?? []) {
      if (e.gcType !== 'MarkSweepCompact') continue;
      const h = e.afterGC.heapStatistics;
      points.push({ jobs, at, heap: h.usedHeapSize, external: h.externalMemory ?? 0, heapCommitted: h.totalPhysicalSize, costMs: e.cost / 1000 });
    }
    return points;
  }

  stop(): void {
    this.profiler?.stop();
    this.profiler = null;
  }
}
