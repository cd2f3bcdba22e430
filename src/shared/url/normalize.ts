/**
 * URL normalization, so each page is fetched at most once per crawl: lower-case scheme and
 * host, IDN to punycode, default ports dropped, dot segments resolved, fragment removed,
 * an empty query ("?") dropped, unreserved percent-escapes decoded, other escapes upper-cased.
 * Pure: no I/O.
 */
const UNRESERVED = /%(2[DdEe]|3[0-9]|4[1-9A-Fa-f]|5[0-9Aa]|5[Ff]|6[1-9A-Fa-f]|7[0-9Aa]|7[Ee])/g;

/** Longer URLs are refused (a crawler trap or a hostile page; real URLs are far shorter). */
export const MAX_URL_LENGTH = 4096;

export type NormalizeResult = { ok: true; url: string } | { ok: false; reason: string };

/** Normalizes an absolute URL (or `raw` resolved against `base`). Only http and https are accepted. */
export function normalizeUrl(raw: string, base?: string | URL): NormalizeResult {
  const input = raw.trim();
  if (input === '') return { ok: false, reason: 'empty URL' };
  // Percent-encoding can triple a URL's length; anything this long is over the limit anyway.
  if (input.length > 3 * MAX_URL_LENGTH) return { ok: false, reason: `URL is ${input.length} characters long, over the limit of ${MAX_URL_LENGTH}` };
  let url: URL;
  try {
    url = base === undefined ? new URL(input) : new URL(input, base);
  } catch {
    return { ok: false, reason: `not a valid URL: ${JSON.stringify(input.slice(0, 200))}` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, reason: `scheme ${JSON.stringify(url.protocol.slice(0, -1))} is not http or https` };
  }
  if (url.hostname === '') return { ok: false, reason: 'URL has no host' };
  // Each URL setter re-serializes the whole URL: only touch what needs changing (this runs per link).
  if (url.hash !== '' || url.href.endsWith('#')) url.hash = '';
  // `search` reads '' both with no query and with a bare '?'; assigning '' drops the bare '?'.
  if (url.search === '' && url.href.endsWith('?')) url.search = '';
  if (url.username !== '' || url.password !== '') {
    url.username = '';
    url.password = '';
  }
  if (url.pathname.includes('%')) url.pathname = tidyEscapes(url.pathname);
  if (url.search.includes('%')) url.search = tidyEscapes(url.search);
  // WHATWG URL already lower-cases scheme and host, converts IDN to punycode,
  // drops default ports and resolves dot segments.
  const out = url.toString();
  if (out.length > MAX_URL_LENGTH) return { ok: false, reason: `URL is ${out.length} characters long, over the limit of ${MAX_URL_LENGTH}` };
  return { ok: true, url: out };
}

function tidyEscapes(part: string): string {
  return part
    .replace(UNRESERVED, (m) => String.fromCharCode(parseInt(m.slice(1), 16)))
    .replace(/%[0-9a-f]{2}/gi, (m) => m.toUpperCase());
}
