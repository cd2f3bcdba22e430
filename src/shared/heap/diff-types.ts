/** The shape of a heap diff (diff-core.ts computes it, rank-growers.ts orders its classes). */

export interface ClassDelta {
  name: string;
  countA: number;
  countB: number;
  countDelta: number;
  selfSizeA: number;
  selfSizeB: number;
  selfSizeDelta: number;
  retainedSizeB: number;
  /** Retained size in B minus in A: what the class holds that it did not hold before. */
  retainedSizeDelta: number;
  /**
   * Bytes of new objects that the instances created after A reach in B, each counted once (A
   * and B of one process, with V8's object ids kept between them, as in a leak
   * investigation); null otherwise.
   */
  heldByNew: number | null;
  /** 0 for the outermost holder among the classes that reach about the most (new-holders.ts), null otherwise. */
  holderDepth: number | null;
  retainerPath: string[] | null;
}

export interface SnapshotSummary {
  path: string;
  nodes: number;
  totalSelfSize: number;
}

export interface HeapDiff {
  a: SnapshotSummary;
  b: SnapshotSummary;
  /**
   * Culprit first: holders that gained instances, by retained growth; then every other class
   * by self-size growth (see rank-growers.ts).
   */
  classes: ClassDelta[];
}

export interface DiffOptions {
  top: number;
  /**
   * A and B come from one process that kept V8's object ids between them (a leak
   * investigation): objects with an id above A's highest are new, which ranks holders by what
   * their new instances retain.
   */
  sameProcess?: boolean;
}
