import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeUrl } from '../../src/shared/url/normalize.js';

function ok(raw: string, base?: string): string {
  const r = normalizeUrl(raw, base);
  assert.ok(r.ok, `expected ${raw} to normalize, got ${JSON.stringify(r)}`);
  return r.url;
}

function reason(raw: string, base?: string): string {
  const r = normalizeUrl(raw, base);
  assert.ok(!r.ok, `expected ${raw} to be rejected, got ${JSON.stringify(r)}`);
  return r.reason;
}

describe('normalizeUrl', () => {
  it('lower-cases scheme and host but not the path', () => {
    assert.equal(ok('HTTP://Example.COM/A/b'), 'http://example.com/A/b');
  });

  it('drops default ports and keeps others', () => {
    assert.equal(ok('http://example.com:80/x'), 'http://example.com/x');
    assert.equal(ok('https://example.com:443/x'), 'https://example.com/x');
    assert.equal(ok('http://example.com:8080/x'), 'http://example.com:8080/x');
    assert.equal(ok('https://example.com:80/x'), 'https://example.com:80/x');
  });

  it('removes the fragment and an empty query', () => {
    assert.equal(ok('http://example.com/page#section'), 'http://example.com/page');
    assert.equal(ok('http://example.com/page?'), 'http://example.com/page');
    assert.equal(ok('http://example.com/page?#top'), 'http://example.com/page');
    assert.equal(ok('http://example.com/page?a=1#top'), 'http://example.com/page?a=1');
  });

  it('resolves dot segments, also against a base', () => {
    assert.equal(ok('http://example.com/a/./b/../c'), 'http://example.com/a/c');
    assert.equal(ok('../up', 'http://example.com/a/b/page'), 'http://example.com/a/up');
    assert.equal(ok('//other.org/x', 'https://example.com/'), 'https://other.org/x');
  });

  it('converts IDN hosts to punycode', () => {
    assert.equal(ok('http://Bücher.example/'), 'http://xn--bcher-kva.example/');
  });

  it('decodes unreserved escapes and upper-cases the others', () => {
    assert.equal(ok('http://example.com/%7euser/%61b%2fc'), 'http://example.com/~user/ab%2Fc');
    assert.equal(ok('http://example.com/s?q=%e2%82%ac'), 'http://example.com/s?q=%E2%82%AC');
  });

  it('gives the same URL for spellings of one page', () => {
    const spellings = ['HTTP://EXAMPLE.com:80/a/../b?#x', 'http://example.com/b', 'http://example.com/./b#frag'];
    assert.deepEqual(new Set(spellings.map((s) => ok(s))), new Set(['http://example.com/b']));
  });

  it('drops credentials', () => {
    assert.equal(ok('http://user:secret@example.com/'), 'http://example.com/');
  });

  it('rejects mailto, javascript and ftp with a reason naming the scheme', () => {
    assert.match(reason('mailto:someone@example.com'), /"mailto"/);
    assert.match(reason('javascript:alert(1)'), /"javascript"/);
    assert.match(reason('ftp://example.com/file'), /"ftp"/);
    assert.match(reason('javascript:void(0)', 'http://example.com/'), /"javascript"/);
  });

  it('rejects garbage and empty input', () => {
    assert.match(reason('not a url'), /not a valid URL/);
    assert.match(reason('http://'), /not a valid URL|no host/);
    assert.match(reason('   '), /empty/);
    assert.match(reason('http://exa mple.com/'), /not a valid URL/);
  });
});
