/**
 * Names of a few edges, read straight from a .heapsnapshot Buffer (the wasm parser exposes
 * retainers but not edge names such as the variable `leaked` in a module's context).
 * Three forward scans over the raw JSON (nodes, edges, strings) with constant extra memory:
 * nothing but the requested entries is kept, and the file is never turned into a JS string.
 */
export interface EdgeQuery {
  /** Node ordinals (index in the nodes array / node field count), as the wasm parser reports them. */
  from: number;
  to: number;
}

export interface EdgeName {
  type: string;
  /** Property or variable name, or the element index as text. */
  name: string;
}

interface Meta {
  node_fields: string[];
  edge_fields: string[];
  edge_types: [string[], ...unknown[]];
}

const key = (q: EdgeQuery) => `${q.from}>${q.to}`;

/** Returns a name for each query whose edge was found (keyed `${from}>${to}`). */
export function edgeNames(buf: Buffer, queries: EdgeQuery[]): Map<string, EdgeName> {
  const out = new Map<string, EdgeName>();
  if (queries.length === 0) return out;
  const nodesAt = buf.indexOf('"nodes":[');
  if (nodesAt < 0) return out;
  const header = buf.toString('utf8', 0, nodesAt).replace(/,\s*$/, '');
  const meta = (JSON.parse(`${header}}`) as { snapshot: { meta: Meta } }).snapshot.meta;
  const nodeFields = meta.node_fields.length;
  const edgeFields = meta.edge_fields.length;
  const edgeCountAt = meta.node_fields.indexOf('edge_count');
  const typeAt = meta.edge_fields.indexOf('type');
  const nameAt = meta.edge_fields.indexOf('name_or_index');
  const toAt = meta.edge_fields.indexOf('to_node');
  const edgeTypes = meta.edge_types[0];

  // 1. nodes: the first edge index of each node a query starts from.
  const wanted = new Set(queries.map((q) => q.from));
  const maxNode = [...wanted].reduce((m, n) => Math.max(m, n), 0);
  const firstEdge = new Map<number, { first: number; count: number }>();
  const cur = { pos: nodesAt + '"nodes":['.length };
  let edgeIndex = 0;
  for (let node = 0; node <= maxNode; node++) {
    let count = 0;
    for (let f = 0; f < nodeFields; f++) {
      const n = readNumber(buf, cur);
      if (n < 0) return out;
      if (f === edgeCountAt) count = n;
    }
    if (wanted.has(node)) firstEdge.set(node, { first: edgeIndex, count });
    edgeIndex += count;
  }

  // 2. edges: each wanted node's edges are contiguous; read up to them, then look for the targets.
  const edgesAt = buf.indexOf('"edges":[', cur.pos);
  if (edgesAt < 0) return out;
  const targets = new Map<number, EdgeQuery[]>();
  for (const q of queries) targets.set(q.from, [...(targets.get(q.from) ?? []), q]);
  const holders = [...firstEdge].sort((x, y) => x[1].first - y[1].first);
  const found = new Map<string, { type: string; nameOrIndex: number }>();
  cur.pos = edgesAt + '"edges":['.length;
  const fields: number[] = new Array<number>(edgeFields).fill(0);
  let e = 0;
  for (const [from, range] of holders) {
    for (; e < range.first; e++) for (let f = 0; f < edgeFields; f++) readNumber(buf, cur);
    const wantedTo = new Map((targets.get(from) ?? []).map((q) => [q.to * nodeFields, q]));
    for (; e < range.first + range.count; e++) {
      for (let f = 0; f < edgeFields; f++) fields[f] = readNumber(buf, cur);
      const q = wantedTo.get(fields[toAt]!);
      if (!q || found.has(key(q))) continue;
      found.set(key(q), { type: edgeTypes[fields[typeAt]!] ?? 'unknown', nameOrIndex: fields[nameAt]! });
    }
  }

  // 3. strings: names of the edges that carry a string (not element/hidden indexes).
  const needStrings = new Set<number>();
  for (const f of found.values()) if (f.type !== 'element' && f.type !== 'hidden') needStrings.add(f.nameOrIndex);
  const strings = readStrings(buf, buf.indexOf('"strings":[', cur.pos), needStrings);
  for (const [k, f] of found) {
    const name = f.type === 'element' || f.type === 'hidden' ? String(f.nameOrIndex) : (strings.get(f.nameOrIndex) ?? '?');
    out.set(k, { type: f.type, name });
  }
  return out;
}

/** Reads the next non-negative integer at cur.pos, or -1 at the end of the array. */
function readNumber(buf: Buffer, cur: { pos: number }): number {
  let p = cur.pos;
  let c = buf[p];
  while (c !== undefined && (c < 48 || c > 57)) {
    if (c === 93 /* ] */) return -1;
    c = buf[++p];
  }
  let n = 0;
  while (c !== undefined && c >= 48 && c <= 57) {
    n = n * 10 + (c - 48);
    c = buf[++p];
  }
  cur.pos = p;
  return n;
}

const MAX_NAME = 80;

function readStrings(buf: Buffer, at: number, wanted: Set<number>): Map<number, string> {
  const out = new Map<number, string>();
  if (at < 0 || wanted.size === 0) return out;
  const maxIndex = [...wanted].reduce((m, n) => Math.max(m, n), 0);
  let p = at + '"strings":['.length;
  for (let i = 0; i <= maxIndex; i++) {
    p = buf.indexOf(34 /* " */, p);
    if (p < 0) break;
    const start = p;
    p++;
    while (p < buf.length && buf[p] !== 34) p += buf[p] === 92 /* \ */ ? 2 : 1;
    if (wanted.has(i)) {
      const end = Math.min(p + 1, start + 4 * MAX_NAME);
      const raw = end === p + 1 ? buf.toString('utf8', start, end) : null;
      out.set(i, raw === null ? `${buf.toString('utf8', start + 1, start + MAX_NAME).replace(/\\.?$/, '')}...` : (JSON.parse(raw) as string).slice(0, MAX_NAME));
    }
    p++;
  }
  return out;
}
