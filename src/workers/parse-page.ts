/**
 * Parses one HTML page (pure: no I/O): title, description, canonical, meta robots and links
 * resolved against <base href>/the page URL and normalized, read in one parser pass
 * (page-extractor.ts). htmlparser2 never throws on malformed markup. With `dom`, the same pass
 * also builds the cheerio document an extraction handler receives.
 *
 * Leak note: strings cut out of the HTML can be V8 "sliced strings" that keep the whole
 * page alive; title, description and canonical are returned as flat copies.
 */
import type { CheerioAPI } from 'cheerio/slim';
import { MAX_URL_LENGTH, normalizeUrl } from '../shared/url/normalize.js';
import { EXTRACTED_TAGS, PageExtractor, relTokens } from './page-extractor.js';
import { parseHtml } from './parse-html.js';

export interface ParsedLink {
  url: string;
  nofollow: boolean;
}

export interface ParsedPage {
  title: string | null;
  description: string | null;
  canonical: string | null;
  noindex: boolean;
  nofollow: boolean;
  links: ParsedLink[];
  /** The cheerio document, when asked for (`dom`). */
  $: CheerioAPI | null;
}

const MAX_TEXT = 1000;
/** Longer hrefs are dropped without parsing (hostile pages); real links are far shorter. */
const MAX_HREF = 3 * MAX_URL_LENGTH;
/** Distinct links kept per page, in document order (a hostile page can carry millions). */
export const MAX_LINKS_PER_PAGE = 5_000;

export function parsePage(html: string, pageUrl: string, opts: { dom?: boolean } = {}): ParsedPage {
  const found = new PageExtractor();
  const $ = parseHtml(html, found, opts.dom === true, EXTRACTED_TAGS);
  const base = baseUrl(found.base, pageUrl);
  let noindex = false;
  let nofollow = false;
  for (const content of found.robots) {
    for (const token of content.toLowerCase().split(/[\s,]+/)) {
      if (token === 'noindex' || token === 'none') noindex = true;
      if (token === 'nofollow' || token === 'none') nofollow = true;
    }
  }
  const resolveLink = resolver(base);
  const canonical = found.canonical === null ? null : resolveLink(found.canonical);
  return {
    title: cleanText(found.title),
    description: cleanText(found.description),
    canonical: canonical === null ? null : flat(canonical),
    noindex,
    nofollow,
    links: links(found, resolveLink),
    $,
  };
}

/** A flat copy of `s`, so it does not keep the page's HTML string alive. */
function flat(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}

/** Whitespace collapsed, trimmed, capped at 1,000 characters (not splitting a surrogate pair); null when empty. */
function cleanText(raw: string | null): string | null {
  if (raw === null) return null;
  let text = raw.replace(/\s+/g, ' ').trim();
  if (text === '') return null;
  if (text.length > MAX_TEXT) {
    const cut = /[\uD800-\uDBFF]/.test(text.charAt(MAX_TEXT - 1)) ? MAX_TEXT - 1 : MAX_TEXT;
    text = text.slice(0, cut).trimEnd();
  }
  return flat(text);
}

/** The first <base href>, resolved against the page URL; the page URL when missing or unusable. */
function baseUrl(href: string | null, pageUrl: string): string {
  if (href === null || href.length > MAX_HREF) return pageUrl;
  try {
    const url = new URL(href.trim(), pageUrl);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : pageUrl;
  } catch {
    return pageUrl;
  }
}

function resolve(href: string | undefined, base: string): string | null {
  if (href === undefined || href.length > MAX_HREF) return null;
  const result = normalizeUrl(href, base);
  return result.ok ? result.url : null;
}

/**
 * A path made only of characters the URL parser keeps as they are, with no dot segment: against
 * an http(s) base it resolves to the base's origin + the path, which is already normalized.
 */
const PLAIN_PATH = /^\/(?!\/)[A-Za-z0-9\-_~!$&'()*+,;=:@/.]*$/;
const DOT_SEGMENT = /(?:^|\/)\.\.?(?:\/|$)/;

/** Most links on a page are plain paths on its own origin: those skip the URL parser (this runs per link). */
function resolver(base: string): (href: string | undefined) => string | null {
  const origin = new URL(base).origin;
  return (href) => {
    if (href === undefined) return null;
    const path = href.startsWith(origin) ? href.slice(origin.length) : href;
    // join, not +: the href can be a slice of the page's HTML, and a concatenation would keep the whole page alive.
    if (PLAIN_PATH.test(path) && !DOT_SEGMENT.test(path) && origin.length + path.length <= MAX_URL_LENGTH) return [origin, path].join('');
    return resolve(href, base);
  };
}

/** a[href] and area[href], de-duplicated in document order, the first MAX_LINKS_PER_PAGE; nofollow only if every occurrence is. */
function links(found: PageExtractor, resolveLink: (href: string | undefined) => string | null): ParsedLink[] {
  const seen = new Map<string, boolean>();
  for (const link of found.links) {
    if (seen.size >= MAX_LINKS_PER_PAGE) break;
    const url = resolveLink(link.href);
    if (url === null) continue;
    const nofollow = relTokens(link.rel).includes('nofollow');
    const before = seen.get(url);
    seen.set(url, before === undefined ? nofollow : before && nofollow);
  }
  const out: ParsedLink[] = [];
  for (const [url, nofollow] of seen) out.push({ url, nofollow });
  return out;
}
