/**
 * The investigation's evidence, turned into ranked classes (with retainer paths) and
 * allocation sites: the diff of its two snapshots, run in a short-lived child process
 * (diff-child.ts) so the crawler never holds two parsed snapshots nor the parser's memory, and
 * the sampling heap profile's sites (profile-sites.ts).
 */
import path from 'node:path';
import type { AllocationSite } from '../../shared/heap/profile-sites.js';
import type { ClassDelta } from '../../shared/heap/diff.js';
import type { SamplingProfile } from '../../shared/heap/heap-session.js';
import { sitesFromProfile } from '../../shared/heap/profile-sites.js';
import { runDiffInChild } from './run-diff.js';

export interface CulpritEvidence {
  classes: ClassDelta[];
  sites: AllocationSite[];
  /** Bytes the sites account for: new objects in snapshot B, or the sampled bytes. */
  siteBytes: number;
}

export interface Gathering {
  result: Promise<CulpritEvidence>;
  /** Ends the diff early (shutdown). */
  stop(): void;
}

/** The crawler process's entry script counts as spiderd's (a harness driving the pipeline, in tests). */
const OWN_SCRIPTS = process.argv[1] ? [path.resolve(process.argv[1])] : [];

export interface ProfiledSites {
  sites: AllocationSite[];
  sampledBytes: number;
}

/**
 * The sampling profile's allocation sites, taken at once: the profile itself is a tree of
 * thousands of new objects, and held until snapshot B it was that snapshot's biggest new
 * holder (the culprit named was `Object`, held by the investigation, for a Uint8Array leak).
 */
export function profiledSites(profile: SamplingProfile): ProfiledSites {
  return sitesFromProfile(profile, OWN_SCRIPTS);
}

export function gatherCulprit(input: { snapshots: [string, string] | null; profiled: ProfiledSites | null; top: number }): Gathering {
  const { sites, sampledBytes } = input.profiled ?? { sites: [], sampledBytes: 0 };
  if (!input.snapshots) return { result: Promise.resolve({ classes: [], sites, siteBytes: sampledBytes }), stop: () => undefined };
  const run = runDiffInChild(input.snapshots[0], input.snapshots[1], { top: input.top, sameProcess: true });
  return { result: run.result.then((diff) => ({ classes: diff.classes, sites, siteBytes: sampledBytes })), stop: run.kill };
}
