/**
 * The sample site's `expected` lists must match what a crawler that follows the rules finds
 * on the served pages, whatever order it works in (a concurrent crawler's order is arbitrary).
 * This test crawls the real server over HTTP with an independent little crawler (cheerio/slim
 * + normalizeUrl) and compares.
 */
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { load } from 'cheerio/slim';
import { startSampleSite, pageTitle, type SampleSite } from '../../src/sample-site/index.js';
import type { ExpectedPaths } from '../../src/sample-site/generate.js';
import { prng } from '../../src/sample-site/text.js';
import { normalizeUrl } from '../../src/shared/url/normalize.js';

type Found = ExpectedPaths;

async function crawl(site: SampleSite, maxDepth: number, seed: number): Promise<Found> {
  const robots = await (await fetch(`${site.origin}/robots.txt`)).text();
  const disallow = robots.split('\n').filter((l) => l.startsWith('Disallow:')).map((l) => l.slice('Disallow:'.length).trim());
  const host = new URL(site.origin).host;
  const found: Found = { fetchable: [], disallowed: [], notFound: [], nonHtml: [], redirects: [], nofollowOnly: [], external: [] };
  const depth = new Map<string, number>([[site.seedUrl, 0]]);
  const nofollow = new Set<string>();
  const external = new Set<string>();
  const frontier = [site.seedUrl];
  const rand = prng(seed);
  while (frontier.length > 0) {
    const url = frontier.splice(Math.floor(rand() * frontier.length), 1)[0]!;
    if (disallow.some((p) => new URL(url).pathname.startsWith(p))) {
      found.disallowed.push(url);
      continue;
    }
    const res = await fetch(url, { redirect: 'manual' });
    const finalUrl = url;
    if (res.status >= 300 && res.status < 400) {
      // The target enters the frontier at the redirect's own depth, like a link.
      await res.arrayBuffer();
      found.redirects.push(url);
      const target = normalizeUrl(res.headers.get('location')!, url);
      if (target.ok && !depth.has(target.url)) {
        depth.set(target.url, depth.get(url)!);
        frontier.push(target.url);
      }
      continue;
    }
    const body = await res.text();
    if (res.status === 404) {
      found.notFound.push(url);
      continue;
    }
    if (!String(res.headers.get('content-type')).startsWith('text/html')) {
      found.nonHtml.push(url);
      continue;
    }
    found.fetchable.push(url);
    const $ = load(body);
    const base = new URL($('base[href]').attr('href') ?? finalUrl, finalUrl);
    const metaNofollow = /nofollow|none/i.test($('meta[name=robots]').attr('content') ?? '');
    const d = depth.get(url)!;
    $('a[href]').each((_, a) => {
      const r = normalizeUrl($(a).attr('href')!, base);
      if (!r.ok) return;
      if (new URL(r.url).host !== host) external.add(r.url);
      else if (metaNofollow || /(^|\s)nofollow(\s|$)/i.test($(a).attr('rel') ?? '')) nofollow.add(r.url);
      else if (d + 1 <= maxDepth && !depth.has(r.url)) {
        depth.set(r.url, d + 1);
        frontier.push(r.url);
      }
    });
  }
  found.nofollowOnly = [...nofollow].filter((u) => !depth.has(u));
  found.external = [...external];
  return found;
}

const sorted = (xs: string[]) => [...xs].sort();

function assertSame(actual: Found, expected: SampleSite['expected']): void {
  for (const key of Object.keys(expected) as Array<keyof Found>) {
    assert.deepEqual(sorted(actual[key]), sorted(expected[key]), `expected.${key}`);
  }
}

describe('sample site', () => {
  let site: SampleSite;
  let shallow: SampleSite;
  before(async () => {
    site = await startSampleSite({ pages: 300 });
    shallow = await startSampleSite({ pages: 300, maxDepth: 3 });
  });
  after(async () => {
    await site.close();
    await shallow.close();
  });

  it('lists every kind of URL a crawl meets, with 300 pages', () => {
    const e = site.expected;
    assert.equal(e.fetchable.length, 300, 'every page once; redirects to them are not pages');
    assert.equal(site.seedUrl, `${site.origin}/page/1`);
    for (const key of ['disallowed', 'notFound', 'nonHtml', 'redirects', 'nofollowOnly', 'external'] as const) {
      assert.ok(e[key].length > 0, `${key} is not empty`);
    }
    const all = [...e.fetchable, ...e.redirects, ...e.disallowed, ...e.notFound, ...e.nonHtml, ...e.nofollowOnly, ...e.external];
    assert.equal(new Set(all).size, all.length, 'the lists do not overlap');
  });

  it('matches what a rule-following crawler finds, in any order', async () => {
    assertSame(await crawl(site, 10, 1), site.expected);
    assertSame(await crawl(site, 10, 2), site.expected);
  });

  it('honours maxDepth in its expectations', async () => {
    const pages = shallow.expected.fetchable.filter((u) => u.includes('/page/'));
    assert.equal(pages.length, 15); // pages 1..15 are depths 0..3
    assertSame(await crawl(shallow, 3, 3), shallow.expected);
    assertSame(await crawl(shallow, 3, 4), shallow.expected);
  });

  it('serves realistic pages: titles, 5-15 KB of HTML, gzip when asked', async () => {
    const res = await fetch(`${site.origin}/page/17`);
    const html = await res.text();
    assert.equal(load(html)('title').text(), pageTitle(17));
    for (const n of [1, 2, 17, 150, 300]) {
      const size = (await (await fetch(`${site.origin}/page/${n}`)).arrayBuffer()).byteLength;
      assert.ok(size >= 4_000 && size <= 20_000, `/page/${n} is ${size} bytes`);
    }
    const { request } = await import('node:http');
    const raw = await new Promise<{ encoding: string | undefined; body: Buffer }>((resolve, reject) => {
      request(`${site.origin}/page/3`, { headers: { 'accept-encoding': 'gzip' } }, (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => resolve({ encoding: r.headers['content-encoding'], body: Buffer.concat(chunks) }));
      })
        .on('error', reject)
        .end();
    });
    assert.equal(raw.encoding, 'gzip');
    assert.match(gunzipSync(raw.body).toString('utf8'), /<title>/);
  });

  it('records every request path in order', async () => {
    const before = site.requests.length;
    await (await fetch(`${site.origin}/page/5?x=1`)).text();
    await (await fetch(`${site.origin}/nope`)).text();
    assert.deepEqual(site.requests.slice(before), ['/page/5?x=1', '/nope']);
  });
});
