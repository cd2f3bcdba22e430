/**
 * What is known about one origin's robots.txt for our product token: the form kept in Redis
 * (shared by every process and daemon) and in each process's cache. Compact: only the rules
 * of the group that applies to us, never the body. Pure.
 *
 * A `blocked` verdict depends on this daemon's SSRF guard (--allow-private-networks), not on
 * the origin, so it lives in the process's cache only: parseVerdict never returns one and the
 * store never writes one.
 */
import type { RobotsOutcome } from '../fetch/fetch-robots.js';
import { isAllowed } from './robots-match.js';
import { policyFor, type RobotsPolicy } from './robots-parse.js';

export type RobotsVerdict =
  /** A 2xx robots.txt: the rules that apply to our token. */
  | { kind: 'rules'; status: number; policy: RobotsPolicy }
  /** No robots.txt to obey (4xx, a redirect chain that reaches no file): everything is allowed. */
  | { kind: 'allow-all'; status: number | null; reason: string }
  /** The origin is at an address the SSRF guard refuses. */
  | { kind: 'blocked'; message: string };

/** The verdicts that depend on the origin alone, which every daemon may share. */
export type SharedVerdict = Exclude<RobotsVerdict, { kind: 'blocked' }>;

const MAX_CRAWL_DELAY_MS = 60_000;

/** The verdict of a fetch, or null when robots.txt was unavailable (the caller backs off). */
export function verdictOf(outcome: RobotsOutcome, token: string): RobotsVerdict | null {
  switch (outcome.kind) {
    case 'file':
      return { kind: 'rules', status: outcome.status, policy: policyFor(outcome.body, token) };
    case 'allow-all':
      return { kind: 'allow-all', status: outcome.status, reason: outcome.reason.slice(0, 500) };
    case 'blocked':
      return { kind: 'blocked', message: outcome.error.message };
    case 'unavailable':
      return null;
  }
}

export function verdictAllows(verdict: SharedVerdict, url: string): { allowed: boolean; crawlDelayMs: number } {
  if (verdict.kind === 'allow-all') return { allowed: true, crawlDelayMs: 0 };
  const seconds = verdict.policy.crawlDelayS ?? 0;
  return { allowed: isAllowed(verdict.policy, url), crawlDelayMs: Math.min(Math.round(seconds * 1000), MAX_CRAWL_DELAY_MS) };
}

/** A stored verdict read back from Redis, or null when it is not a shareable one (a `blocked` one, an old format, corrupt). */
export function parseVerdict(raw: string): SharedVerdict | null {
  try {
    const v = JSON.parse(raw) as Partial<RobotsVerdict> & Record<string, unknown>;
    if (v.kind === 'rules') {
      const p = v.policy as Partial<RobotsPolicy> | undefined;
      const strings = (a: unknown) => Array.isArray(a) && a.every((s) => typeof s === 'string');
      if (typeof v.status === 'number' && p && strings(p.allow) && strings(p.disallow)) return v as SharedVerdict;
    } else if (v.kind === 'allow-all' && typeof v.reason === 'string') {
      return v as SharedVerdict;
    }
  } catch {
    // fall through
  }
  return null;
}
