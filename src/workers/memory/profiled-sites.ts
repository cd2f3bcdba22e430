/**
 * The allocation sites of a leak investigation's sampling heap profile (profile-sites.ts),
 * taken from the profile as soon as it is read.
 */
import path from 'node:path';
import type { AllocationSite } from '../../shared/heap/profile-sites.js';
import type { SamplingProfile } from '../../shared/heap/heap-session.js';
import { sitesFromProfile } from '../../shared/heap/profile-sites.js';

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
