/**
 * Walks an origin's sitemaps: the `Sitemap:` lines of its robots.txt, or /sitemap.xml when there
 * are none; a sitemap index is followed one level down (sitemaps.org: an index lists sitemaps,
 * not other indexes), its children on the index's own origin only. Bounded: at most
 * MAX_SITEMAP_FILES files and MAX_SITEMAP_URLS URLs per walk. A file that fails (unreachable,
 * malformed, too large, nested too deep) is reported with its code and skipped; the others count.
 */
import { SpiderdError, coerceError, wrapError } from '../../shared/errors.js';
import { parseSitemap, type SitemapEntry } from './parse-sitemap.js';

export const MAX_SITEMAP_FILES = 50;
export const MAX_SITEMAP_URLS = 100_000;

export interface SitemapWalk {
  entries: SitemapEntry[];
  files: number;
  problems: SpiderdError[];
}

/** The `Sitemap:` URLs of a robots.txt body (absolute http(s) URLs only). */
export function sitemapLines(robotsTxt: string): string[] {
  const out: string[] = [];
  for (const line of robotsTxt.split(/\r?\n/)) {
    const m = /^\s*sitemap\s*:\s*(\S+)/i.exec(line);
    if (m && /^https?:\/\//i.test(m[1]!)) out.push(m[1]!);
  }
  return [...new Set(out)];
}

export async function walkSitemaps(origin: string, listed: string[], fetchOne: (url: string) => Promise<Buffer>): Promise<SitemapWalk> {
  const walk: SitemapWalk = { entries: [], files: 0, problems: [] };
  const todo = (listed.length > 0 ? listed : [`${origin}/sitemap.xml`]).map((url) => ({ url, depth: 0 }));
  const seen = new Set<string>();
  while (todo.length > 0 && walk.entries.length < MAX_SITEMAP_URLS) {
    const { url, depth } = todo.shift()!;
    if (seen.has(url)) continue;
    seen.add(url);
    if (walk.files >= MAX_SITEMAP_FILES) {
      walk.problems.push(new SpiderdError('SPIDERD_SITEMAP_TOO_LARGE', `${origin}: more than ${MAX_SITEMAP_FILES} sitemap files; ${url} and later ones were not read`));
      break;
    }
    walk.files++;
    try {
      const parsed = await parseSitemap(await fetchOne(url), url);
      if (parsed.kind === 'index') {
        if (depth >= 1) throw new SpiderdError('SPIDERD_SITEMAP_INVALID', `sitemap index ${url} is listed by another index (indexes nest one level deep at most)`);
        const base = new URL(url).origin;
        for (const e of parsed.entries) if (safeOrigin(e.loc) === base) todo.push({ url: e.loc, depth: depth + 1 });
        continue;
      }
      const room = MAX_SITEMAP_URLS - walk.entries.length;
      if (parsed.entries.length > room) walk.problems.push(new SpiderdError('SPIDERD_SITEMAP_TOO_LARGE', `${origin}: sitemaps list more than ${MAX_SITEMAP_URLS} URLs; the rest were not read`));
      walk.entries.push(...parsed.entries.slice(0, room));
    } catch (err) {
      walk.problems.push(err instanceof SpiderdError ? err : wrapError('SPIDERD_SITEMAP_INVALID', `sitemap ${url}: ${coerceError(err).message}`, err));
    }
  }
  return walk;
}

function safeOrigin(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}
