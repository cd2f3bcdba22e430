/**
 * How an investigation gathers its evidence (pure): two heap snapshots and their diff when
 * they fit, V8's sampling heap profile alone when they do not. Writing a snapshot makes V8 build
 * the whole object graph in native memory (about 500 bytes per JavaScript object, plus a fixed
 * part), and that memory goes back to malloc, not to the OS, so the process keeps it until it
 * ends. The investigation's memory budget is --max-worker-memory when set, else the V8 heap (as committed) plus
 * SPIDERD_LEAK_HEADROOM_MB (300 MB by default). Snapshots are taken only when the predicted RSS stays
 * within it, when writing one takes less than leakMaxPauseMs, and when the machine has the RAM
 * the diff needs; otherwise the sampling profile names the allocation site and the report says
 * why there was no snapshot.
 */
import { SNAPSHOT_BYTES_PER_MS } from '../../shared/heap/write-snapshot.js';

export type EvidencePlan = { kind: 'heap snapshots'; predictedRss: number } | { kind: 'sampling profile'; why: string };

/** RAM the diff needs per byte of snapshot (wasm parser). */
export const DIFF_RAM_FACTOR = 12;
/** Native memory a snapshot's object graph takes per JavaScript object, and its fixed part (measured with kept DOM trees, strings and listeners, Node 20, rounded up). */
export const SNAPSHOT_BYTES_PER_OBJECT = 600;
export const SNAPSHOT_FIXED_BYTES = 40 * 1024 * 1024;
/**
 * Predictions are raised by this factor before they are held against the budget: the figures
 * above are averages, and a crawl's own native memory moves while snapshot A's leftovers stay
 * (a run predicted within the budget peaked 2 MB over it).
 */
const SAFETY_FACTOR = 1.2;
/** Without a census, a heap is assumed to hold one object per this many bytes (kept DOM trees: about 210). */
const BYTES_PER_OBJECT_GUESS = 150;

const MB = 1024 * 1024;

export interface MemoryBudget {
  bytes: number;
  /** How the budget was set, for messages. */
  source: string;
}

/** `heapBytes`: the V8 heap as committed (heapTotal). */
export function investigationBudget(heapBytes: number, maxWorkerMemoryMb: number, headroomMb: number): MemoryBudget {
  if (maxWorkerMemoryMb > 0) return { bytes: maxWorkerMemoryMb * MB, source: `--max-worker-memory ${maxWorkerMemoryMb} MB` };
  return { bytes: heapBytes + headroomMb * MB, source: `heap ${(heapBytes / MB).toFixed(0)} MB + ${headroomMb} MB headroom` };
}

export function snapshotCostBytes(objects: number): number {
  return Math.round(SAFETY_FACTOR * (SNAPSHOT_FIXED_BYTES + SNAPSHOT_BYTES_PER_OBJECT * objects));
}

export interface FirstSnapshotInput {
  heapUsed: number;
  rss: number;
  /** JavaScript objects on the heap (object-census.ts), null when unknown. */
  objects: number | null;
  budget: MemoryBudget;
  maxPauseMs: number;
  freeMem: number;
}

export function planEvidence(i: FirstSnapshotInput): EvidencePlan {
  const heapMb = (i.heapUsed / MB).toFixed(0);
  const writeMs = i.heapUsed / SNAPSHOT_BYTES_PER_MS;
  if (writeMs > i.maxPauseMs) {
    return { kind: 'sampling profile', why: `a ${heapMb} MB heap would take about ${(writeMs / 1000).toFixed(1)} s to snapshot, above SPIDERD_LEAK_MAX_PAUSE_MS (${(i.maxPauseMs / 1000).toFixed(1)} s)` };
  }
  const diffBytes = DIFF_RAM_FACTOR * i.heapUsed;
  if (diffBytes > i.freeMem) {
    return { kind: 'sampling profile', why: `diffing two snapshots of a ${heapMb} MB heap needs about ${(diffBytes / MB).toFixed(0)} MB of RAM; ${(i.freeMem / MB).toFixed(0)} MB is free` };
  }
  const objects = i.objects ?? Math.ceil(i.heapUsed / BYTES_PER_OBJECT_GUESS);
  const predictedRss = i.rss + snapshotCostBytes(objects);
  if (predictedRss > i.budget.bytes) {
    return { kind: 'sampling profile', why: `a snapshot of this heap (${heapMb} MB, ${objects} objects) would take RSS to about ${(predictedRss / MB).toFixed(0)} MB, over the investigation's budget of ${(i.budget.bytes / MB).toFixed(0)} MB (${i.budget.source})` };
  }
  return { kind: 'heap snapshots', predictedRss };
}

export interface SecondSnapshotInput {
  /** RSS now, which still holds what snapshot A left behind. */
  rss: number;
  /** Native memory snapshot A took (RSS after it minus RSS before it). */
  costA: number;
  heapA: number;
  heapB: number;
  budget: MemoryBudget;
}

/**
 * What snapshot B adds beyond what A left, with a heap no bigger than A's: measured 26 MB after
 * a 161 MB snapshot A of a 38 MB heap (slow leak, daemon bench), rounded up.
 */
const SECOND_SNAPSHOT_FIXED_BYTES = 32 * MB;

/**
 * Snapshot B reuses the memory A left behind and needs more only for what the heap gained
 * since: its cost is A's, scaled by the heap's growth (a census at B would put its array of
 * every object into snapshot B), plus a fixed part.
 */
export function planSecondSnapshot(i: SecondSnapshotInput): EvidencePlan {
  const ratio = i.heapB / Math.max(1, i.heapA);
  const extra = SAFETY_FACTOR * Math.max(0, i.costA * ratio - i.costA) + SECOND_SNAPSHOT_FIXED_BYTES;
  const predictedRss = i.rss + extra;
  if (predictedRss > i.budget.bytes) {
    return { kind: 'sampling profile', why: `snapshot B would take RSS to about ${(predictedRss / MB).toFixed(0)} MB, over the investigation's budget of ${(i.budget.bytes / MB).toFixed(0)} MB (${i.budget.source})` };
  }
  return { kind: 'heap snapshots', predictedRss };
}
