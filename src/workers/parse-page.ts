/**
 * Parses one HTML page (pure: no I/O): title, description, canonical, meta robots and
 * links resolved against <base href>/the page URL and normalized. Uses cheerio/slim
 * (htmlparser2), which never throws on malformed markup.
 *
 * Leak note: strings cut out of the HTML can be V8 "sliced strings" that keep the whole
 * page alive; title, description and canonical are returned as flat copies.
 */
import type { CheerioAPI } from 'cheerio/slim';
import { MAX_URL_LENGTH, normalizeUrl } from '../shared/url/normalize.js';
import { loadHtml } from './load-html.js';

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
  $: CheerioAPI;
}

const MAX_TEXT = 1000;
/** Longer hrefs are dropped without parsing (hostile pages); real links are far shorter. */
const MAX_HREF = 3 * MAX_URL_LENGTH;
/** Distinct links kept per page, in document order (a hostile page can carry millions). */
export const MAX_LINKS_PER_PAGE = 5_000;

export function parsePage(html: string, pageUrl: string): ParsedPage {
  const $ = loadHtml(html);
  const base = baseUrl($, pageUrl);
  const robots = metaRobots($);
  return {
    title: cleanText(pageTitle($)),
    description: cleanText(metaContent($, 'description')),
    canonical: canonicalUrl($, base),
    noindex: robots.noindex,
    nofollow: robots.nofollow,
    links: links($, base),
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

/** The first <title> that is not an SVG image's title. */
function pageTitle($: CheerioAPI): string | null {
  for (const el of $('title').toArray()) {
    if ($(el).closest('svg').length === 0) return $(el).text();
  }
  return null;
}

/** The first <base href>, resolved against the page URL; the page URL when missing or unusable. */
function baseUrl($: CheerioAPI, pageUrl: string): string {
  const href = $('base[href]').first().attr('href');
  if (href === undefined || href.length > MAX_HREF) return pageUrl;
  try {
    const url = new URL(href.trim(), pageUrl);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : pageUrl;
  } catch {
    return pageUrl;
  }
}

/** content of the first <meta name=NAME> (name compared case-insensitively). */
function metaContent($: CheerioAPI, name: string): string | null {
  for (const el of $('meta[name][content]').toArray()) {
    if (el.attribs['name']?.trim().toLowerCase() === name) return el.attribs['content'] ?? null;
  }
  return null;
}

/** Every <meta name=robots>: noindex, nofollow, none (= both). */
function metaRobots($: CheerioAPI): { noindex: boolean; nofollow: boolean } {
  let noindex = false;
  let nofollow = false;
  for (const el of $('meta[name][content]').toArray()) {
    if (el.attribs['name']?.trim().toLowerCase() !== 'robots') continue;
    for (const token of (el.attribs['content'] ?? '').toLowerCase().split(/[\s,]+/)) {
      if (token === 'noindex' || token === 'none') noindex = true;
      if (token === 'nofollow' || token === 'none') nofollow = true;
    }
  }
  return { noindex, nofollow };
}

function relTokens(rel: string | undefined): string[] {
  return rel === undefined ? [] : rel.toLowerCase().split(/\s+/);
}

function resolve(href: string | undefined, base: string): string | null {
  if (href === undefined || href.length > MAX_HREF) return null;
  const result = normalizeUrl(href, base);
  return result.ok ? result.url : null;
}

function canonicalUrl($: CheerioAPI, base: string): string | null {
  for (const el of $('link[rel][href]').toArray()) {
    if (!relTokens(el.attribs['rel']).includes('canonical')) continue;
    const url = resolve(el.attribs['href'], base);
    return url === null ? null : flat(url);
  }
  return null;
}

/** a[href] and area[href], de-duplicated in document order, the first MAX_LINKS_PER_PAGE; nofollow only if every occurrence is. */
function links($: CheerioAPI, base: string): ParsedLink[] {
  const seen = new Map<string, boolean>();
  for (const el of $('a[href], area[href]').toArray()) {
    if (seen.size >= MAX_LINKS_PER_PAGE) break;
    const url = resolve(el.attribs['href'], base);
    if (url === null) continue;
    const nofollow = relTokens(el.attribs['rel']).includes('nofollow');
    const before = seen.get(url);
    seen.set(url, before === undefined ? nofollow : before && nofollow);
  }
  const out: ParsedLink[] = [];
  for (const [url, nofollow] of seen) out.push({ url, nofollow });
  return out;
}
