/**
 * The sample site's model, pure: which paths exist, what each page links to, and what a crawl
 * of it must store. Page i (1..pages) links to its tree children 2i and 2i+1, so depth stays
 * small (page i is at depth floor(log2 i)). Every other internal link points at an ancestor or
 * a sibling (always already discovered) or at a special URL linked from exactly one page, so the
 * depth at which a URL is discovered is the same whatever order a concurrent crawler works in.
 */
import { prng, sentence, titleWords } from './text.js';

export interface SiteShape {
  pages: number;
  maxDepth: number;
}

export type LinkStyle = 'path' | 'absolute' | 'relative-to-base' | 'fragment';

export interface LinkSpec {
  /** Path (with query) on the site, or an absolute URL for external links. */
  target: string;
  style: LinkStyle;
  /** The rel attribute, when there is one. */
  rel?: string;
  text: string;
}

export interface PageSpec {
  kind: 'page';
  /** Page number for /page/N, 0 for the never-linked-normally pages (/private, /hidden). */
  n: number;
  title: string;
  description: string;
  /** <base href> of the page, when it has one. */
  base: string | null;
  metaNofollow: boolean;
  /** Served gzip-encoded when the client accepts gzip. */
  gzip: boolean;
  links: LinkSpec[];
}

export type Route =
  | PageSpec
  | { kind: 'robots'; body: string }
  | { kind: 'redirect'; status: 301; location: string }
  | { kind: 'pdf'; body: string }
  | { kind: 'not-found' };

export const EXTERNAL_ORIGIN = 'http://external.invalid';
export const ROBOTS_TXT = 'User-agent: *\nDisallow: /private/\n';

const isPage = (shape: SiteShape, n: number) => Number.isInteger(n) && n >= 1 && n <= shape.pages;

/** Depth of /page/n below the seed /page/1. */
export function pageDepth(n: number): number {
  return Math.floor(Math.log2(n));
}

/** The one page (a leaf of the tree) that carries <meta name="robots" content="nofollow">. */
export function metaNofollowPage(shape: SiteShape): number {
  return Math.floor(shape.pages / 2) + 1;
}

/** The title the page /page/n shows (HTML entities decoded). */
export function pageTitle(n: number): string {
  const rand = prng(n * 7919);
  return `${titleWords(rand, 3)} & ${titleWords(rand, 1)} — page ${n}`;
}

export function pageDescription(n: number): string {
  return sentence(prng(n * 104_729));
}

/** The special links of page n: each special URL is linked from exactly one page. */
function specialLinks(n: number): LinkSpec[] {
  const links: LinkSpec[] = [];
  if (n % 10 === 3) links.push({ target: `/private/${n}`, style: 'path', text: 'Members area' });
  if (n % 25 === 7) links.push({ target: `/missing/${n}`, style: 'path', text: 'An old article' });
  if (n % 20 === 11) links.push({ target: `/files/report-${n}.pdf`, style: 'path', text: 'Annual report (PDF)' });
  if (n % 15 === 4 && n > 1) links.push({ target: `/old/${Math.floor(n / 2)}`, style: 'path', text: 'Previous edition' });
  if (n % 12 === 5) links.push({ target: `/hidden/${n}`, style: 'path', rel: n % 24 === 5 ? 'nofollow' : 'external NoFollow', text: 'Sponsored' });
  if (n % 9 === 2) links.push({ target: `${EXTERNAL_ORIGIN}/ref/${n}`, style: 'absolute', text: 'Elsewhere' });
  return links;
}

function treePage(shape: SiteShape, n: number): PageSpec {
  const base = n % 5 === 0 ? '/' : null;
  const metaNofollow = n === metaNofollowPage(shape);
  const inTree: LinkStyle = base ? 'relative-to-base' : n % 4 === 1 ? 'absolute' : 'path';
  const links: LinkSpec[] = [];
  if (n !== 1) links.push({ target: '/page/1', style: 'path', text: 'Home' });
  for (let a = Math.floor(n / 4); a >= 2; a = Math.floor(a / 2)) links.push({ target: `/page/${a}`, style: inTree, text: pageTitle(a) });
  if (n > 1) links.push({ target: `/page/${Math.floor(n / 2)}`, style: 'fragment', text: 'Up' });
  const sibling = n % 2 === 0 ? n + 1 : n - 1;
  if (n > 1 && isPage(shape, sibling)) links.push({ target: `/page/${sibling}`, style: inTree, text: pageTitle(sibling) });
  for (const child of [2 * n, 2 * n + 1]) {
    if (isPage(shape, child)) links.push({ target: `/page/${child}`, style: inTree, text: pageTitle(child) });
  }
  if (metaNofollow) {
    links.push({ target: '/meta-hidden/1', style: 'path', text: 'Draft one' }, { target: '/meta-hidden/2', style: 'path', text: 'Draft two' });
  } else {
    links.push(...specialLinks(n));
  }
  return { kind: 'page', n, title: pageTitle(n), description: pageDescription(n), base, metaNofollow, gzip: n % 3 === 0, links };
}

