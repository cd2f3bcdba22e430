/**
 * A .heapsnapshot's object graph as typed arrays, read straight from the file's Buffer (the
 * file is never turned into one JS string): node fields, edges, the first edge of each node,
 * and strings on demand. The wasm parser (diff-core.ts) gives classes, retained sizes and
 * retainer paths; this gives what it does not expose: per-object allocation traces, forward
 * edges by name (closure -> shared -> script), and the `locations` of closures.
 */

export interface SnapshotMeta {
  node_fields: string[];
  node_types: [string[], ...unknown[]];
  edge_fields: string[];
  edge_types: [string[], ...unknown[]];
  trace_function_info_fields?: string[];
  node_count?: number;
  edge_count?: number;
}

export class SnapshotGraph {
  readonly nodeCount: number;
  readonly nodeFields: number;
  readonly edgeFields: number;
  /** node_fields values, nodeFields per node. */
  readonly nodes: Float64Array;
  /** edge_fields values, edgeFields per edge; to_node already divided into a node ordinal. */
  readonly edges: Uint32Array;
  /** Index (in edges, in edge records) of each node's first edge; nodeCount + 1 entries. */
  readonly firstEdge: Uint32Array;
  private readonly f: { type: number; name: number; id: number; selfSize: number; edgeCount: number; trace: number };
  private readonly e: { type: number; name: number; to: number };

  constructor(
    readonly buf: Buffer,
    readonly meta: SnapshotMeta,
  ) {
    this.nodeFields = meta.node_fields.length;
    this.edgeFields = meta.edge_fields.length;
    const at = (list: string[], name: string) => list.indexOf(name);
    this.f = { type: at(meta.node_fields, 'type'), name: at(meta.node_fields, 'name'), id: at(meta.node_fields, 'id'), selfSize: at(meta.node_fields, 'self_size'), edgeCount: at(meta.node_fields, 'edge_count'), trace: at(meta.node_fields, 'trace_node_id') };
    this.e = { type: at(meta.edge_fields, 'type'), name: at(meta.edge_fields, 'name_or_index'), to: at(meta.edge_fields, 'to_node') };
    const cur = { pos: sectionStart(buf, '"nodes":[') };
    this.nodes = readNumbers(buf, cur, (n) => new Float64Array(n), (meta.node_count ?? 0) * this.nodeFields);
    this.nodeCount = Math.floor(this.nodes.length / this.nodeFields);
    cur.pos = sectionStart(buf, '"edges":[', cur.pos);
    this.edges = readNumbers(buf, cur, (n) => new Uint32Array(n), (meta.edge_count ?? 0) * this.edgeFields);
    for (let i = this.e.to; i < this.edges.length; i += this.edgeFields) this.edges[i] = this.edges[i]! / this.nodeFields;
    this.firstEdge = new Uint32Array(this.nodeCount + 1);
    let edge = 0;
    for (let n = 0; n < this.nodeCount; n++) {
      this.firstEdge[n] = edge;
      edge += this.nodes[n * this.nodeFields + this.f.edgeCount]!;
    }
    this.firstEdge[this.nodeCount] = edge;
  }

  typeName(node: number): string {
    return this.meta.node_types[0][this.nodes[node * this.nodeFields + this.f.type]!] ?? 'unknown';
  }
  nameIndex(node: number): number {
    return this.nodes[node * this.nodeFields + this.f.name]!;
  }
  id(node: number): number {
    return this.nodes[node * this.nodeFields + this.f.id]!;
  }
  selfSize(node: number): number {
    return this.nodes[node * this.nodeFields + this.f.selfSize]!;
  }
  /** The allocation trace node of this object (0: allocated while allocation tracking was off). */
  traceId(node: number): number {
    return this.f.trace < 0 ? 0 : this.nodes[node * this.nodeFields + this.f.trace]!;
  }
  edgeType(edge: number): string {
    return this.meta.edge_types[0][this.edges[edge * this.edgeFields + this.e.type]!] ?? 'unknown';
  }
  /** String index of a named edge, or the element/hidden index. */
  edgeName(edge: number): number {
    return this.edges[edge * this.edgeFields + this.e.name]!;
  }
  edgeTo(edge: number): number {
    return this.edges[edge * this.edgeFields + this.e.to]!;
  }
  /** Edge numbers (records, not array offsets) of a node: [from, to). */
  edgeRange(node: number): [number, number] {
    return [this.firstEdge[node]!, this.firstEdge[node + 1]!];
  }
}

export function readMeta(buf: Buffer): SnapshotMeta {
  const nodesAt = buf.indexOf('"nodes":[');
  if (nodesAt < 0) throw new Error('no "nodes" array');
  const header = buf.toString('utf8', 0, nodesAt).replace(/,\s*$/, '');
  const snapshot = (JSON.parse(`${header}}`) as { snapshot: { meta: SnapshotMeta; node_count?: number; edge_count?: number } }).snapshot;
  return { ...snapshot.meta, node_count: snapshot.node_count, edge_count: snapshot.edge_count };
}

export function sectionStart(buf: Buffer, key: string, from = 0): number {
  const at = buf.indexOf(key, from);
  if (at < 0) throw new Error(`no ${key} section`);
  return at + key.length;
}

