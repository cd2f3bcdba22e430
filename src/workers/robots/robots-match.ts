/**
 * Matching a URL against a robots.txt policy (pure), by RFC 9309 section 2.2.2:
 *   - the path and query are compared, case-sensitively, with "*" matching any run of
 *     characters and a final "$" anchoring the end;
 *   - the longest matching pattern wins; between an Allow and a Disallow of the same length,
 *     Allow wins; no match allows; /robots.txt is always allowed;
 *   - both sides are normalized the same way first: non-ASCII and other characters that must
 *     be escaped are percent-encoded as UTF-8, escapes of unreserved characters are decoded
 *     ("%62" is "b"), the other escapes are upper-cased ("%aa" is "%AA").
 * Matching is linear per pattern (no regular expressions), so a hostile pattern cannot stall
 * the process.
 */
import type { RobotsPolicy } from './robots-parse.js';

const UNRESERVED = /[A-Za-z0-9\-._~]/;
/** Characters kept as they are: RFC 3986 unreserved and reserved characters, and "%". */
const KEEP = /[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]/;

export function normalizeForMatch(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '%' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      const decoded = String.fromCharCode(parseInt(text.slice(i + 1, i + 3), 16));
      out += UNRESERVED.test(decoded) ? decoded : `%${text.slice(i + 1, i + 3).toUpperCase()}`;
      i += 2;
    } else if (KEEP.test(ch)) {
      out += ch;
    } else {
      const code = text.codePointAt(i)!;
      if (code > 0xffff) i += 1; // the second half of a surrogate pair
      for (const byte of Buffer.from(String.fromCodePoint(code), 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return out;
}

/** The part of a URL that robots.txt rules match: path and query, normalized. */
export function matchPath(url: string): string {
  const u = new URL(url);
  return normalizeForMatch(`${u.pathname || '/'}${u.search}`);
}

/** Whether a normalized pattern matches a normalized path from its start. */
export function patternMatches(pattern: string, path: string): boolean {
  const anchored = pattern.endsWith('$');
  const parts = (anchored ? pattern.slice(0, -1) : pattern).split('*');
  const first = parts[0]!;
  if (!path.startsWith(first)) return false;
  if (parts.length === 1) return !anchored || path.length === first.length;
  let at = first.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const found = path.indexOf(parts[i]!, at);
    if (found === -1) return false;
    at = found + parts[i]!.length;
  }
  const last = parts[parts.length - 1]!;
  if (anchored) return path.length - last.length >= at && path.endsWith(last);
  return path.indexOf(last, at) !== -1;
}

function longestMatch(patterns: readonly string[], path: string): number {
  let best = -1;
  for (const p of patterns) if (p.length > best && patternMatches(p, path)) best = p.length;
  return best;
}

export function isAllowed(policy: RobotsPolicy, url: string): boolean {
  const path = matchPath(url);
  if (path === '/robots.txt') return true;
  const disallow = longestMatch(policy.disallow, path);
  if (disallow === -1) return true;
  return longestMatch(policy.allow, path) >= disallow;
}