function plainPage(n: number, title: string): PageSpec {
  return { kind: 'page', n: 0, title, description: sentence(prng(n + 31)), base: null, metaNofollow: false, gzip: false, links: [{ target: '/page/1', style: 'path', text: 'Home' }] };
}

/** What the server answers for a path (with query). Pure. */
export function routeFor(shape: SiteShape, pathWithQuery: string): Route {
  const path = pathWithQuery.split('?')[0]!;
  if (path === '/robots.txt') return { kind: 'robots', body: ROBOTS_TXT };
  if (path === '/') return { kind: 'redirect', status: 301, location: '/page/1' };
  const m = /^\/(page|old|private|hidden|meta-hidden)\/(\d+)$/.exec(path) ?? /^\/files\/(report)-(\d+)\.pdf$/.exec(path);
  if (!m) return { kind: 'not-found' };
  const n = Number(m[2]);
  switch (m[1]) {
    case 'page':
      return isPage(shape, n) ? treePage(shape, n) : { kind: 'not-found' };
    case 'old':
      return isPage(shape, n) ? { kind: 'redirect', status: 301, location: `/page/${n}` } : { kind: 'not-found' };
    case 'report':
      return { kind: 'pdf', body: `%PDF-1.4\n% spiderd sample report ${n}\n%%EOF\n` };
    case 'private':
      return plainPage(n, `Members only ${n}`);
    default:
      return plainPage(n, `Hidden ${n}`);
  }
}

export interface ExpectedPaths {
  /** Absolute normalized URLs a default crawl (scope host, maxDepth given) stores as 'fetched': the /page/N pages it reaches. */
  fetchable: string[];
  /** Linked URLs under /private/ (robots.txt: Disallow: /private/): 'skipped', never requested. */
  disallowed: string[];
  /** Linked URLs answering 404: 'failed' SPIDERD_HTTP_4XX. */
  notFound: string[];
  /** /files/report-N.pdf (application/pdf): 'failed' SPIDERD_NOT_HTML. */
  nonHtml: string[];
  /**
   * /old/N: 301 to /page/N, a page the crawl reaches directly too: stored 'redirected' with
   * finalUrl /page/N, and /page/N is still requested once.
   */
  redirects: string[];
  /** Linked only with rel=nofollow or from the meta-robots-nofollow page: never requested. */
  nofollowOnly: string[];
  /** Links to another host (http://external.invalid/...): never requested. */
  external: string[];
}

const followable = (link: LinkSpec) => !(link.rel ?? '').toLowerCase().split(/\s+/).includes('nofollow');

/**
 * What a crawl from /page/1 (scope host, robots honoured, maxDepth) stores: a breadth-first walk
 * of the model applying the crawler's rules (no links from a meta-nofollow page, rel=nofollow
 * links not followed, other hosts out of scope, depth + 1 <= maxDepth, a redirect's target
 * discovered at the redirect's own depth).
 */
export function expectedPaths(shape: SiteShape): ExpectedPaths {
  const out: ExpectedPaths = { fetchable: [], disallowed: [], notFound: [], nonHtml: [], redirects: [], nofollowOnly: [], external: [] };
  const depth = new Map<string, number>([['/page/1', 0]]);
  const nofollowSeen = new Set<string>();
  const external = new Set<string>();
  const queue = ['/page/1'];
  for (let head = 0; head < queue.length; head++) {
    const path = queue[head]!;
    if (path.startsWith('/private/')) {
      out.disallowed.push(path);
      continue;
    }
    const route = routeFor(shape, path);
    if (route.kind === 'redirect') {
      out.redirects.push(path);
      if (!depth.has(route.location)) {
        depth.set(route.location, depth.get(path)!);
        queue.push(route.location);
      }
      continue;
    }
    if (route.kind === 'page') out.fetchable.push(path);
    if (route.kind === 'not-found') out.notFound.push(path);
    if (route.kind === 'pdf') out.nonHtml.push(path);
    if (route.kind !== 'page') continue;
    const d = depth.get(path)!;
    for (const link of route.links) {
      if (link.target.startsWith('http')) external.add(link.target);
      else if (route.metaNofollow || !followable(link)) nofollowSeen.add(link.target);
      else if (d + 1 <= shape.maxDepth && !depth.has(link.target)) {
        depth.set(link.target, d + 1);
        queue.push(link.target);
      }
    }
  }
  out.nofollowOnly = [...nofollowSeen].filter((p) => !depth.has(p));
  out.external = [...external];
  return out;
}
