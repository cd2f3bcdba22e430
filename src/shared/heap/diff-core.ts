/**
 * Heap diff of two .heapsnapshot files, per constructor/class: change in count, self size and
 * retained size, culprit first, the first few with one sample retainer path (names of
 * variables, properties and the scripts of closures on it). For two snapshots of one process
 * (a leak investigation), the culprit is the class whose new instances hold the most of the
 * growth (new-holders.ts). A and B are parsed one after the other by @vscode/v8-heap-parser
 * (wasm); of A only the per-class summary is kept. Files are read as Buffers, never as JS
 * strings.
 */
import { readFile } from 'node:fs/promises';
import { WasmSortBy, decode_bytes, type Graph } from '@vscode/v8-heap-parser';
import { SpiderdError } from '../errors.js';
import type { ClassDelta, DiffOptions, HeapDiff } from './diff-types.js';
import { heldByNew } from './new-holders.js';
import { pathNames } from './path-names.js';
import { holderWeight, isHolderCandidate, rankGrowers } from './rank-growers.js';
import { findRetainerSteps, foldSteps, formatRetainerPath, indexRetainers, type RetainerStep } from './retainer-path.js';
import { distancesFromRoot, maxNodeId, readMeta, SnapshotGraph, type SnapshotMeta } from './snapshot-graph.js';

export type { ClassDelta, DiffOptions, HeapDiff, SnapshotSummary } from './diff-types.js';

/** Growers that get a retainer path (the walk costs a little per class). */
export const RETAINER_PATHS = 5;
/** Instances looked at to pick the newest one (highest object id) of a class. */
const SAMPLE_INSTANCES = 200;
/** Instances (largest retained first) looked at to pick the newest of a class. */
const NEW_INSTANCES = 5000;


interface ClassSummary {
  count: number;
  selfSize: number;
  retainedSize: number;
  /** Position in the graph's class list (for class_children). */
  index: number;
}

interface Parsed {
  buf: Buffer;
  meta: SnapshotMeta;
}

export async function diffHeapSnapshotsInProcess(pathA: string, pathB: string, opts: DiffOptions): Promise<HeapDiff> {
  // One process's pair: holders are ranked by what new instances hold, so A's retained sizes (a costly pass) are not needed.
  const a = await withGraph(pathA, null, (graph, p) => ({ ...summarize(graph, !opts.sameProcess), maxId: opts.sameProcess ? maxNodeId(p.buf, p.meta) : null }));
  let samples: Array<{ delta: ClassDelta; candidates: number[] }> = [];
  let classes: ClassDelta[] = [];
  let bTotals = { nodes: 0, totalSelfSize: 0 };
  const { lite } = await withGraph(
    pathB,
    (p) => {
      // Before the wasm parse: the typed-array graph, distances from the root, and what new objects hold.
      const graph = new SnapshotGraph(p.buf, p.meta);
      const distance = distancesFromRoot(graph);
      return { graph, distance, held: a.maxId === null ? null : heldByNew(graph, a.maxId, isHolderCandidate, holderWeight) };
    },
    (graph, p, known) => {
      const b = summarize(graph, true);
      bTotals = b.totals;
      const all: ClassDelta[] = [];
      for (const name of new Set([...a.classes.keys(), ...b.classes.keys()])) {
        const ca = a.classes.get(name);
        const cb = b.classes.get(name);
        const [countA, countB, selfSizeA, selfSizeB] = [ca?.count ?? 0, cb?.count ?? 0, ca?.selfSize ?? 0, cb?.selfSize ?? 0];
        const retainedSizeB = cb?.retainedSize ?? 0;
        const h = known.held?.get(name);
        all.push({ name, countA, countB, countDelta: countB - countA, selfSizeA, selfSizeB, selfSizeDelta: selfSizeB - selfSizeA, retainedSizeB, retainedSizeDelta: retainedSizeB - (ca?.retainedSize ?? 0), heldByNew: known.held === null ? null : (h?.held ?? 0), holderDepth: h?.depth ?? null, retainerPath: null });
      }
      all.sort((x, y) => y.selfSizeDelta - x.selfSizeDelta || y.countDelta - x.countDelta || x.name.localeCompare(y.name));
      classes = rankGrowers(all).slice(0, Math.max(0, opts.top));
      samples = classes
        .slice(0, RETAINER_PATHS)
        .filter((c) => c.countDelta > 0 && b.classes.has(c.name))
        .map((delta) => {
          const summary = b.classes.get(delta.name)!;
          return { delta, candidates: a.maxId === null ? [newestInstance(graph, summary.index, delta.name)].filter((n): n is number => n !== null) : typicalNewInstances(graph, summary.index, summary.count, a.maxId) };
        });
      return { parsed: p, lite: known };
    },
  );
  // The wasm graph is freed: walk the paths on the typed-array graph, one edge closer to the root at each step.
  const retainers = indexRetainers(lite.graph);
  const walked: Array<{ delta: ClassDelta; steps: RetainerStep[] }> = [];
  for (const s of samples) {
    const steps = typicalPath(s.candidates.map((c) => findRetainerSteps(lite.graph, retainers, lite.distance, c)), s.delta.name);
    if (steps) walked.push({ delta: s.delta, steps: foldSteps(lite.graph, steps) });
  }
  const names = pathNames(lite.graph, walked.map((w) => w.steps));
  for (const w of walked) w.delta.retainerPath = formatRetainerPath(w.steps, names);
  return { a: { path: pathA, ...a.totals }, b: { path: pathB, ...bTotals }, classes };
}

