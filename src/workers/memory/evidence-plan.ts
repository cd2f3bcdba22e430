/**
 * How an investigation gathers its evidence (pure): two heap snapshots with allocation tracking
 * between them, unless the heap is too big for that. A snapshot blocks the process about 1 s per
 * 20 MB of heap (dev machine), and diffing two needs about 12x the file size in RAM (in a child
 * process): above leakMaxPauseMs, or without that much free memory, or when writing one would
 * take the process over its --max-worker-memory limit (writing a snapshot of a 105 MB heap took
 * RSS from 246 to 564 MB, measured: SNAPSHOT_RSS_FACTOR), the investigation uses V8's sampling
 * heap profiler alone, and the report says so and why.
 */
import { SNAPSHOT_BYTES_PER_MS } from '../../shared/heap/write-snapshot.js';

export type EvidencePlan = { kind: 'heap snapshots' } | { kind: 'sampling profile'; why: string };

/** RAM the diff needs per byte of snapshot (wasm parser), measured on the dev machine. */
export const DIFF_RAM_FACTOR = 12;
/** RSS a snapshot's writing adds per byte of heap, measured on the dev machine. */
export const SNAPSHOT_RSS_FACTOR = 3;

const MB = 1024 * 1024;

export function planEvidence(heapUsedBytes: number, maxPauseMs: number, freeMemBytes: number, rss: { bytes: number; limitBytes: number } = { bytes: 0, limitBytes: 0 }): EvidencePlan {
  const writeMs = heapUsedBytes / SNAPSHOT_BYTES_PER_MS;
  if (writeMs > maxPauseMs) {
    return { kind: 'sampling profile', why: `a ${(heapUsedBytes / MB).toFixed(0)} MB heap would take about ${(writeMs / 1000).toFixed(1)} s to snapshot, above SPIDERD_LEAK_MAX_PAUSE_MS (${(maxPauseMs / 1000).toFixed(1)} s)` };
  }
  const diffBytes = DIFF_RAM_FACTOR * heapUsedBytes;
  if (diffBytes > freeMemBytes) {
    return { kind: 'sampling profile', why: `diffing two snapshots of a ${(heapUsedBytes / MB).toFixed(0)} MB heap needs about ${(diffBytes / MB).toFixed(0)} MB of RAM; ${(freeMemBytes / MB).toFixed(0)} MB is free` };
  }
  if (rss.limitBytes > 0 && rss.bytes + SNAPSHOT_RSS_FACTOR * heapUsedBytes > rss.limitBytes) {
    return { kind: 'sampling profile', why: `writing a snapshot of a ${(heapUsedBytes / MB).toFixed(0)} MB heap would take rss (${(rss.bytes / MB).toFixed(0)} MB) over the --max-worker-memory limit (${(rss.limitBytes / MB).toFixed(0)} MB)` };
  }
  return { kind: 'heap snapshots' };
}
