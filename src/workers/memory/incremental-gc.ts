/**
 * Asks V8 for a major GC that it runs its own way: incremental, with concurrent marking, like
 * the ones it starts by itself. Measured on the bench (node 20, --trace-gc --trace-deopt): every
 * atomic full GC (`gc()`) deoptimized 22-45 optimized functions ("reason: weak objects": what
 * that code was compiled against dies when nothing runs while the GC marks) and cost a
 * crawler 0.3-1.5 s of CPU; none of the natural, incremental ones deoptimized anything. So the
 * points that watch a quiet process (force-mode.ts) come from an incremental GC that V8 starts
 * at its next allocation check, and its post-GC heap arrives through V8's GC reports
 * (gc-watch.ts) like any natural point, floating garbage included.
 *
 * How: V8's `--incremental-marking-hard-trigger=N` starts incremental marking as soon as the
 * old generation is over N% of its limit. Set to 1 while a request is pending, it starts
 * marking at the next scavenge; it is set back to 0 (V8's own schedule) as soon as a major GC
 * is reported. A process that allocates too little to reach that check (a crawl at a page a
 * second) gets no incremental GC in time: the caller then falls back to an atomic one.
 */
import v8 from 'node:v8';
import { constants, PerformanceObserver } from 'node:perf_hooks';

export class IncrementalGcRequest {
  private observer: PerformanceObserver | null = null;
  /** Jobs done and epoch ms when the pending request was made; null when none is pending. */
  private since: { jobs: number; at: number } | null = null;

  get pending(): { jobs: number; at: number } | null {
    return this.since;
  }

  /** Asks for an incremental major GC; false when V8 refused the setting (the caller forces one). */
  request(jobs: number, now = Date.now()): boolean {
    if (this.since) return true;
    try {
      this.observer = new PerformanceObserver((list) => {
        if (list.getEntries().some((e) => (e as unknown as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR)) this.clearTrigger();
      });
      this.observer.observe({ entryTypes: ['gc'] });
      v8.setFlagsFromString('--incremental-marking-hard-trigger=1');
    } catch {
      this.clearTrigger();
      return false;
    }
    this.since = { jobs, at: now };
    return true;
  }

  /** Ends the pending request (its GC was reported, or the caller gave up waiting). */
  settle(): void {
    this.clearTrigger();
    this.since = null;
  }

  private clearTrigger(): void {
    try {
      v8.setFlagsFromString('--incremental-marking-hard-trigger=0');
    } catch {
      // the flag was never set
    }
    this.observer?.disconnect();
    this.observer = null;
  }
}
