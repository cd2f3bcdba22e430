/**
 * One sample retainer path: from an instance towards a GC root, the chain of objects that
 * keeps it alive. The wasm parser gives the retainers on shortest paths to the root (bounded
 * by distance); a breadth-first walk over them, skipping weak edges and preferring named
 * edges (variables, properties, elements) over internal ones, picks one chain.
 */
import { EdgeType, NodeType, type Graph, type RetainerNode } from '@vscode/v8-heap-parser';
import type { EdgeName, EdgeQuery } from './edge-names.js';

export interface RetainerStep {
  /** Ordinal of the object that holds `child`. */
  holder: number;
  holderName: string;
  holderType: NodeType;
  edgeType: EdgeType;
  child: number;
}

/** How far (in edges) the walk looks for a root, and the longest path reported. */
export const MAX_DISTANCE = 24;
export const MAX_STEPS = 12;

const PREFERENCE: Record<number, number> = {
  [EdgeType.Context]: 0,
  [EdgeType.Property]: 1,
  [EdgeType.Element]: 2,
  [EdgeType.Internal]: 4,
  [EdgeType.Hidden]: 5,
  [EdgeType.Shortcut]: 6,
};

/** The steps from the instance (first) towards a root (last), or null when no root was reached. */
export function findRetainerSteps(graph: Graph, index: number): RetainerStep[] | null {
  // Can be hundreds of thousands of records (every sibling in a big array): read only numbers here,
  // names only for the chosen path.
  const retainers = graph.get_all_retainers(index, MAX_DISTANCE);
  try {
    return choosePath(graph, index, retainers);
  } finally {
    for (const r of retainers) r.free();
  }
}

function choosePath(graph: Graph, index: number, retainers: RetainerNode[]): RetainerStep[] | null {
  const holders = new Map<number, RetainerStep[]>();
  const record = new Map<RetainerStep, RetainerNode>();
  for (const r of retainers) {
    const edgeType = r.edge_typ;
    const child = r.retains_index;
    const holder = r.index;
    if (holder === child || edgeType === EdgeType.Weak || edgeType === EdgeType.Invisible) continue;
    const step: RetainerStep = { holder, holderName: '', holderType: r.typ, edgeType, child };
    record.set(step, r);
    const list = holders.get(child);
    if (list) list.push(step);
    else holders.set(child, [step]);
  }
  const via = new Map<number, RetainerStep | null>([[index, null]]);
  const synthetic = new Set<number>();
  for (const list of holders.values()) for (const s of list) if (s.holderType === NodeType.Syntheic) synthetic.add(s.holder);
  const queue = [index];
  let end: number | null = null;
  let farthest = index;
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head]!;
    farthest = node;
    const list = holders.get(node);
    // A root: (root) itself, or a synthetic root group such as "(GC roots)" or "(Stack roots)" nothing else holds.
    if (node === graph.root_index || (synthetic.has(node) && !list)) {
      end = node;
      break;
    }
    for (const step of (list ?? []).sort((a, b) => (PREFERENCE[a.edgeType] ?? 9) - (PREFERENCE[b.edgeType] ?? 9))) {
      if (via.has(step.holder)) continue;
      via.set(step.holder, step);
      queue.push(step.holder);
    }
  }
  // No root within the bound: report the chain to the farthest holder found.
  end ??= farthest === index ? null : farthest;
  if (end === null) return null;
  const steps: RetainerStep[] = [];
  for (let step = via.get(end); step; step = via.get(step.child)) steps.unshift(step);
  const chosen = steps.filter((s) => s.holder !== graph.root_index).slice(0, MAX_STEPS);
  for (const s of chosen) s.holderName = record.get(s)?.name() ?? '';
  return chosen;
}

export function edgeQueries(steps: RetainerStep[]): EdgeQuery[] {
  return steps.map((s) => ({ from: s.holder, to: s.child }));
}

/** "Array (element [20999])", "system / Context (variable `leaked`)", "(GC roots)". */
export function formatRetainerPath(steps: RetainerStep[], names: Map<string, EdgeName>): string[] {
  return steps.map((s) => {
    const holder = s.holderName === '' ? `(${NodeType[s.holderType] ?? 'object'})` : s.holderName;
    const edge = names.get(`${s.holder}>${s.child}`);
    return edge ? `${holder} (${describeEdge(edge)})` : holder;
  });
}

function describeEdge(edge: EdgeName): string {
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
