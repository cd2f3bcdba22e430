/** Which of a page's links the crawl follows. Pure. */
import type { Candidate } from '../shared/frontier.js';
import { outOfScope, type ScopeRules } from '../shared/url/scope.js';
import type { ParsedPage } from './parse-page.js';

/** None under meta robots nofollow; else links without rel=nofollow, in scope, at depth + 1 <= maxDepth. */
export function linksToFollow(page: Pick<ParsedPage, 'nofollow' | 'links'>, depth: number, maxDepth: number, scope: ScopeRules): Candidate[] {
  if (page.nofollow || depth + 1 > maxDepth) return [];
  const out: Candidate[] = [];
  for (const link of page.links) {
    if (!link.nofollow && outOfScope(link.url, scope) === null) out.push({ url: link.url, depth: depth + 1 });
  }
  return out;
}
