/**
 * Bytes to text: a byte-order mark, else the Content-Type charset, else a <meta charset> or
 * http-equiv Content-Type in the first 1024 bytes, else UTF-8. Unknown labels fall back to
 * UTF-8; decoding never throws (bad bytes become U+FFFD).
 */
import { TextDecoder } from 'node:util';

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
  const decoder = decoderFor(label);
  if (decoder.encoding === 'utf-8') {
    // Buffer's UTF-8 decoding is faster than TextDecoder's; drop the BOM as TextDecoder would.
    const body = data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf ? data.subarray(3) : data;
    return { html: body.toString('utf8'), charset: 'utf-8' };
  }
  return { html: decoder.decode(data), charset: decoder.encoding };
}
