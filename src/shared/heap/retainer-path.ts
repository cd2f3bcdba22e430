/**
 * One sample retainer path: from an instance towards a GC root, the chain of objects that
 * keeps it alive. Walked over the typed-array graph: with every node's distance from the root
 * known (snapshot-graph.ts) and an index of who points at whom, each step goes to a holder one
 * edge closer to the root, so the walk follows a shortest path and always ends at a root (the
 * wasm parser's retainer query returned every sibling of the instance, 600,000 records for one
 * element of a 2,000-entry array, 0.7 s each). Among holders at the same distance, named edges
 * win: variables, then properties, then elements, then internal ones.
 */
import { toPath } from './code-origin.js';
import type { PathNames } from './path-names.js';
import { scanStrings, type SnapshotGraph } from './snapshot-graph.js';

export interface RetainerStep {
  /** Ordinal of the object that holds `child`. */
  holder: number;
  holderName: string;
  /** Node type name (object, closure, array, ...). */
  holderType: string;
  /** Edge type name (context, property, element, internal, ...). */
  edgeType: string;
  child: number;
  /** Consecutive identical steps folded into this one (a linked list): 1 for a single step. */
  repeat: number;
}

/** The longest path reported (after folding repeated steps). */
export const MAX_STEPS = 12;
/** The longest walk (a path to the root is at most the instance's distance from it). */
const MAX_WALK = 100_000;

const PREFERENCE: Record<string, number> = { context: 0, property: 1, element: 2, internal: 4, hidden: 5, shortcut: 6 };
const UNREACHED = 0xffffffff;

/** For each node, the nodes that point at it (weak edges left out). */
export interface Retainers {
  first: Uint32Array;
  from: Uint32Array;
  edge: Uint32Array;
}

export function indexRetainers(graph: SnapshotGraph): Retainers {
  const count = new Uint32Array(graph.nodeCount + 1);
  const edges = graph.firstEdge[graph.nodeCount]!;
  for (let e = 0; e < edges; e++) if (graph.edgeType(e) !== 'weak') count[graph.edgeTo(e) + 1]!++;
  for (let n = 0; n < graph.nodeCount; n++) count[n + 1]! += count[n]!;
  const first = count.slice();
  const fill = count.slice();
  const from = new Uint32Array(first[graph.nodeCount]!);
  const edge = new Uint32Array(first[graph.nodeCount]!);
  for (let n = 0; n < graph.nodeCount; n++) {
    const [e0, e1] = graph.edgeRange(n);
    for (let e = e0; e < e1; e++) {
      if (graph.edgeType(e) === 'weak') continue;
      const at = fill[graph.edgeTo(e)]!++;
      from[at] = n;
      edge[at] = e;
    }
  }
  return { first, from, edge };
}

/** The steps from the instance (first) towards the root (last, the root itself left out); null when no root reaches it. */
export function findRetainerSteps(graph: SnapshotGraph, retainers: Retainers, distance: Uint32Array, index: number): RetainerStep[] | null {
  if (distance[index] === UNREACHED || distance[index] === 0) return null;
  const steps: RetainerStep[] = [];
  for (let node = index; distance[node]! > 1 && steps.length < MAX_WALK; ) {
    let best: { holder: number; edge: number; rank: number } | null = null;
    for (let r = retainers.first[node]!; r < retainers.first[node + 1]!; r++) {
      const holder = retainers.from[r]!;
      if (distance[holder] !== distance[node]! - 1) continue;
      const rank = PREFERENCE[graph.edgeType(retainers.edge[r]!)] ?? 9;
      if (best === null || rank < best.rank) best = { holder, edge: retainers.edge[r]!, rank };
    }
    if (best === null) break;
    steps.push({ holder: best.holder, holderName: '', holderType: graph.typeName(best.holder), edgeType: graph.edgeType(best.edge), child: node, repeat: 1 });
    node = best.holder;
  }
  const names = scanStrings(graph.buf, new Set(steps.filter((s) => !isString(s.holderType)).map((s) => graph.nameIndex(s.holder)))).byIndex;
  for (const s of steps) s.holderName = isString(s.holderType) ? `(${s.holderType})` : (names.get(graph.nameIndex(s.holder)) ?? '');
  return steps;
}

/** Folds runs of the same holder class through the same kind of edge (`Timeout (property ._idleNext) x37`), then keeps MAX_STEPS. */
export function foldSteps(graph: SnapshotGraph, steps: readonly RetainerStep[]): RetainerStep[] {
  const folded: RetainerStep[] = [];
  for (const s of steps) {
    const last = folded[folded.length - 1];
    if (last && last.holderName === s.holderName && last.edgeType === s.edgeType && s.edgeType !== 'element' && sameEdgeName(graph, last, s)) last.repeat++;
    else folded.push({ ...s });
  }
  return folded.slice(0, MAX_STEPS);
}

function sameEdgeName(graph: SnapshotGraph, a: RetainerStep, b: RetainerStep): boolean {
  const name = (s: RetainerStep) => {
    const [e0, e1] = graph.edgeRange(s.holder);
    for (let e = e0; e < e1; e++) if (graph.edgeTo(e) === s.child && graph.edgeType(e) === s.edgeType) return graph.edgeName(e);
    return -1;
  };
  return name(a) === name(b);
}

function isString(type: string): boolean {
  return type === 'string' || type === 'sliced string' || type === 'concatenated string';
}

/**
 * "Array (element [20999])", "system / Context (variable `leaked`) in /srv/leaky.mjs",
 * "handle (internal context) in /srv/leaky.mjs", "(GC roots)". A context is placed in the
 * script of the closure (or generator) that holds it (the next step), which is then not
 * repeated; a closure on its own is placed in its own script.
 */
export function formatRetainerPath(steps: RetainerStep[], names: PathNames): string[] {
  return steps.map((s, i) => {
    const holder = s.holderName === '' ? `(${s.holderType})` : s.holderName;
    const edge = names.edges.get(`${s.holder}>${s.child}`);
    const next = steps[i + 1];
    const previous = steps[i - 1];
    const ownScript = names.scripts.get(s.holder);
    const shownBefore = previous?.holderName === 'system / Context' && ownScript !== undefined;
    const script = shownBefore ? undefined : (ownScript ?? (s.holderName === 'system / Context' && next ? names.scripts.get(next.holder) : undefined));
    const where = script === undefined ? '' : ` in ${toPath(script)}`;
    const times = s.repeat > 1 ? ` x${s.repeat}` : '';
    return `${edge ? `${holder} (${describeEdge(edge)})` : holder}${times}${where}`;
  });
}

function describeEdge(edge: { type: string; name: string }): string {
  switch (edge.type) {
    case 'context':
      return `variable \`${edge.name}\``;
    case 'property':
      return `property .${edge.name}`;
    case 'element':
      return `element [${edge.name}]`;
    default:
      return `${edge.type} ${edge.name}`;
  }
}
