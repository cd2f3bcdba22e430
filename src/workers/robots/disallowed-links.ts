/**
 * Links robots.txt already disallows, marked as they are discovered: when this process holds a
 * fresh verdict for a link's origin (robots-gate.ts) and it disallows the link, the link's row is
 * inserted 'skipped' with SPIDERD_ROBOTS_DISALLOWED and 0 attempts, and gets no queue job,
 * instead of a job whose only work is to reach the same answer (2,000 of the bench crawl's
 * 25,134 jobs). Links of an origin without a cached verdict, and links this process already
 * knows to be in the crawl (they are not inserted again), are left as they are: a job, if one
 * is made, checks robots.txt when it runs, as always.
 */
import type { Candidate } from '../../shared/frontier.js';
import type { KnownUrls } from '../known-urls.js';
import type { RobotsGate } from './robots-gate.js';

export function markDisallowed(robots: RobotsGate, known: KnownUrls, crawlId: number, candidates: Candidate[]): Candidate[] {
  return candidates.map((c) => {
    if (known.has(crawlId, c.url) || robots.allowsNow(c.url) !== false) return c;
    return { ...c, skip: { code: 'SPIDERD_ROBOTS_DISALLOWED', error: robots.disallowedMessage(c.url) } };
  });
}