async function withGraph<P, T>(file: string, before: ((parsed: Parsed) => P) | null, fn: (graph: Graph, parsed: Parsed, prepared: P) => T): Promise<T> {
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
  let parsed: Parsed;
  let prepared: P;
  try {
    parsed = { buf, meta: readMeta(buf) };
    prepared = (before?.(parsed) ?? null) as P;
    graph = decode_bytes(buf);
  } catch (err) {
    throw new SpiderdError('SPIDERD_HEAP_PARSE_FAILED', `cannot parse ${file} as a heap snapshot: ${String((err as Error)?.message ?? err)}`, { cause: err });
  }
  try {
    return fn(graph, parsed, prepared);
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

/**
 * Typical pieces of the growth: the new instances (id above sinceId) whose retained size is
 * within a factor of two of the median new instance's (the leak makes most of them; a lone
 * logger buffer is not typical). The path is walked from the one closest to a GC root: the
 * last timer added to a linked list is one link from its list, one in the middle hundreds.
 */
function typicalNewInstances(graph: Graph, classIndex: number, count: number, sinceId: number): number[] {
  const fresh: Array<{ index: number; retained: number }> = [];
  for (const node of graph.class_children(classIndex, 0, Math.min(count, NEW_INSTANCES), WasmSortBy.RetainedSize)) {
    if (node.id > sinceId) fresh.push({ index: node.index, retained: Number(node.retained_size) });
    node.free();
  }
  const mid = fresh[Math.floor(fresh.length / 2)]?.retained ?? 0;
  const typical = fresh.filter((n) => n.retained >= mid / 2 && n.retained <= mid * 2);
  // An even spread of at most PATH_SAMPLES of them.
  const step = Math.max(1, typical.length / PATH_SAMPLES);
  const picked: number[] = [];
  for (let i = 0; i < typical.length && picked.length < PATH_SAMPLES; i += step) picked.push(typical[Math.floor(i)]!.index);
  return picked;
}

/** Instances whose paths vote for the class's typical path. */
const PATH_SAMPLES = 16;

/**
 * The path most of the sampled instances share (what holds them, past links between instances
 * of the class itself, as in a linked list of timers), the shortest of those: a lone instance
 * held elsewhere (a logger's buffer among leaked page copies) does not speak for the class.
 */
function typicalPath(paths: Array<RetainerStep[] | null>, className: string): RetainerStep[] | null {
  const signature = (steps: RetainerStep[]) =>
    steps
      .filter((s) => s.holderName !== className)
      .slice(0, 2)
      .map((s) => `${s.holderName}/${s.edgeType}`)
      .join(' <- ');
  const votes = new Map<string, RetainerStep[][]>();
  for (const p of paths) {
    if (!p || p.length === 0) continue;
    const key = signature(p);
    votes.set(key, [...(votes.get(key) ?? []), p]);
  }
  const winner = [...votes.values()].sort((a, b) => b.length - a.length)[0];
  return winner ? winner.sort((a, b) => a.length - b.length)[0]! : null;
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
