/**
 * Bytes to text: a byte-order mark, else the Content-Type charset, else a <meta charset> or
 * http-equiv Content-Type in the first 1024 bytes, else UTF-8. Unknown labels fall back to
 * UTF-8; decoding never throws (bad bytes become U+FFFD).
 */
import { isAscii, transcode } from 'node:buffer';
import { TextDecoder } from 'node:util';

/** The usual spellings of UTF-8 (no TextDecoder needed to recognize them). */
const UTF8_LABEL = /^\s*utf-?8\s*$/i;
const META_CHARSET = /<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:+-]+)/i;

export function charsetFromContentType(contentType: string | null): string | null {
  if (contentType === null) return null;
  const m = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType);
  return m?.[1] ?? null;
}

export function sniffMetaCharset(data: Buffer): string | null {
  const head = data.subarray(0, 1024).toString('latin1');
  return META_CHARSET.exec(head)?.[1] ?? null;
}

function bomCharset(data: Buffer): string | null {
  if (data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) return 'utf-8';
  if (data[0] === 0xfe && data[1] === 0xff) return 'utf-16be';
  if (data[0] === 0xff && data[1] === 0xfe) return 'utf-16le';
  return null;
}

function decoderFor(label: string | null): TextDecoder {
  if (label !== null) {
    try {
      return new TextDecoder(label.trim().toLowerCase());
    } catch {
      // unknown label: fall through to UTF-8
    }
  }
  return new TextDecoder('utf-8');
}

export function decodeHtml(data: Buffer, contentType: string | null): { html: string; charset: string } {
  let label = bomCharset(data) ?? charsetFromContentType(contentType) ?? sniffMetaCharset(data);
  // A document that declares UTF-16 in a <meta> is really ASCII-compatible (HTML spec).
  if (label !== null && /^utf-?16/i.test(label) && bomCharset(data) === null) label = 'utf-8';
  const decoder = label === null || UTF8_LABEL.test(label) ? null : decoderFor(label);
  if (decoder === null || decoder.encoding === 'utf-8') {
    // Drop the BOM as TextDecoder would.
    return { html: utf8(data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf ? data.subarray(3) : data), charset: 'utf-8' };
  }
  return { html: decoder.decode(data), charset: decoder.encoding };
}

/** V8 decodes UTF-8 with SIMD from Node 24 on; before, its decoder is 3x slower than ICU's transcoder. */
const V8_DECODES_FAST = Number(process.versions.node.split('.')[0]) >= 24;

/**
 * UTF-8 bytes to text, the fastest way this Node has, all giving the same string: pure ASCII as
 * Latin-1 (a copy); other text through ICU before Node 24. ICU refuses invalid UTF-8, which
 * then goes through Buffer's decoder (bad bytes become U+FFFD).
 */
function utf8(data: Buffer): string {
  if (isAscii(data)) return data.toString('latin1');
  if (!V8_DECODES_FAST) {
    try {
      const utf16 = transcode(data, 'utf8', 'utf16le');
      return utf16.toString('utf16le');
    } catch {
      // invalid UTF-8
    }
  }
  return data.toString('utf8');
}