/** Reads non-negative integers up to the closing ']' into a typed array (expected: its size, from the header). */
export function readNumbers<T extends Float64Array | Uint32Array>(buf: Buffer, cur: { pos: number }, make: (n: number) => T, expected: number): T {
  let out = make(Math.max(expected, 1024));
  let count = 0;
  let p = cur.pos;
  let n = 0;
  let inNumber = false;
  for (; p < buf.length; p++) {
    const c = buf[p]!;
    if (c >= 48 && c <= 57) {
      n = n * 10 + (c - 48);
      inNumber = true;
      continue;
    }
    if (inNumber) {
      if (count === out.length) {
        const bigger = make(out.length * 2);
        bigger.set(out);
        out = bigger;
      }
      out[count++] = n;
      n = 0;
      inNumber = false;
    }
    if (c === 93 /* ] */) break;
  }
  cur.pos = p + 1;
  return (count === out.length ? out : out.subarray(0, count)) as T;
}

const MAX_STRING = 200;

/**
 * One forward pass over the "strings" array: the strings at `indices`, and the index of each
 * string in `values` (short names such as 'shared'). Long strings are cut to 200 characters.
 */
export function scanStrings(buf: Buffer, indices: ReadonlySet<number>, values: ReadonlySet<string> = new Set()): { byIndex: Map<number, string>; byValue: Map<string, number> } {
  const byIndex = new Map<number, string>();
  const byValue = new Map<string, number>();
  const at = buf.lastIndexOf('"strings":[');
  if (at < 0) return { byIndex, byValue };
  const maxValue = [...values].reduce((m, v) => Math.max(m, Buffer.byteLength(v) + 2), 0);
  const maxIndex = [...indices].reduce((m, i) => Math.max(m, i), -1);
  let p = at + '"strings":['.length;
  for (let i = 0; ; i++) {
    p = buf.indexOf(34 /* " */, p);
    if (p < 0) break;
    const start = p;
    p++;
    while (p < buf.length && buf[p] !== 34) p += buf[p] === 92 /* \ */ ? 2 : 1;
    const len = p + 1 - start;
    if (indices.has(i)) byIndex.set(i, decode(buf, start, p + 1));
    if (len <= maxValue) {
      const s = decode(buf, start, p + 1);
      if (values.has(s) && !byValue.has(s)) byValue.set(s, i);
    }
    p++;
    if (i >= maxIndex && byValue.size === values.size) break;
  }
  return { byIndex, byValue };
}

function decode(buf: Buffer, start: number, end: number): string {
  if (end - start > 4 * MAX_STRING) return `${buf.toString('utf8', start + 1, start + 1 + MAX_STRING).replace(/\\[^"]?$/, '')}...`;
  try {
    const s = JSON.parse(buf.toString('utf8', start, end)) as string;
    return s.length > MAX_STRING ? `${s.slice(0, MAX_STRING)}...` : s;
  } catch {
    return buf.toString('utf8', start + 1, Math.min(end - 1, start + 1 + MAX_STRING));
  }
}

/**
 * The highest id of a V8 heap object in a snapshot: objects first seen after it was taken get
 * higher ids in the same process. Embedder ("native") and synthetic nodes are left out: their
 * ids come from hashes.
 */
export function maxNodeId(buf: Buffer, meta: SnapshotMeta): number {
  const fields = meta.node_fields.length;
  const idAt = meta.node_fields.indexOf('id');
  const typeAt = meta.node_fields.indexOf('type');
  const skip = new Set(['native', 'synthetic'].map((t) => meta.node_types[0].indexOf(t)));
  let p = sectionStart(buf, '"nodes":[');
  let field = 0;
  let n = 0;
  let type = -1;
  let inNumber = false;
  let max = 0;
  for (; p < buf.length; p++) {
    const c = buf[p]!;
    if (c >= 48 && c <= 57) {
      n = n * 10 + (c - 48);
      inNumber = true;
      continue;
    }
    if (inNumber) {
      if (field === typeAt) type = n;
      if (field === idAt && n > max && !skip.has(type)) max = n;
      field = (field + 1) % fields;
      n = 0;
      inNumber = false;
    }
    if (c === 93 /* ] */) break;
  }
  return max;
}

/** Edges from the root (node 0) to each node along shortest paths, weak edges left out (DevTools' "distance"). */
export function distancesFromRoot(graph: SnapshotGraph): Uint32Array {
  const unreached = 0xffffffff;
  const distance = new Uint32Array(graph.nodeCount).fill(unreached);
  const queue = new Uint32Array(graph.nodeCount);
  let tail = 0;
  distance[0] = 0;
  queue[tail++] = 0;
  for (let head = 0; head < tail; head++) {
    const from = queue[head]!;
    const [e0, e1] = graph.edgeRange(from);
    for (let e = e0; e < e1; e++) {
      if (graph.edgeType(e) === 'weak') continue;
      const to = graph.edgeTo(e);
      if (distance[to] !== unreached) continue;
      distance[to] = distance[from]! + 1;
      queue[tail++] = to;
    }
  }
  return distance;
}
