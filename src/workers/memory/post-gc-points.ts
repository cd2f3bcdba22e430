/**
 * The sentinel's measurements: one GrowthPoint per major GC, natural (from V8's GC reports,
 * gc-watch.ts) or forced when none came for a while (gc-probe.ts decides, within its budget).
 * Each point carries the jobs done, the post-GC heap and external memory, and RSS. A forced
 * point is a quiet GC (quiet-gc.ts: marked while nothing runs, exact, no deoptimization), or an
 * atomic one for a heap too big to block for; both are exact. The investigation's clean
 * measurements are atomic.
 */
import v8 from 'node:v8';
import type { GrowthPoint } from '../../shared/mem/growth-point.js';
import type { ForceMode } from './force-mode.js';
import { GcBudget, QUIET_AFTER_EFFECT_MS, type ForceGc } from './gc-probe.js';
import { GcWatch, type GcPoint } from './gc-watch.js';
import { QuietGcRequest } from './quiet-gc.js';

/** Points kept (the analysis uses the most recent ones). */
const KEEP = 64;
/** A forced GC of a heap this big may take over a second: announce it as a deliberate block. */
const ANNOUNCE_GC_ABOVE_BYTES = 768 * 1024 * 1024;
/** A quiet GC reported this many jobs after it started had pages handled during its marking: not exact. */
const QUIET_LATE_JOBS = 50;
/**
 * A quiet GC not reported this long after its block is given up, charged, and makes later blocks
 * longer (seen with the test suite running beside a crawl, and in processes crawling 300-600
 * pages/s whose heap grew 40 MB per 1,000 pages; V8 had most likely not started its marking).
 * A process that has shown growth, or is in its first look (force mode 'urgent'), then gets an
 * atomic GC at once: left to the next due point, three give-ups in a row kept one leaking
 * process at 4 post-GC points until 4,092 pages, where the others were suspected at about 1,650.
 * Any other process tries again when a point is next due: an atomic GC's deoptimizations cost a
 * crawler 0.4-0.6 s of CPU.
 */
const REQUEST_WAIT_JOBS = 150;
const REQUEST_WAIT_MS = 1_500;

export interface MeasuredGc {
  heap: number;
  external: number;
  heapCommitted: number;
  costMs: number;
}

export class PostGcPoints {
  private readonly list: GrowthPoint[] = [];
  /** Quiet GCs given up on (not reported in time), over the process's life. */
  givenUp = 0;
  /** Points added over the process's life (the list keeps the latest KEEP). */
  added = 0;
  private readonly watch = new GcWatch();
  private readonly quiet = new QuietGcRequest();

  constructor(
    readonly budget: GcBudget,
    private readonly forceGc: ForceGc | null,
    private readonly announce: (expectedMs: number, what: string) => void,
  ) {}

  get points(): readonly GrowthPoint[] {
    return this.list;
  }

  get last(): GrowthPoint | null {
    return this.list[this.list.length - 1] ?? null;
  }

  /**
   * Records the major GCs V8 ran since the last call and, when a point is due and the budget
   * allows (force-mode.ts), starts a quiet GC (quiet-gc.ts), or forces an atomic GC when a quiet
   * one cannot be had (a heap over QUIET_MAX_HEAP_BYTES) or an urgent one was given up on.
   * Returns how many points were added.
   */
  collect(jobs: number, force: ForceMode, now = Date.now()): number {
    const waiting = this.quiet.pending;
    const natural = this.addNatural(jobs, now); // a quiet GC's report becomes its exact point there
    if (waiting) {
      // Reported: `force` was decided before that point existed, so the next evaluation decides.
      if (!this.quiet.pending) return natural.length;
      if (force.mode === 'never') this.quiet.settle();
      else if (jobs - waiting.jobs >= REQUEST_WAIT_JOBS || now - waiting.at - waiting.blockMs >= REQUEST_WAIT_MS) {
        this.givenUp++;
        this.quiet.givenUp();
        this.budget.spent(waiting.blockMs, now, 0);
        // A process that has shown growth needs its point now: an atomic GC's deoptimizations
        // cost far less than a leak that goes unmeasured for thousands of pages.
        if (force.mode === 'urgent') return natural.length + this.forceAtomic(jobs, now);
      }
      return natural.length;
    }
    if (force.mode === 'never' || !this.forceGc || !this.budget.due(jobs, force.fromJobs ?? this.last?.jobs ?? null, force.mode === 'urgent', now, force.spacingJobs)) return natural.length;
    if (this.quiet.start(jobs, this.forceGc, (ms) => this.announce(ms, 'a leak sentinel measurement'), now)) return natural.length;
    return natural.length + this.forceAtomic(jobs, now);
  }

