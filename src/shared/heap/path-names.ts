/**
 * Names along a retainer path, from the parsed snapshot: each step's edge (the variable,
 * property or element that holds the child) and, for closures, the script they were defined
 * in (closure -> shared -> script -> its name; a generator, such as an ES module's body, through
 * its function), so a path through a module-level variable names the module's file:
 * "system / Context (variable `cache`) in /srv/handlers/leaky.mjs".
 */
import { scanStrings, type SnapshotGraph } from './snapshot-graph.js';
import type { RetainerStep } from './retainer-path.js';

export interface EdgeName {
  type: string;
  /** Property or variable name, or the element index as text. */
  name: string;
}

export interface PathNames {
  /** Keyed `${holder}>${child}`. */
  edges: Map<string, EdgeName>;
  /** Script of each closure holder on the path, keyed by its ordinal. */
  scripts: Map<number, string>;
}

export function pathNames(graph: SnapshotGraph, paths: readonly RetainerStep[][]): PathNames {
  const { byValue } = scanStrings(graph.buf, new Set(), new Set(['shared', 'script_or_debug_info', 'script', 'function']));
  const child = (node: number | null, name: string) => (node === null || !byValue.has(name) ? null : namedChild(graph, node, byValue.get(name)!));
  const raw = new Map<string, { type: string; nameIndex: number }>();
  const scriptNodes = new Map<number, number>();
  for (const steps of paths) {
    for (const s of steps) {
      const edge = findEdge(graph, s.holder, s.child, s.edgeType);
      if (edge !== null) raw.set(`${s.holder}>${s.child}`, { type: graph.edgeType(edge), nameIndex: graph.edgeName(edge) });
      const closure = graph.typeName(s.holder) === 'closure' ? s.holder : child(s.holder, 'function');
      if (closure !== null && graph.typeName(closure) === 'closure') {
        const shared = child(closure, 'shared');
        const script = child(shared, 'script_or_debug_info') ?? child(shared, 'script');
        if (script !== null && graph.typeName(script) !== 'closure') scriptNodes.set(s.holder, graph.nameIndex(script));
      }
    }
  }
  const wanted = new Set<number>([...[...raw.values()].filter((r) => !isIndexed(r.type)).map((r) => r.nameIndex), ...scriptNodes.values()]);
  const { byIndex } = scanStrings(graph.buf, wanted);
  const edges = new Map<string, EdgeName>();
  for (const [key, r] of raw) edges.set(key, { type: r.type, name: isIndexed(r.type) ? String(r.nameIndex) : (byIndex.get(r.nameIndex) ?? '?') });
  const scripts = new Map<number, string>();
  for (const [holder, nameIndex] of scriptNodes) {
    const script = byIndex.get(nameIndex);
    if (script && /[/\\:]/.test(script)) scripts.set(holder, script);
  }
  return { edges, scripts };
}

function isIndexed(type: string): boolean {
  return type === 'element' || type === 'hidden';
}

function findEdge(graph: SnapshotGraph, from: number, to: number, type: string): number | null {
  const [e0, e1] = graph.edgeRange(from);
  let any: number | null = null;
  for (let e = e0; e < e1; e++) {
    if (graph.edgeTo(e) !== to) continue;
    if (graph.edgeType(e) === type) return e;
    any ??= e;
  }
  return any;
}

function namedChild(graph: SnapshotGraph, from: number, nameIndex: number): number | null {
  const [e0, e1] = graph.edgeRange(from);
  for (let e = e0; e < e1; e++) {
    const type = graph.edgeType(e);
    if ((type === 'internal' || type === 'property') && graph.edgeName(e) === nameIndex) return graph.edgeTo(e);
  }
  return null;
}
