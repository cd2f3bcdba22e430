import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { Agent } from 'undici';
import { SpiderdError } from '../../src/shared/errors.js';
import { fetchSitemap, MAX_SITEMAP_BYTES } from '../../src/workers/sitemaps/fetch-sitemap.js';
import { parseSitemap } from '../../src/workers/sitemaps/parse-sitemap.js';
import { sitemapLines, walkSitemaps } from '../../src/workers/sitemaps/read-sitemaps.js';

const NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"';
const urlset = (urls: string[]) => `<?xml version="1.0"?><urlset ${NS}>${urls.map((u) => `<url><loc>${u}</loc><lastmod>2026-11-30</lastmod></url>`).join('')}</urlset>`;
const codeOf = async (p: Promise<unknown>) => ((await p.then(() => null, (e: unknown) => e)) as SpiderdError | null)?.code;

test('a urlset, an index and a text sitemap are read; lastmod becomes a date', async () => {
  const set = await parseSitemap(Buffer.from(urlset(['https://a.test/1', 'https://a.test/2'])), 's.xml');
  assert.equal(set.kind, 'urlset');
  assert.deepEqual(set.entries.map((e) => e.loc), ['https://a.test/1', 'https://a.test/2']);
  assert.equal(set.entries[0]!.lastmod?.toISOString(), '2026-11-30T00:00:00.000Z');
  const index = await parseSitemap(Buffer.from(`<?xml version="1.0"?><sitemapindex ${NS}><sitemap><loc>https://a.test/s1.xml</loc></sitemap></sitemapindex>`), 'i.xml');
  assert.deepEqual(index, { kind: 'index', entries: [{ loc: 'https://a.test/s1.xml', lastmod: null }] });
  const text = await parseSitemap(Buffer.from('https://a.test/x\n\nhttps://a.test/y\n'), 's.txt');
  assert.deepEqual(text.entries.map((e) => e.loc), ['https://a.test/x', 'https://a.test/y']);
});

test('hostile sitemaps fail with a clear code: malformed, billion laughs, over 50,000 URLs', async () => {
  assert.equal(await codeOf(parseSitemap(Buffer.from(`<urlset ${NS}><url><loc>https://a.test/</url>`), 'broken.xml')), 'SPIDERD_SITEMAP_INVALID');
  const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><urlset ${NS}><url><loc>https://a.test/&lol2;</loc></url></urlset>`;
  assert.equal(await codeOf(parseSitemap(Buffer.from(laughs), 'lol.xml')), 'SPIDERD_SITEMAP_INVALID');
  const many = Array.from({ length: 50_001 }, (_, i) => `https://a.test/${i}`);
  assert.equal(await codeOf(parseSitemap(Buffer.from(urlset(many)), 'big.xml')), 'SPIDERD_SITEMAP_TOO_LARGE');
  assert.equal(await codeOf(parseSitemap(Buffer.from(many.join('\n')), 'big.txt')), 'SPIDERD_SITEMAP_TOO_LARGE');
  assert.equal(await codeOf(parseSitemap(Buffer.from('https://a.test/ok\nnot a url\n'), 'bad.txt')), 'SPIDERD_SITEMAP_INVALID');
});

test('robots.txt Sitemap: lines; indexes nest one level deep; children stay on the index origin', async () => {
  assert.deepEqual(sitemapLines('User-agent: *\nSitemap: https://a.test/i.xml\nsitemap:https://a.test/t.txt\nSitemap: /relative.xml\n'), ['https://a.test/i.xml', 'https://a.test/t.txt']);
  const files: Record<string, string> = {
    'https://a.test/i.xml': `<sitemapindex ${NS}><sitemap><loc>https://a.test/s.xml</loc></sitemap><sitemap><loc>https://a.test/nested.xml</loc></sitemap><sitemap><loc>https://evil.test/s.xml</loc></sitemap></sitemapindex>`,
    'https://a.test/s.xml': urlset(['https://a.test/p1']),
    'https://a.test/nested.xml': `<sitemapindex ${NS}><sitemap><loc>https://a.test/deeper.xml</loc></sitemap></sitemapindex>`,
  };
  const fetched: string[] = [];
  const walk = await walkSitemaps('https://a.test', ['https://a.test/i.xml'], async (url) => {
    fetched.push(url);
    return Buffer.from(files[url] ?? '');
  });
  assert.deepEqual(walk.entries.map((e) => e.loc), ['https://a.test/p1']);
  assert.deepEqual(fetched, ['https://a.test/i.xml', 'https://a.test/s.xml', 'https://a.test/nested.xml'], 'the other origin and the deeper index are never fetched');
  assert.deepEqual(walk.problems.map((p) => p.code), ['SPIDERD_SITEMAP_INVALID']);
  const fallback: string[] = [];
  await walkSitemaps('https://b.test', [], async (url) => (fallback.push(url), Buffer.from(urlset([]))));
  assert.deepEqual(fallback, ['https://b.test/sitemap.xml'], 'no Sitemap: line: /sitemap.xml');
});

test('a gzip bomb stops at 50 MB uncompressed; a gzip sitemap is read', async () => {
  const bomb = gzipSync(Buffer.alloc(MAX_SITEMAP_BYTES + 1024, 0x20));
  const small = gzipSync(urlset(['http://127.0.0.1/z']));
  const server = createServer((req, res) => res.writeHead(200, { 'content-type': 'application/gzip' }).end(req.url === '/bomb.xml.gz' ? bomb : small));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const agent = new Agent();
  try {
    const opts = { userAgent: 'spiderd-test', deadlineMs: 30_000, maxRedirects: 2 };
    assert.equal(await codeOf(fetchSitemap(agent, `${base}/bomb.xml.gz`, opts)), 'SPIDERD_SITEMAP_TOO_LARGE');
    const ok = await parseSitemap(await fetchSitemap(agent, `${base}/small.xml.gz`, opts), 'small.xml.gz');
    assert.deepEqual(ok.entries.map((e) => e.loc), ['http://127.0.0.1/z']);
  } finally {
    await agent.close();
    server.close();
  }
});
