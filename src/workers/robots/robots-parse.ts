/**
 * robots.txt to the compact policy of one product token (pure), by RFC 9309:
 *   - a group is one or more user-agent lines followed by rules; blank lines and other
 *     records (sitemap, crawl-delay, unknown) do not end it, the next user-agent line after a
 *     rule does; rules before the first user-agent line belong to no group;
 *   - a user-agent value is matched by its leading product token ([A-Za-z_-]+, so
 *     "FooBot/2.1" is "foobot"), case-insensitively, or is "*";
 *   - every group naming our token is combined; when none does, every "*" group is; a matching
 *     group with no rules allows everything (it never falls back to "*");
 *   - record names are case-insensitive, "#" starts a comment, lines end in CR, LF or CRLF,
 *     a leading byte-order mark is skipped.
 * Only the matching group's rules are kept (already normalized for matching), so what is
 * cached is a few patterns, not the file. Crawl-delay (not in the RFC) comes from the same
 * groups. robots-parser was replaced because it matches on the whole User-Agent header and
 * falls back to "*" for a matching group without rules.
 */
import { normalizeForMatch } from './robots-match.js';

export interface RobotsPolicy {
  /** Allow and Disallow patterns, normalized (robots-match.ts). */
  allow: string[];
  disallow: string[];
  /** Crawl-delay of the matched groups in seconds (the largest), when one is given. */
  crawlDelayS?: number;
  /** Set when the patterns were cut at MAX_POLICY_CHARS. */
  truncated?: true;
}

/** A bound on the patterns kept per origin; a robots.txt body is capped at 512 KiB before this. */
export const MAX_POLICY_CHARS = 512 * 1024;

interface Group {
  agents: string[];
  allow: string[];
  disallow: string[];
  crawlDelayS?: number;
}

export function policyFor(body: string, token: string): RobotsPolicy {
  const groups = parseGroups(body);
  const want = token.toLowerCase();
  let chosen = groups.filter((g) => g.agents.includes(want));
  if (chosen.length === 0) chosen = groups.filter((g) => g.agents.includes('*'));
  const policy: RobotsPolicy = { allow: [], disallow: [] };
  let chars = 0;
  for (const group of chosen) {
    for (const [list, patterns] of [[policy.allow, group.allow], [policy.disallow, group.disallow]] as const) {
      for (const pattern of patterns) {
        chars += pattern.length + 3;
        if (chars > MAX_POLICY_CHARS) policy.truncated = true;
        else list.push(pattern);
      }
    }
    if (group.crawlDelayS !== undefined) policy.crawlDelayS = Math.max(policy.crawlDelayS ?? 0, group.crawlDelayS);
  }
  return policy;
}

/** The product token of a user-agent line's value, lower-cased; "*" for the global group; null when it names none. */
export function agentToken(value: string): string | null {
  if (value === '*' || /^\*\s/.test(value)) return '*';
  const token = /^[A-Za-z_-]+/.exec(value)?.[0];
  return token === undefined ? null : token.toLowerCase();
}

function parseGroups(body: string): Group[] {
  const groups: Group[] = [];
  let current: Group | null = null;
  let sawRule = false;
  for (const raw of body.replace(/^[\uFEFF\uFFFD]+/, '').split(/\r\n|\r|\n/)) {
    const hash = raw.indexOf('#');
    const line = trimBlanks(hash === -1 ? raw : raw.slice(0, hash));
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = trimBlanks(line.slice(0, colon)).toLowerCase();
    const value = trimBlanks(line.slice(colon + 1));
    if (key === 'user-agent') {
      if (current === null || sawRule) {
        current = { agents: [], allow: [], disallow: [] };
        groups.push(current);
        sawRule = false;
      }
      const token = agentToken(value);
      if (token !== null) current.agents.push(token);
    } else if ((key === 'allow' || key === 'disallow') && current !== null) {
      sawRule = true;
      const pattern = normalizeForMatch(value);
      // An empty value matches nothing; a pattern must start with "/" or "*" to match a path.
      if (pattern.startsWith('/') || pattern.startsWith('*')) current[key].push(pattern);
    } else if (key === 'crawl-delay' && current !== null) {
      const seconds = Number(value);
      if (value !== '' && Number.isFinite(seconds) && seconds >= 0) current.crawlDelayS = Math.max(current.crawlDelayS ?? 0, seconds);
    }
  }
  return groups;
}

/** Strips spaces and tabs (RFC 9309's whitespace; String.trim would also eat a stray byte-order mark). */
function trimBlanks(text: string): string {
  return text.replace(/^[ \t]+|[ \t]+$/g, '');
}
