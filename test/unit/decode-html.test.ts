import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeHtml } from '../../src/workers/fetch/decode-html.js';

/** What a browser makes of UTF-8 bytes (WHATWG decoder, BOM dropped, bad bytes as U+FFFD). */
const whatwg = (bytes: Buffer) => new TextDecoder('utf-8').decode(bytes);

describe('decodeHtml (UTF-8 pages, whichever fast path this Node takes)', () => {
  const page = (body: string) => `<!doctype html><html><head><meta charset="utf-8"><title>${body}</title></head><body>${'<p>plain text</p>'.repeat(200)}</body></html>`;
  const cases: Array<[string, Buffer]> = [
    ['pure ASCII', Buffer.from(page('Plain title'))],
    ['one dash in a long ASCII page', Buffer.from(page('Both While Two &amp; Right \u2014 page 1'))],
    ['accents, CJK and an emoji', Buffer.from(page('caf\u00e9 \u65e5\u672c\u8a9e \u{1F600}'))],
    ['a byte-order mark', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(page('bom \u00e9'))])],
    ['a stray 0xFF byte', Buffer.concat([Buffer.from(page('a')), Buffer.from([0xff]), Buffer.from('tail')])],
    ['a truncated sequence at the end', Buffer.concat([Buffer.from(page('b')), Buffer.from([0xe2, 0x80])])],
    ['an encoded lone surrogate', Buffer.concat([Buffer.from(page('c')), Buffer.from([0xed, 0xa0, 0x80])])],
    ['an overlong NUL', Buffer.concat([Buffer.from(page('d')), Buffer.from([0xc0, 0x80])])],
    ['a NUL byte', Buffer.from(page('nul\u0000here'))],
  ];
  for (const [name, bytes] of cases) {
    it(`${name}: the same text as the WHATWG decoder`, () => {
      for (const type of ['text/html; charset=utf-8', 'text/html', 'text/html; charset=UTF8']) {
        const out = decodeHtml(bytes, type);
        assert.equal(out.charset, 'utf-8');
        assert.equal(out.html, whatwg(bytes), type);
      }
    });
  }
});
