import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { handlerContext, runHandler } from '../../src/workers/handler.js';
import { parseDom } from '../../src/workers/parse-html.js';

const HTML = '<html lang="en"><head><title>T</title></head><body><h1>Heading &amp; more</h1><a href="/x">x</a></body></html>';
const FIELDS = { url: 'http://example.com/', finalUrl: 'http://example.com/', status: 200, headers: {}, html: HTML, depth: 0, crawl: 'c' };

describe('handler page context', () => {
  it('builds page.$ from the page on first read, once, and not for a handler that never reads it', async () => {
    let builds = 0;
    const context = () => handlerContext(FIELDS, () => (builds++, parseDom(HTML)));
    const facts = await runHandler(({ $ }) => ({ h1: $('h1').text(), lang: $('html').attr('lang'), links: $('a[href]').length }), context());
    assert.deepEqual(facts, { h1: 'Heading & more', lang: 'en', links: 1 });
    assert.equal(builds, 1);
    const page = context();
    assert.equal(page.$, page.$, 'the same document on every read');
    assert.equal(builds, 2);
    const urlOnly = await runHandler((p) => ({ url: p.url, size: p.html.length }), context());
    assert.deepEqual(urlOnly, { url: 'http://example.com/', size: HTML.length });
    assert.equal(builds, 2, 'a handler that reads only url and html builds no document');
  });
});
