/**
 * An exact post-GC heap without the cost of an atomic GC. V8's `gc()` marks the whole heap while
 * no JavaScript runs; what optimized code was compiled against (the maps of objects that live
 * only while a page is handled: no page is in hand at that moment) dies, and V8 deoptimizes that
 * code, 20-45 functions per GC on the bench (node 20, --trace-deopt, "reason: weak objects"),
 * 0.4-0.6 s of CPU to run them slowly and optimize them again. V8's own GCs mark while the
 * process runs, so those maps stay marked, but their post-GC heap carries floating garbage
 * (what died while marking ran): 1-5 MB under load.
 *
 * A quiet GC takes the best of both: it starts V8's incremental marking now, between two jobs,
 * then blocks the main thread (Atomics.wait) while V8's concurrent marker marks: nothing runs,
 * so nothing dies and nothing is allocated while it marks. V8 then finalizes that GC by itself
 * at its next task, and its post-GC heap comes in V8's GC reports (gc-watch.ts) like any other.
 * On the bench it deoptimizes nothing (atomic GCs: 123-176 deoptimizations per crawl) and reads
 * the heap within about 0.3 MB of an atomic GC (docs/leak-sentinel.md). The block, BLOCK_MS_PER_MB
 * per MB of old generation, is long enough for the marker to finish on a quiet machine; on a busy
 * one V8's marker can need longer: a late report is taken as an ordinary point, not an exact one,
 * and later blocks grow. The block costs the process wall time, not CPU: on a busy machine the
 * other processes use the core meanwhile. If V8's own marking is already under way, the block
 * lets it finish, with what floating garbage it gathered before.
 *
 * Starting the marking: V8 checks whether to start it after a scavenge, and
 * `--stress-incremental-marking`, set only around one forced scavenge, makes that check say yes
 * (`--incremental-marking-hard-trigger` counts only the old generation's growth since the last
 * major GC, so it starts nothing in a process that grew little). A block long enough for a very large heap would stall the process for seconds:
 * above QUIET_MAX_HEAP_BYTES `start` declines and the caller forces an atomic GC.
 */
import v8 from 'node:v8';
import type { ForceGc } from './gc-probe.js';

const MB = 1024 * 1024;
/** Heaps above this get an atomic GC: their block would pass 0.8 s at BLOCK_MS_PER_MB. */
export const QUIET_MAX_HEAP_BYTES = 400 * MB;
const BLOCK_MS_PER_MB = 2;
/** When V8's marker needed longer (a busy machine), blocks grow up to this. */
const MAX_BLOCK_MS_PER_MB = 8;
const MIN_BLOCK_MS = 50;
const MAX_BLOCK_MS = 1_500;
/** Blocks this long are announced to the supervisor first (its --blocked-limit may be as low as 1 s). */
const ANNOUNCE_BLOCK_MS = 500;

export interface QuietGcStart {
  /** Jobs done and epoch ms when it started. */
  jobs: number;
  at: number;
  /** How long the main thread was blocked, ms. */
  blockMs: number;
}

export class QuietGcRequest {
  private started: QuietGcStart | null = null;
  private readonly cell = new Int32Array(new SharedArrayBuffer(4));
  private msPerMb = BLOCK_MS_PER_MB;

  /** The quiet GC started and not yet reported, or null. */
  get pending(): QuietGcStart | null {
    return this.started;
  }

  /**
   * Starts a quiet GC and blocks while it marks. Null when it was not tried (heap above
   * QUIET_MAX_HEAP_BYTES, V8 refused the setting): the caller forces an atomic GC.
   */
  start(jobs: number, forceGc: ForceGc, announce: (blockMs: number) => void, now = Date.now()): QuietGcStart | null {
    if (this.started) return this.started;
    const used = v8.getHeapStatistics().used_heap_size;
    if (used > QUIET_MAX_HEAP_BYTES) return null;
    // The scavenge below leaves the young generation nearly empty: the old one is what V8 marks.
    const blockMs = Math.min(MAX_BLOCK_MS, Math.max(MIN_BLOCK_MS, Math.round((this.msPerMb * (used - youngBytes())) / MB)));
    if (blockMs >= ANNOUNCE_BLOCK_MS) announce(blockMs);
    const t0 = performance.now();
    try {
      v8.setFlagsFromString('--stress-incremental-marking');
      forceGc({ type: 'minor' });
    } catch {
      return null;
    } finally {
      resetFlag();
    }
    Atomics.wait(this.cell, 0, 0, blockMs);
    this.started = { jobs, at: now, blockMs: performance.now() - t0 };
    return this.started;
  }

  /**
   * Its report came: `late` when pages were handled before V8 finished it (the marking outlasted
   * the block, and floating garbage may be in its heap); the next blocks are longer, up to
   * MAX_BLOCK_MS_PER_MB per MB, and shorten again when reports come in time.
   */
  reported(late: boolean): void {
    this.msPerMb = late ? Math.min(MAX_BLOCK_MS_PER_MB, this.msPerMb * 1.5) : Math.max(BLOCK_MS_PER_MB, this.msPerMb * 0.9);
    this.started = null;
  }

  /** Forgets the pending quiet GC (a forced GC finished it, or the process stops). */
  settle(): void {
    this.started = null;
  }

  /** The caller gave up waiting for its report: forgotten, and the next block is longer, as after a late report. */
  givenUp(): void {
    this.reported(true);
  }
}

function youngBytes(): number {
  let bytes = 0;
  for (const s of v8.getHeapSpaceStatistics()) if (s.space_name === 'new_space' || s.space_name === 'new_large_object_space') bytes += s.space_used_size;
  return bytes;
}

function resetFlag(): void {
  try {
    v8.setFlagsFromString('--no-stress-incremental-marking');
  } catch {
    // never set
  }
}
