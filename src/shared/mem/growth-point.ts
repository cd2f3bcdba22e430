/** One post-GC measurement of a crawler process, against the work it had done. */
export interface GrowthPoint {
  jobs: number;
  /** epoch ms */
  at: number;
  heap: number;
  external: number;
  rss: number;
  /** Physical memory the V8 heap had committed right after the GC. */
  heapCommitted: number;
  /** From a forced full GC marked while no JavaScript ran (quiet or atomic): no floating garbage (V8's own GCs carry a few MB). */
  exact?: boolean;
}
