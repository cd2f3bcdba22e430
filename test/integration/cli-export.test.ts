/** `spiderd export` as a real process, on rows the test inserts. */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createDb, type Db } from '../../src/shared/db/client.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { deletePrefix, testPrefix } from '../helpers/redis.js';
import { runCli, type TestEnv } from '../helpers/spiderd.js';

/** A small RFC 4180 reader, to check the file the way a spreadsheet would read it. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted && c === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (!quoted && c === ',') {
      row.push(field);
      field = '';
    } else if (!quoted && c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else {
      field += c;
    }
  }
  assert.equal(field, '', 'file ends with CRLF');
  return rows;
}

describe('spiderd export', () => {
  let database: TestDatabase;
  let env: TestEnv;
  let db: Db;
  let dir: string;

  before(async () => {
    database = await createTestDatabase();
    env = { databaseUrl: database.url, prefix: testPrefix() };
    db = createDb({ databaseUrl: database.url });
    dir = await mkdtemp(path.join(os.tmpdir(), 'spiderd-cli-export-'));
    const crawl = await db.crawl.create({ data: { name: 'shop', options: {}, seedHosts: ['shop.test'] } });
    await db.page.create({
      data: {
        crawlId: crawl.id, url: 'http://shop.test/', depth: 0, state: 'fetched', status: 200, contentType: 'text/html',
        title: 'Shoes, "boots" & more', description: 'line one\nline two', canonical: 'http://shop.test/', noindex: false, nofollow: false,
        fetchedAt: new Date('2026-11-01T10:00:00.000Z'), durationMs: 12, bytes: 5120, contentHash: 'ab'.repeat(32), attempts: 1,
        links: ['http://shop.test/a', 'http://shop.test/b'], data: { price: '1,50 €', sizes: [40, 41] },
      },
    });
    await db.page.create({ data: { crawlId: crawl.id, url: 'http://shop.test/missing', depth: 1, state: 'failed', status: 404, errorCode: 'SPIDERD_HTTP_4XX', error: 'HTTP 404', attempts: 1 } });
    const big = await db.crawl.create({ data: { name: 'big', options: {}, seedHosts: ['big.test'] } });
    await db.page.createMany({ data: Array.from({ length: 2_345 }, (_, i) => ({ crawlId: big.id, url: `http://big.test/${i}`, depth: 1 })) });
  });

  after(async () => {
    await db.$disconnect();
    await deletePrefix(env.prefix);
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes CSV with a header, RFC 4180 quoting, links joined by a space and data as JSON', async () => {
    const out = path.join(dir, 'shop.csv');
    const r = await runCli(env, ['export', '--crawl', 'shop', '--format', 'csv', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`2 pages written to ${out}`));
    const text = await readFile(out, 'utf8');
    assert.ok(text.includes('"Shoes, ""boots"" & more"'), 'quotes doubled inside a quoted field');
    const [header, first, second, ...rest] = parseCsv(text);
    assert.equal(rest.length, 0);
    assert.equal(header!.join(','), 'url,finalUrl,state,status,contentType,title,description,canonical,noindex,nofollow,depth,discoveredAt,fetchedAt,durationMs,bytes,contentHash,errorCode,error,attempts,links,data,etag,lastModified,changedAt,nextDueAt,intervalS,fetchCount,changeCount,notModified');
    const row = Object.fromEntries(header!.map((h, i) => [h, first![i]]));
    assert.equal(row.title, 'Shoes, "boots" & more');
    assert.equal(row.description, 'line one\nline two');
    assert.equal(row.links, 'http://shop.test/a http://shop.test/b');
    assert.deepEqual(JSON.parse(row.data!), { price: '1,50 €', sizes: [40, 41] });
    assert.equal(row.fetchedAt, '2026-11-01T10:00:00.000Z');
    assert.equal(row.noindex, 'false');
    assert.equal(second![header!.indexOf('errorCode')], 'SPIDERD_HTTP_4XX');
    assert.equal(second![header!.indexOf('data')], '');
  });

  it('writes JSON lines, one object per page, across several 1,000-row pages', async () => {
    const r = await runCli(env, ['export', '--crawl', 'big']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { url: string; state: string; depth: number });
    assert.equal(lines.length, 2_345);
    assert.equal(new Set(lines.map((l) => l.url)).size, 2_345);
    assert.deepEqual(lines[1_000], { ...lines[1_000], url: 'http://big.test/1000', state: 'queued', depth: 1 });
    const shop = await runCli(env, ['export', '--crawl', 'shop', '--format', 'jsonl']);
    const first = JSON.parse(shop.stdout.split('\n')[0]!) as Record<string, unknown>;
    assert.deepEqual(first.links, ['http://shop.test/a', 'http://shop.test/b']);
    assert.deepEqual(first.data, { price: '1,50 €', sizes: [40, 41] });
  });

  it('fails on an unknown crawl or format without leaving a file behind', async () => {
    const out = path.join(dir, 'nope.jsonl');
    const unknown = await runCli(env, ['export', '--crawl', 'nope', '--out', out]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /SPIDERD_CRAWL_NOT_FOUND/);
    const format = await runCli(env, ['export', '--crawl', 'shop', '--format', 'xml', '--out', out]);
    assert.equal(format.code, 2);
    assert.match(format.stderr, /--format "xml": must be jsonl or csv/);
    const noDir = await runCli(env, ['export', '--crawl', 'shop', '--out', path.join(dir, 'missing-dir', 'x.csv')]);
    assert.notEqual(noDir.code, 0);
    assert.deepEqual((await readdir(dir)).filter((f) => f !== 'shop.csv'), [], 'no partial or temporary file');
  });
});
