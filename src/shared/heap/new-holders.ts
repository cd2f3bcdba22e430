/**
 * What the objects created between two snapshots of one process hold (pure over snapshot B).
 * V8 keeps object ids between snapshots of a process, so objects with an id above snapshot A's
 * highest were created after A. For each class that gained such instances, a breadth-first walk
 * from all of them at once through new objects (and the native backing stores of new
 * ArrayBuffers) sums what they reach, each object once: a record class that holds a parsed
 * document reaches the document, its elements and the HTML; the elements reach only their own
 * subtrees. The class that holds the most of the growth is the culprit, whatever its depth.
 * A parsed document links everything to everything (parents, children, the cheerio function),
 * so several classes can reach about the same bytes: among those, the holder is the one that
 * reaches the others' new instances while they do not reach its own (the record that keeps the
 * document, not the document's cheerio wrapper).
 */
import { scanStrings, type SnapshotGraph } from './snapshot-graph.js';

export interface HeldGrowth {
  /** New instances of the class. */
  count: number;
  /** Bytes of new objects they reach. */
  held: number;
  /**
   * 0 for the outermost of the classes that reach about the most (within NEAR_TOP), 1 for one
   * that one of them reaches, ...; null for the rest.
   */
  depth: number | null;
}

/** Classes within this share of the most bytes reached count as reaching "about the most". */
const NEAR_TOP = 0.9;
/** A class reaches another when it reaches at least this share of its new instances. */
const REACHES = 0.5;

/** Classes walked (the ones with the most new instances among the candidates). */
const MAX_CLASSES = 30;

/**
 * `weight` scales a class's reach when choosing the classes that reach about the most: a generic
 * container (a new Array) reaches every structure the process built in the gap, so it leads only
 * when it reaches clearly more than any named class (rank-growers.ts gives it half weight).
 */
export function heldByNew(graph: SnapshotGraph, sinceId: number, isCandidate: (className: string) => boolean, weight: (className: string) => number = () => 1): Map<string, HeldGrowth> {
  const isNew = (node: number) => graph.id(node) > sinceId && !skipped(graph.typeName(node));
  const newOfKey = new Map<string, number[]>();
  for (let node = 0; node < graph.nodeCount; node++) {
    if (!isNew(node)) continue;
    const key = classKey(graph, node);
    const list = newOfKey.get(key);
    if (list) list.push(node);
    else newOfKey.set(key, [node]);
  }
  const names = scanStrings(graph.buf, new Set([...newOfKey.keys()].filter((k) => k.startsWith('#')).map((k) => Number(k.slice(1))))).byIndex;
  const className = (key: string) => (key.startsWith('#') ? (names.get(Number(key.slice(1))) ?? '') : key);
  const candidates = [...newOfKey]
    .map(([key, nodes]) => ({ name: className(key), nodes }))
    .filter((c) => c.name !== '' && isCandidate(c.name))
    .sort((a, b) => b.nodes.length - a.nodes.length)
    .slice(0, MAX_CLASSES);
  const seen = new Uint32Array(graph.nodeCount);
  const classOf = new Int32Array(graph.nodeCount).fill(-1);
  candidates.forEach((c, i) => {
    for (const node of c.nodes) classOf[node] = i;
  });
  const walks = candidates.map((c, i) => {
    const mark = i + 1;
    const queue = [...c.nodes];
    for (const node of queue) seen[node] = mark;
    let held = 0;
    const reached = new Uint32Array(candidates.length);
    for (let head = 0; head < queue.length; head++) {
      const from = queue[head]!;
      held += graph.selfSize(from);
      if (classOf[from]! >= 0) reached[classOf[from]!]!++;
      const [e0, e1] = graph.edgeRange(from);
      for (let e = e0; e < e1; e++) {
        if (graph.edgeType(e) === 'weak') continue;
        const to = graph.edgeTo(e);
        if (seen[to] === mark) continue;
        if (!isNew(to) && !(graph.typeName(to) === 'native' && graph.typeName(from) === 'object')) continue;
        seen[to] = mark;
        queue.push(to);
      }
    }
    return { name: c.name, count: c.nodes.length, held, reached };
  });
  const score = (w: (typeof walks)[number]) => w.held * weight(w.name);
  const most = walks.reduce((m, w) => Math.max(m, score(w)), 0);
  const near = walks.map((w, i) => i).filter((i) => score(walks[i]!) >= NEAR_TOP * most);
  const reaches = (x: number, y: number) => walks[x]!.reached[y]! >= REACHES * walks[y]!.count;
  const out = new Map<string, HeldGrowth>();
  walks.forEach((w, i) => {
    const depth = near.includes(i) ? near.filter((j) => j !== i && reaches(j, i) && !reaches(i, j)).length : null;
    const prev = out.get(w.name);
    if (!prev || w.held > prev.held) out.set(w.name, { count: w.count + (prev?.count ?? 0), held: w.held, depth });
  });
  return out;
}

/** Compiled code, maps and synthetic roots are the VM's, and native nodes have hash-based ids. */
function skipped(type: string): boolean {
  return type === 'code' || type === 'object shape' || type === 'synthetic' || type === 'native';
}

/** The class name as the wasm parser groups it: an object's constructor (as '#<string index>'), else its category. */
function classKey(graph: SnapshotGraph, node: number): string {
  const type = graph.typeName(node);
  if (type === 'object') return `#${graph.nameIndex(node)}`;
  if (type === 'closure') return '(closure)';
  return `(${type})`;
}
