/**
 * Retainer paths for the classes the leak report names first. The diff computes paths for
 * its own top growers by self size (the leaked payload: strings, DOM nodes); the report
 * ranks the holder first (rank-growers.ts), which may have none yet. This re-reads snapshot
 * B (in the short-lived diff process) and walks from the newest instance of each such class
 * towards a GC root, with the heap module's retainer walk.
 */
import { readFile } from 'node:fs/promises';
import { WasmSortBy, decode_bytes } from '@vscode/v8-heap-parser';
import type { ClassDelta } from '../../shared/heap/diff.js';
import { edgeNames } from '../../shared/heap/edge-names.js';
import { edgeQueries, findRetainerSteps, formatRetainerPath, type RetainerStep } from '../../shared/heap/retainer-path.js';

/** Instances looked at to pick the newest (highest object id, so most likely a new one). */
const SAMPLE_INSTANCES = 200;

export async function addCulpritPaths(pathB: string, growers: readonly ClassDelta[]): Promise<void> {
  const missing = growers.filter((g) => g.retainerPath === null && g.countDelta > 0);
  if (missing.length === 0) return;
  const buf = await readFile(pathB);
  const graph = decode_bytes(buf);
  try {
    const wanted = new Set(missing.map((g) => g.name));
    const groupIndex = new Map<string, number>();
    graph.get_class_groups(0, 0x7fffffff, true).forEach((group, index) => {
      const name = group.name();
      if (wanted.has(name) && !groupIndex.has(name)) groupIndex.set(name, index);
      group.free();
    });
    const found: Array<{ delta: ClassDelta; steps: RetainerStep[] }> = [];
    for (const delta of missing) {
      const index = groupIndex.get(delta.name);
      if (index === undefined) continue;
      let newest: { index: number; id: number } | null = null;
      for (const node of graph.class_children(index, 0, SAMPLE_INSTANCES, WasmSortBy.SelfSize)) {
        if (node.name() === delta.name && (newest === null || node.id > newest.id)) newest = { index: node.index, id: node.id };
        node.free();
      }
      const steps = newest === null ? null : findRetainerSteps(graph, newest.index);
      if (steps) found.push({ delta, steps });
    }
    const names = edgeNames(buf, found.flatMap((f) => edgeQueries(f.steps)));
    for (const f of found) f.delta.retainerPath = formatRetainerPath(f.steps, names);
  } finally {
    graph.free();
  }
}
