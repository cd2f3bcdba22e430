/**
 * Allocation sites from a sampling heap profile (pure). The profile holds a sample of the
 * objects allocated since it started that are still alive, each with its allocation stack;
 * each sample is charged to the innermost user frame on its stack when there is one (a handler
 * calling into cheerio or Node), else to the innermost frame of spiderd or a library (the code
 * that called into Node: spiderd's decoder rather than Node's TextDecoder), else to Node's. Taken with no page
 * in flight, what a handler allocated and is still alive is what it keeps. Memory a handler
 * keeps but spiderd or cheerio allocated (a page's HTML pinned by a short slice, a parsed
 * document kept in a record) stays with their frames here; the snapshot's retainer path tells
 * who holds it.
 */
import { codeOrigin, type CodeOrigin } from './code-origin.js';
import type { SamplingProfile } from './heap-session.js';

export interface AllocationSite {
  /** "handle (file:///srv/handlers/leaky.mjs:19)": function, script and the function's first line. */
  site: string;
  origin: CodeOrigin;
  function: string;
  file: string;
  line: number;
  /** Sampled bytes still alive that were allocated here (an estimate: V8 scales its samples). */
  bytes: number;
  /** Distinct allocation stacks that end here. */
  stacks: number;
}

interface Frame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  callFrame: Frame;
  selfSize: number;
  id?: number;
  children: ProfileNode[];
}

export function sitesFromProfile(profile: SamplingProfile, ownScripts: readonly string[] = []): { sites: AllocationSite[]; sampledBytes: number } {
  const sites = new Map<string, AllocationSite>();
  let sampledBytes = 0;
  const visit = (node: ProfileNode, stack: Frame[]) => {
    const frames = [...stack, node.callFrame];
    if (node.selfSize > 0) {
      sampledBytes += node.selfSize;
      const inner = [...frames].reverse();
      const origin = (f: Frame) => codeOrigin(f.url, ownScripts);
      const frame =
        inner.find((f) => origin(f) === 'user') ??
        inner.find((f) => origin(f) === 'library' || origin(f) === 'spiderd') ??
        inner.find((f) => origin(f) !== 'native') ??
        node.callFrame;
      const line = frame.lineNumber >= 0 ? frame.lineNumber + 1 : 0;
      const site = `${frame.functionName || '(anonymous)'} (${frame.url}:${line})`;
      const entry = sites.get(site) ?? { site, origin: codeOrigin(frame.url, ownScripts), function: frame.functionName, file: frame.url, line, bytes: 0, stacks: 0 };
      entry.bytes += node.selfSize;
      entry.stacks++;
      sites.set(site, entry);
    }
    for (const child of node.children) visit(child, frames);
  };
  visit(profile.head as unknown as ProfileNode, []);
  return { sites: [...sites.values()].sort((a, b) => b.bytes - a.bytes || a.site.localeCompare(b.site)), sampledBytes };
}
