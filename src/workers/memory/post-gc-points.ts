/**
 * The sentinel's measurements: one GrowthPoint per major GC, natural (from V8's GC reports,
 * gc-watch.ts) or forced when none came for a while (gc-probe.ts decides, within its budget).
 * Each point carries the jobs done, the post-GC heap and external memory, and RSS. A forced
 * point is of the kind force-mode.ts asks for: incremental (incremental-gc.ts: V8's own way, no
 * deoptimization storm), brief (brief-gc.ts: marking while the process runs for a moment, then
 * finished at once) or atomic (gc()); the investigation's clean measurements are atomic.
 */
import v8 from 'node:v8';
import type { GrowthPoint } from '../../shared/mem/leak-analysis.js';
import { BRIEF_WINDOW_MS, finishMarking, startMarking } from './brief-gc.js';
import type { ForceMode } from './force-mode.js';
import { BRIEF_AFTER_EFFECT_MS, GcBudget, INCREMENTAL_AFTER_EFFECT_MS, type ForceGc } from './gc-probe.js';
import { GcWatch, type GcPoint } from './gc-watch.js';
import { IncrementalGcRequest } from './incremental-gc.js';

/** Points kept (the analysis uses the most recent ones). */
const KEEP = 64;
/** A forced GC of a heap this big may take over a second: announce it as a deliberate block. */
const ANNOUNCE_GC_ABOVE_BYTES = 768 * 1024 * 1024;
/** How long an incremental GC asked for may take to be reported before an atomic one is forced. */
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
  private readonly watch = new GcWatch();
  private readonly incremental = new IncrementalGcRequest();
  /** A brief GC under way (brief-gc.ts): its marking runs until the timer finishes it. */
  private brief: NodeJS.Timeout | null = null;
  /** Points added since the last collect(), including a brief GC's, which arrives in between. */
  private added = 0;

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
   * allows (force-mode.ts), starts the kind of GC the mode asks for: an incremental one asked of
   * V8 (an atomic one instead when it did not come within REQUEST_WAIT_JOBS jobs or
   * REQUEST_WAIT_MS), a brief one (its point arrives when its timer finishes it), or an atomic
   * one. Returns how many points were added since the last call.
   */
  collect(jobs: number, force: ForceMode, now = Date.now()): number {
    this.collectPoints(jobs, force, now);
    const added = this.added;
    this.added = 0;
    return added;
  }

  private collectPoints(jobs: number, force: ForceMode, now: number): void {
    const natural = this.addNatural(jobs, now);
    if (this.brief) return;
    const asked = this.incremental.pending;
    if (asked) {
      const last = natural[natural.length - 1];
      if (last) {
        this.incremental.settle();
        this.budget.spent(last.costMs, now, INCREMENTAL_AFTER_EFFECT_MS);
      } else if (force.mode === 'never' || force.kind !== 'incremental') {
        this.incremental.settle();
      } else if (jobs - asked.jobs >= REQUEST_WAIT_JOBS || now - asked.at >= REQUEST_WAIT_MS) {
        this.incremental.settle();
        this.forceAtomic(jobs, now);
      }
      return;
    }
    if (force.mode === 'never' || !this.forceGc || !this.budget.due(jobs, this.last?.jobs ?? null, force.mode === 'urgent', now, force.spacingJobs)) return;
    if (force.kind === 'incremental' && this.incremental.request(jobs, now)) return;
    if (force.kind === 'brief' && this.startBrief(this.forceGc, jobs, now)) return;
    this.forceAtomic(jobs, now);
  }

  private forceAtomic(jobs: number, now: number): void {
    const m = this.fullGc('a leak sentinel measurement');
    if (!m) return;
    this.budget.spent(m.costMs, Date.now());
    this.push({ jobs, at: now, heap: m.heap, external: m.external, heapCommitted: m.heapCommitted, rss: process.memoryUsage.rss() });
  }

  /** Starts a brief GC; its point is added when the timer finishes it (or V8 finished it first). */
  private startBrief(gc: ForceGc, jobs: number, now: number): boolean {
    const t0 = performance.now();
    if (!startMarking(gc)) return false;
    const startMs = performance.now() - t0;
    this.brief = setTimeout(() => {
      this.brief = null;
      const byV8 = this.addNatural(jobs, now);
      if (byV8.length > 0) {
        this.budget.spent(startMs + byV8[byV8.length - 1]!.costMs, Date.now(), BRIEF_AFTER_EFFECT_MS);
        return;
      }
      const t1 = performance.now();
      try {
        finishMarking(gc);
      } catch {
        // a V8 that refuses the flags: the report check below finds no full GC
      }
      const costMs = startMs + performance.now() - t1;
      const own = this.watch.take(0); // this GC's own report: measured here instead
      // No full GC among them (V8 ignored --gc-global): an atomic point instead, never a scavenge's.
      if (own.length === 0) return this.forceAtomic(jobs, now);
      const after = v8.getHeapStatistics();
      this.budget.spent(costMs, Date.now(), BRIEF_AFTER_EFFECT_MS);
      this.push({ jobs, at: now, heap: after.used_heap_size, external: after.external_memory, heapCommitted: after.total_physical_size, rss: process.memoryUsage.rss() });
    }, BRIEF_WINDOW_MS);
    this.brief.unref();
    return true;
  }

  private cancelBrief(): void {
    if (!this.brief) return;
    clearTimeout(this.brief);
    this.brief = null;
  }

  /**
   * A full GC now (the investigation's clean measurements use it too): the heap and external
   * memory right after it, and its cost. Null without a GC function.
   */
  fullGc(what: string): MeasuredGc | null {
    if (!this.forceGc) return null;
    this.incremental.settle();
    this.cancelBrief(); // gc() finishes its marking
    this.addNatural(this.last?.jobs ?? 0, Date.now()); // keep V8's earlier reports apart from this one
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
    this.cancelBrief();
    this.incremental.settle();
    this.watch.stop();
  }

  private addNatural(jobs: number, now: number): GcPoint[] {
    const natural = this.watch.take(jobs, now);
    if (natural.length === 0) return natural;
    const rss = process.memoryUsage.rss();
    for (const gc of natural) this.push({ jobs, at: now, heap: gc.heap, external: gc.external, heapCommitted: gc.heapCommitted, rss });
    return natural;
  }

  private push(p: GrowthPoint): void {
    this.list.push(p);
    this.added++;
    if (this.list.length > KEEP) this.list.splice(0, this.list.length - KEEP);
  }
}
