/**
 * Heap diff of two .heapsnapshot files, per constructor/class: change in count and self
 * size, retained size in B, and for the top growers (culprit first) one sample retainer path. A and B are
 * parsed one after the other; of A only the per-class summary is kept. Files are read as
 * Buffers (never as JS strings) and parsed by @vscode/v8-heap-parser (wasm).
 */
import { readFile } from 'node:fs/promises';
import { WasmSortBy, decode_bytes, type Graph } from '@vscode/v8-heap-parser';
import { SpiderdError } from '../errors.js';
import { edgeNames } from './edge-names.js';
import { rankGrowers } from './rank-growers.js';
import { edgeQueries, findRetainerSteps, formatRetainerPath, type RetainerStep } from './retainer-path.js';

export interface ClassDelta {
  name: string;
  countA: number;
  countB: number;
  countDelta: number;
  selfSizeA: number;
  selfSizeB: number;
  selfSizeDelta: number;
  retainedSizeB: number;
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
   * Culprit first: user-level classes that gained instances, by retained size; then every
   * other class by self-size growth (see rank-growers.ts).
   */
  classes: ClassDelta[];
}

/** Growers that get a retainer path (the walk costs a little per class). */
export const RETAINER_PATHS = 5;
/** Instances looked at to pick the newest one (highest object id) of a class. */
const SAMPLE_INSTANCES = 200;

interface ClassSummary {
  count: number;
  selfSize: number;
  retainedSize: number;
  /** Position in the graph's class list (for class_children). */
  index: number;
}

export async function diffHeapSnapshotsInProcess(pathA: string, pathB: string, opts: { top: number }): Promise<HeapDiff> {
  const a = await withGraph(pathA, (graph) => summarize(graph, false));
  return withGraph(pathB, (graph, buf) => {
    const b = summarize(graph, true);
    const names = new Set([...a.classes.keys(), ...b.classes.keys()]);
    const classes: ClassDelta[] = [];
    for (const name of names) {
      const ca = a.classes.get(name);
      const cb = b.classes.get(name);
      const countA = ca?.count ?? 0;
      const countB = cb?.count ?? 0;
      const selfSizeA = ca?.selfSize ?? 0;
      const selfSizeB = cb?.selfSize ?? 0;
      classes.push({ name, countA, countB, countDelta: countB - countA, selfSizeA, selfSizeB, selfSizeDelta: selfSizeB - selfSizeA, retainedSizeB: cb?.retainedSize ?? 0, retainerPath: null });
    }
    classes.sort((x, y) => y.selfSizeDelta - x.selfSizeDelta || y.countDelta - x.countDelta || x.name.localeCompare(y.name));
    const top = rankGrowers(classes).slice(0, Math.max(0, opts.top));
    addRetainerPaths(graph, buf, top.slice(0, RETAINER_PATHS).filter((c) => c.countDelta > 0), b.classes);
    return { a: { path: pathA, ...a.totals }, b: { path: pathB, ...b.totals }, classes: top };
  });
}

async function withGraph<T>(file: string, fn: (graph: Graph, buf: Buffer) => T): Promise<T> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (err) {
    throw new SpiderdError('SPIDERD_HEAP_PARSE_FAILED', `cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  if (!buf.subarray(0, 64).toString('latin1').replace(/\s/g, '').startsWith('{"snapshot":')) {
    throw new SpiderdError('SPIDERD_HEAP_PARSE_FAILED', `${file} is not a V8 .heapsnapshot file`);
  }
  let graph: Graph;
  try {
    graph = decode_bytes(buf);
  } catch (err) {
    throw new SpiderdError('SPIDERD_HEAP_PARSE_FAILED', `cannot parse ${file} as a heap snapshot: ${String((err as Error)?.message ?? err)}`, { cause: err });
  }
  try {
    return fn(graph, buf);
  } finally {
    graph.free();
  }
}

function summarize(graph: Graph, withRetained: boolean): { classes: Map<string, ClassSummary>; totals: { nodes: number; totalSelfSize: number } } {
  const classes = new Map<string, ClassSummary>();
  let nodes = 0;
  let totalSelfSize = 0;
  const groups = graph.get_class_groups(0, 0x7fffffff, !withRetained);
  groups.forEach((group, index) => {
    const name = group.name();
    const selfSize = Number(group.self_size);
    const prev = classes.get(name);
    // Two groups can share a name (e.g. two classes called Item); counts add up, the first index is used for samples.
    classes.set(name, {
      count: (prev?.count ?? 0) + group.children_len,
      selfSize: (prev?.selfSize ?? 0) + selfSize,
      retainedSize: (prev?.retainedSize ?? 0) + (withRetained ? Number(group.retained_size) : 0),
      index: prev?.index ?? index,
    });
    nodes += group.children_len;
    totalSelfSize += selfSize;
    group.free();
  });
  return { classes, totals: { nodes, totalSelfSize } };
}

function addRetainerPaths(graph: Graph, buf: Buffer, growers: ClassDelta[], classes: Map<string, ClassSummary>): void {
  const found: Array<{ delta: ClassDelta; steps: RetainerStep[] }> = [];
  for (const delta of growers) {
    const summary = classes.get(delta.name);
    if (!summary) continue;
    const sample = newestInstance(graph, summary.index, delta.name);
    if (sample === null) continue;
    const steps = findRetainerSteps(graph, sample);
    if (steps) found.push({ delta, steps });
  }
  const names = edgeNames(buf, found.flatMap((f) => edgeQueries(f.steps)));
  for (const f of found) f.delta.retainerPath = formatRetainerPath(f.steps, names);
}

/** The instance with the highest object id among a sample: V8 ids grow with allocation, so it is likely one of the new ones. */
function newestInstance(graph: Graph, classIndex: number, name: string): number | null {
  const nodes = graph.class_children(classIndex, 0, SAMPLE_INSTANCES, WasmSortBy.SelfSize);
  let best: { index: number; id: number } | null = null;
  for (const node of nodes) {
    const matches = name.startsWith('(') || node.name() === name;
    if (matches && (best === null || node.id > best.id)) best = { index: node.index, id: node.id };
    node.free();
  }
  return best?.index ?? null;
}