  private forceAtomic(jobs: number, now: number): number {
    const m = this.fullGc('a leak sentinel measurement');
    if (!m) return 0;
    this.budget.spent(m.costMs, Date.now());
    this.push({ jobs, at: now, heap: m.heap, external: m.external, heapCommitted: m.heapCommitted, rss: process.memoryUsage.rss(), exact: true });
    return 1;
  }

  /**
   * A full GC now (the investigation's clean measurements use it too): the heap and external
   * memory right after it, and its cost. Null without a GC function.
   */
  fullGc(what: string): MeasuredGc | null {
    if (!this.forceGc) return null;
    this.addNatural(this.last?.jobs ?? 0, Date.now()); // keep V8's earlier reports apart from this one
    this.quiet.settle(); // gc() finishes a quiet GC's marking itself: no report of its own follows
    const before = v8.getHeapStatistics();
    if (before.used_heap_size > ANNOUNCE_GC_ABOVE_BYTES) this.announce(Math.ceil(before.used_heap_size / (256 * 1024)), what);
    const t0 = performance.now();
    this.forceGc();
    // The full GC leaves dead ArrayBuffers to a concurrent sweeper, and V8's external-memory
    // count drops only when that sweep is finalized: up to 1 MB too high right after gc() (seen
    // with Buffers kept per page). A scavenge (about 1 ms) finalizes it first: exact external memory.
    this.forceGc({ type: 'minor' });
    const costMs = performance.now() - t0;
    this.watch.take(0); // the forced GC's own report: measured here instead
    const after = v8.getHeapStatistics();
    return { heap: after.used_heap_size, external: after.external_memory, heapCommitted: after.total_physical_size, costMs };
  }

  stop(): void {
    this.quiet.settle();
    this.watch.stop();
  }

  /**
   * V8's reports since the last call. The first major GC after a quiet GC started is that GC: an
   * exact point at the jobs it started at, or an ordinary one if it came late (QUIET_LATE_JOBS).
   */
  private addNatural(jobs: number, now: number): GcPoint[] {
    const natural = this.watch.take(jobs, now);
    if (natural.length === 0) return natural;
    const rss = process.memoryUsage.rss();
    for (const gc of natural) {
      const quiet = this.quiet.pending;
      if (quiet) {
        const late = jobs - quiet.jobs > QUIET_LATE_JOBS;
        this.quiet.reported(late);
        this.budget.spent(quiet.blockMs + gc.costMs, now, QUIET_AFTER_EFFECT_MS);
        if (late) this.push({ jobs, at: now, heap: gc.heap, external: gc.external, heapCommitted: gc.heapCommitted, rss });
        else this.push({ jobs: quiet.jobs, at: quiet.at, heap: gc.heap, external: gc.external, heapCommitted: gc.heapCommitted, rss, exact: true });
      } else {
        this.push({ jobs, at: now, heap: gc.heap, external: gc.external, heapCommitted: gc.heapCommitted, rss });
      }
    }
    return natural;
  }

  private push(p: GrowthPoint): void {
    this.added++;
    this.list.push(p);
    if (this.list.length > KEEP) this.list.splice(0, this.list.length - KEEP);
  }
}
