import type { LeakState } from './mem/leak-state.js';

/** One memory sample of one spiderd process (supervisor or crawler). Bytes unless named. */
export interface MemSample {
  /** epoch ms */
  at: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** heapUsed right after the last major (mark-compact) GC; null before the first one. */
  postGcHeap: number | null;
  /** Event-loop delay since the previous sample: mean and p99, in ms. */
  loopDelayMeanMs: number;
  loopDelayP99Ms: number;
  jobsDone: number;
  /** A crawler process's own leak sentinel state (absent for the supervisor and with the sentinel off). */
  leak?: LeakState;
}
