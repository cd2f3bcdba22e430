import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MAX_DEPTH } from '../../src/workers/parse-html.js';
import { MAX_LINKS_PER_PAGE, parsePage } from '../../src/workers/parse-page.js';

const PAGE = 'http://example.com/dir/page.html';

describe('parsePage', () => {
  it('reads title, description, canonical and links of a plain page', () => {
    const p = parsePage(
      `<!doctype html><html><head><title>  Hello   &amp; welcome \n</title>
       <meta name="Description" content=" A   page &lt;about&gt; things ">
       <link rel="canonical" href="/dir/page.html?ref=x#top"></head>
       <body><a href="other.html">o</a><a href="/root">r</a><a href="//cdn.example.org/x">cdn</a>
       <a href="https://secure.example.com:443/s">s</a></body></html>`,
      PAGE,
      { dom: true },
    );
    assert.equal(p.title, 'Hello & welcome');
    assert.equal(p.description, 'A page <about> things');
    assert.equal(p.canonical, 'http://example.com/dir/page.html?ref=x');
    assert.equal(p.noindex, false);
    assert.equal(p.nofollow, false);
    assert.deepEqual(p.links, [
      { url: 'http://example.com/dir/other.html', nofollow: false },
      { url: 'http://example.com/root', nofollow: false },
      { url: 'http://cdn.example.org/x', nofollow: false },
      { url: 'https://secure.example.com/s', nofollow: false },
    ]);
    assert.equal(p.$!('a').length, 4, 'with dom, the same pass builds the document a handler queries');
    assert.equal(parsePage('<a href="/x">x</a>', PAGE).$, null, 'without, no document is built');
  });

  it('resolves links and canonical against the first <base href>', () => {
    const p = parsePage(
      `<head><base href="/other/base/"><base href="http://ignored.example/"><link rel="canonical" href="canon"></head>
       <a href="x.html">x</a><a href="../y">y</a><area href="map.html">`,
      PAGE,
    );
    assert.equal(p.canonical, 'http://example.com/other/base/canon');
    assert.deepEqual(
      p.links.map((l) => l.url),
      ['http://example.com/other/base/x.html', 'http://example.com/other/y', 'http://example.com/other/base/map.html'],
    );
  });

  it('marks rel=nofollow links (any case), and a URL only if every occurrence is nofollow', () => {
    const p = parsePage(
      `<a href="/a" rel="NoFollow">a</a><a href="/b" rel="external nofollow noopener">b</a>
       <a href="/c" rel="nofollow">c1</a><a href="/c">c2</a><a href="/d" rel="follow">d</a>`,
      PAGE,
    );
    assert.deepEqual(p.links, [
      { url: 'http://example.com/a', nofollow: true },
      { url: 'http://example.com/b', nofollow: true },
      { url: 'http://example.com/c', nofollow: false },
      { url: 'http://example.com/d', nofollow: false },
    ]);
  });

  it('reads meta robots none as noindex + nofollow, and each directive alone', () => {
    const none = parsePage('<META NAME="ROBOTS" CONTENT="NONE"><title>t</title>', PAGE);
    assert.equal(none.noindex, true);
    assert.equal(none.nofollow, true);
    const noindex = parsePage('<meta name="robots" content="noindex, follow">', PAGE);
    assert.deepEqual([noindex.noindex, noindex.nofollow], [true, false]);
    const nofollow = parsePage('<meta name="robots" content="index,nofollow">', PAGE);
    assert.deepEqual([nofollow.noindex, nofollow.nofollow], [false, true]);
  });

  it('handles uppercase tags and attributes', () => {
    const p = parsePage('<HTML><HEAD><TITLE>Upper</TITLE></HEAD><BODY><A HREF="/UP">x</A><AREA HREF="Map"></BODY></HTML>', PAGE);
    assert.equal(p.title, 'Upper');
    assert.deepEqual(p.links.map((l) => l.url), ['http://example.com/UP', 'http://example.com/dir/Map']);
  });

  it('returns null for a missing or blank title and description', () => {
    const p = parsePage('<html><head><title>   </title><meta name="description" content=""></head><body>x</body></html>', PAGE);
    assert.equal(p.title, null);
    assert.equal(p.description, null);
    assert.equal(p.canonical, null);
    assert.equal(parsePage('<p>no head at all', PAGE).title, null);
    assert.equal(parsePage('<body><svg><title>icon</title></svg></body>', PAGE).title, null);
    assert.equal(parsePage('<svg><title>icon</title></svg><title>Real</title>', PAGE).title, 'Real');
  });

  it('drops javascript:, mailto:, data: and malformed links and de-duplicates the rest', () => {
    const p = parsePage(
      `<a href="javascript:void(0)">j</a><a href="mailto:x@example.com">m</a><a href="tel:123">t</a>
       <a href="data:text/html,hi">d</a><a href="http://exa mple.com/">bad</a><a href="">empty</a><a href="http://[::1">broken</a>
       <a href="/dup#one">1</a><a href="/dup#two">2</a><a href="HTTP://EXAMPLE.COM:80/dup">3</a><a>no href</a>`,
      PAGE,
    );
    assert.deepEqual(p.links, [{ url: 'http://example.com/dup', nofollow: false }]);
  });

  it('caps title and description at 1,000 characters', () => {
    const long = 'word '.repeat(1000);
    const p = parsePage(`<title>${long}</title><meta name="description" content="${long}">`, PAGE);
    assert.ok(p.title !== null && p.title.length <= 1000 && p.title.startsWith('word word'));
    assert.ok(p.description !== null && p.description.length <= 1000);
  });

  it('caps nesting at 512 open elements, so 100,000 nested tags parse quickly and keep what follows them', () => {
    const p = parsePage(`<title>deep</title>${'<div>'.repeat(100_000)}<a href="/inside">in</a>`, PAGE, { dom: true });
    assert.equal(p.title, 'deep');
    assert.deepEqual(p.links, [{ url: 'http://example.com/inside', nofollow: false }]);
    let depth = 0;
    for (let el = p.$!('a').get(0)?.parent ?? null; el !== null; el = el.parent) depth++;
    assert.ok(depth <= MAX_DEPTH + 2, `the link sits ${depth} levels deep`);
    const normal = parsePage(`<title>t</title>${'<div>'.repeat(100)}<a href="/x">x</a>${'</div>'.repeat(100)}`, PAGE, { dom: true });
    let normalDepth = 0;
    for (let el = normal.$!('a').get(0)?.parent ?? null; el !== null; el = el.parent) normalDepth++;
    assert.equal(normalDepth, 100 + 1, 'ordinary nesting is untouched (100 divs and the document)');
  });

  it('survives malformed markup, binary junk, huge attributes and 10k links', () => {
    const junk = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 256)).toString('latin1');
    const p1 = parsePage(`<html><title>Broken</title><a href="/x">x<div><p><table><td>${junk}<a href="/y"`, PAGE);
    assert.ok(p1.links.some((l) => l.url === 'http://example.com/x'));
    const huge = parsePage(`<title>t</title><a href="/${'a'.repeat(2_000_000)}">big</a><a href="/ok" title="${'x'.repeat(1_000_000)}">ok</a>`, PAGE);
    assert.deepEqual(huge.links, [{ url: 'http://example.com/ok', nofollow: false }]);
    const many = Array.from({ length: 10_000 }, (_, i) => `<a href="/p${i}">${i}</a>`).join('');
    const p3 = parsePage(`<body>${many}</body>`, PAGE);
    assert.equal(p3.links.length, MAX_LINKS_PER_PAGE, 'links are capped per page, in document order');
    assert.equal(p3.links[0]!.url, 'http://example.com/p0');
    assert.equal(p3.links.at(-1)?.url, `http://example.com/p${MAX_LINKS_PER_PAGE - 1}`);
    const p4 = parsePage('\u0000\u0001<<<>>>&&&;;<!-- unterminated', PAGE);
    assert.deepEqual(p4.links, []);
  });

  it('parses a page normally after one cut off inside a <script>, <style> or <title> start tag', () => {
    for (const cut of ['<p>cut short <script', '<p>cut short <style type="text/css"', '<p>cut short <title']) {
      parsePage(cut, PAGE);
      const next = parsePage('<b>bold</b><title>Next &amp; last</title><a href="/next">n</a>', PAGE, { dom: true });
      assert.equal(next.title, 'Next & last', `after ${JSON.stringify(cut)}`);
      assert.deepEqual(next.links, [{ url: 'http://example.com/next', nofollow: false }]);
      assert.equal(next.$!('b').text(), 'bold');
    }
  });

  it('decodes entities in text, titles and attribute values across long text runs', () => {
    const text = 'plain words '.repeat(2_000);
    const p = parsePage(
      `<title>${'word '.repeat(100)}A &amp; B</title><p>${text}</p><a href='/q?a=1&amp;b=2' rel="nofollow">x</a><a href="/r?c=3&d=&quot;4&quot;" title='${text}'>y</a><p>${text}&lt;tail&gt;`,
      PAGE,
      { dom: true },
    );
    assert.ok(p.title?.endsWith('A & B'));
    assert.deepEqual(p.links, [
      { url: 'http://example.com/q?a=1&b=2', nofollow: true },
      { url: 'http://example.com/r?c=3&d=%224%22', nofollow: false },
    ]);
    assert.ok(p.$!('p').last().text().endsWith('<tail>'));
  });

  it("keeps no page alive through its links: 400 pages of 60 KB, only their link URLs kept", () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const filler = '<p>' + 'lorem ipsum dolor sit amet '.repeat(2200) + '</p>';
    const kept: string[] = [];
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 400; i++) {
      const html = `<html><body>${filler}<i>${i}</i><a href="/articles/2026/12/a-long-article-path-${i}">a</a><a href="http://example.com/absolute/long/path/number-${i}">b</a></body></html>`;
      for (const link of parsePage(html, PAGE).links) kept.push(link.url);
    }
    gc();
    const grownMb = (process.memoryUsage().heapUsed - before) / 1024 / 1024;
    assert.equal(kept.length, 800);
    assert.equal(kept[0], 'http://example.com/articles/2026/12/a-long-article-path-0');
    // 800 short URLs are well under 1 MB; a URL that kept its page would hold 24 MB here.
    assert.ok(grownMb < 4, `${grownMb.toFixed(1)} MB still held after parsing`);
  });
});
