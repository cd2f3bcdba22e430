/**
 * Reads one sitemap file's text (sitemaps.org): an XML <urlset>, an XML <sitemapindex>, or a
 * plain-text list of URLs, one a line. XML goes through the `sitemap` package's streaming
 * parsers (sax, strict, no entity expansion: a billion-laughs document fails on its first
 * undeclared entity). Pure: bytes in, entries out. Throws SPIDERD_SITEMAP_INVALID for a
 * malformed file and SPIDERD_SITEMAP_TOO_LARGE past 50,000 entries.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ErrorLevel, XMLToSitemapIndexStream, XMLToSitemapItemStream } from 'sitemap';
import { SpiderdError, coerceError } from '../../shared/errors.js';

/** sitemaps.org: at most 50,000 URLs (or child sitemaps) per file. */
export const MAX_SITEMAP_ENTRIES = 50_000;

export interface SitemapEntry {
  loc: string;
  /** The entry's <lastmod>, when present and a valid date. */
  lastmod: Date | null;
}

export interface ParsedSitemap {
  kind: 'urlset' | 'index';
  entries: SitemapEntry[];
}

export async function parseSitemap(data: Buffer, source: string): Promise<ParsedSitemap> {
  const text = data.toString('utf8').replace(/^\uFEFF/, '');
  const head = text.trimStart();
  if (!head.startsWith('<')) return { kind: 'urlset', entries: parseText(head, source) };
  const index = /<sitemapindex[\s>]/.test(head.slice(0, 4096));
  const parser = index ? new XMLToSitemapIndexStream({ level: ErrorLevel.SILENT }) : new XMLToSitemapItemStream({ level: ErrorLevel.SILENT, logger: false });
  const entries: SitemapEntry[] = [];
  let over = false;
  try {
    await pipeline(Readable.from([Buffer.from(text, 'utf8')]), parser, async (items: AsyncIterable<{ url: string; lastmod?: string }>) => {
      for await (const item of items) {
        if (entries.length >= MAX_SITEMAP_ENTRIES) {
          over = true;
          continue;
        }
        entries.push({ loc: item.url, lastmod: toDate(item.lastmod) });
      }
    });
  } catch (err) {
    throw new SpiderdError('SPIDERD_SITEMAP_INVALID', `sitemap ${source} is not well-formed XML: ${coerceError(err).message.split('\n')[0]}`, { cause: err });
  }
  if (over || (parser as { urlCount?: number }).urlCount! > MAX_SITEMAP_ENTRIES) tooMany(source);
  return { kind: index ? 'index' : 'urlset', entries };
}

function parseText(text: string, source: string): SitemapEntry[] {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  if (lines.length > MAX_SITEMAP_ENTRIES) tooMany(source);
  const bad = lines.find((l) => !/^https?:\/\/\S+$/i.test(l));
  if (bad !== undefined) throw new SpiderdError('SPIDERD_SITEMAP_INVALID', `text sitemap ${source} has a line that is not a URL: ${JSON.stringify(bad.slice(0, 200))}`);
  return lines.map((loc) => ({ loc, lastmod: null }));
}

function tooMany(source: string): never {
  throw new SpiderdError('SPIDERD_SITEMAP_TOO_LARGE', `sitemap ${source} lists more than ${MAX_SITEMAP_ENTRIES} entries (the sitemaps.org limit)`);
}

function toDate(value: string | undefined): Date | null {
  if (!value) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}
