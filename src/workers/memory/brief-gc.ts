/**
 * A brief full GC: V8 starts incremental marking now, the process runs on for a moment
 * (BRIEF_WINDOW_MS), and the marking is then finished at once. Measured on the bench
 * (2026-12-01, node 20, --trace-gc --trace-deopt): what makes an atomic full GC costly is not
 * that it is forced but that no JavaScript runs while it marks. Every full GC marked without the
 * process running, whether asked for with gc(), started by an allocation with V8's --gc-global,
 * or begun incrementally and finished in the same instant, deoptimized 9-34 functions ("weak
 * objects"); V8's own incremental GCs, which mark while the process runs, none. Marking that
 * starts a moment before the process's next pages run keeps what those pages use alive, and the
 * heap it leaves was 0.4-1.0 MB above an atomic GC's right after it (eight pairs with a 2 ms
 * window), against 0.07-3.4 MB for V8's own incremental GCs.
 *
 * How, with V8 flags set at run time: `--incremental-marking-hard-trigger=1` makes the scavenge
 * asked for next start incremental marking; later `--gc-global` turns the next scavenge into the
 * full GC that finishes that marking. A scavenge after it finalizes V8's external-memory count
 * (post-gc-points.ts says why).
 */
import v8 from 'node:v8';
import type { ForceGc } from './gc-probe.js';

/** How long the process runs between the start of marking and its end. */
export const BRIEF_WINDOW_MS = 2;

/** Starts incremental marking now. False when V8 refused the flag (the caller forces an atomic GC). */
export function startMarking(gc: ForceGc): boolean {
  try {
    v8.setFlagsFromString('--incremental-marking-hard-trigger=1');
  } catch {
    return false;
  }
  try {
    gc({ type: 'minor' });
  } finally {
    v8.setFlagsFromString('--incremental-marking-hard-trigger=0');
  }
  return true;
}

/** Finishes the marking with a full GC (an atomic one if no marking was running), then a scavenge. */
export function finishMarking(gc: ForceGc): void {
  v8.setFlagsFromString('--gc-global');
  try {
    gc({ type: 'minor' });
  } finally {
    v8.setFlagsFromString('--no-gc-global');
  }
  gc({ type: 'minor' });
}
