/**
 * The batched store against a real PostgreSQL database and a real Redis queue: redelivered
 * results never duplicate or overwrite a row, discoveries become one row and one job each,
 * and maxPages caps the rows a crawl gets.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { Queue } from 'bullmq';
import { getLogs } from '@prisma/debug';
import type { Redis } from 'ioredis';
import { createDb, prismaRunner, type Db } from '../../src/shared/db/client.js';
import { createSql, type Sql } from '../../src/shared/db/sql.js';
import { insertPages } from '../../src/shared/frontier.js';
import { createLogger } from '../../src/shared/logger.js';
import type { PageJob } from '../../src/shared/page-jobs.js';
import { QUEUE_NAME } from '../../src/shared/keys.js';
import { createRedis } from '../../src/shared/redis.js';
import { KnownUrls } from '../../src/workers/known-urls.js';
import type { PageResult, PageRow } from '../../src/workers/page-result.js';
import { StoreBatch, type StoreBatchOptions } from '../../src/workers/store-batch.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { REDIS_URL, deletePrefix, testPrefix } from '../helpers/redis.js';
import { tcpProxy } from '../helpers/tcp-proxy.js';

const log = createLogger({ logLevel: 'silent' }, 'test');

/** A logger whose lines can be awaited: resolves at the first line matching `re`. */
function watchedLogger(re: RegExp) {
  let seen: () => void;
  const matched = new Promise<void>((resolve) => (seen = resolve));
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      if (re.test(chunk.toString())) seen();
      done();
    },
  });
  return { log: pino({ level: 'warn' }, stream), matched };
}

const SITE = 'http://site.test';
const NO_LIMITS = { maxPages: 0, maxPagesPerHost: 0 };

function fetchedRow(title: string, links: string[] = []): PageRow {
  return {
    state: 'fetched', finalUrl: null, status: 200, contentType: 'text/html', title, description: null, canonical: null,
    noindex: false, nofollow: false, fetchedAt: new Date(), durationMs: 5, bytes: 100, contentHash: 'h', errorCode: null,
    error: null, attempts: 1, links, data: null,
  };
}

describe('StoreBatch', () => {
  let tdb: TestDatabase;
  let db: Db;
  let sql: Sql;
  let redis: Redis;
  let queue: Queue<PageJob>;
  let prefix: string;

  before(async () => {
    tdb = await createTestDatabase();
    db = createDb({ databaseUrl: tdb.url });
    sql = createSql({ databaseUrl: tdb.url });
    prefix = testPrefix();
    redis = createRedis({ redisUrl: REDIS_URL }, 'test');
    queue = new Queue<PageJob>(QUEUE_NAME, { connection: redis, prefix });
  });

  after(async () => {
    await queue.close();
    redis.disconnect();
    await db.$disconnect();
    await sql.close();
    await deletePrefix(prefix);
    await tdb.drop();
  });

  async function seedCrawl(name: string, maxPages: number, maxPagesPerHost = 0): Promise<{ crawlId: number; seedId: string }> {
    const crawl = await db.crawl.create({ data: { name, options: { maxPages, maxPagesPerHost }, seedHosts: ['site.test'] } });
    const { inserted } = await db.$transaction((tx) => insertPages(prismaRunner(tx), crawl.id, { maxPages, maxPagesPerHost }, [{ url: `${SITE}/${name}/`, depth: 0 }]));
    return { crawlId: crawl.id, seedId: inserted[0]!.id.toString() };
  }

  function result(crawlId: number, pageId: string, row: PageRow, discovered: string[] = [], maxPages = 0, maxPagesPerHost = 0): PageResult {
    return { crawlId, pageId, maxPages, maxPagesPerHost, row, discovered: discovered.map((url) => ({ url, depth: 1 })) };
  }

  function newStore(o: Omit<StoreBatchOptions, 'known' | 'queue' | 'log' | 'attempts'> & Partial<StoreBatchOptions>): StoreBatch {
    return new StoreBatch({ queue, log, attempts: 2, known: new KnownUrls(), ...o });
  }

  async function jobIdsFor(crawlId: number): Promise<string[]> {
    const jobs = await queue.getJobs(['waiting', 'delayed', 'prioritized']);
    return jobs.filter((j) => j.data.crawlId === crawlId).map((j) => j.id!).sort();
  }

  test('a redelivered result (submitted twice) leaves one stored row with the first result', async () => {
    const { crawlId, seedId } = await seedCrawl('redelivery', 0);
    const store = newStore({ sql, batchSize: 10, flushMs: 5 });
    const links = [`${SITE}/redelivery/a`];
    // Same batch and a later batch: neither the duplicate nor the late copy may change the row.
    await Promise.all([
      store.submit(result(crawlId, seedId, fetchedRow('first', links), links)),
      store.submit(result(crawlId, seedId, fetchedRow('second', links), links)),
    ]);
    await store.submit(result(crawlId, seedId, { ...fetchedRow('third'), state: 'failed', errorCode: 'SPIDERD_HTTP_5XX' }));
    await store.close();

    const rows = await db.page.findMany({ where: { crawlId }, orderBy: { id: 'asc' } });
    assert.deepEqual(rows.map((r) => [r.url, r.state]), [[`${SITE}/redelivery/`, 'fetched'], [`${SITE}/redelivery/a`, 'queued']]);
    assert.equal(rows[0]!.title, 'first');
    assert.equal(rows[0]!.errorCode, null);
    assert.deepEqual(rows[0]!.links, links);
    assert.deepEqual(await jobIdsFor(crawlId), [`p${rows[1]!.id}`]);
  });

  test('links discovered by several pages become one row and one job each', async () => {
    const { crawlId, seedId } = await seedCrawl('discover', 0);
    const { inserted } = await db.$transaction((tx) => insertPages(prismaRunner(tx), crawlId, NO_LIMITS, [{ url: `${SITE}/discover/other`, depth: 0 }]));
    const otherId = inserted[0]!.id.toString();
    const store = newStore({ sql, batchSize: 1, flushMs: 5 }); // one flush per page
    const shared = [`${SITE}/discover/x`, `${SITE}/discover/y`];
    await Promise.all([
      store.submit(result(crawlId, seedId, fetchedRow('seed', shared), shared)),
      store.submit(result(crawlId, otherId, fetchedRow('other', [...shared].reverse()), [...shared].reverse())),
    ]);
    await store.close();

    const rows = await db.page.findMany({ where: { crawlId }, orderBy: { url: 'asc' } });
    assert.deepEqual(rows.map((r) => [r.url, r.state, r.depth]), [
      [`${SITE}/discover/`, 'fetched', 0],
      [`${SITE}/discover/other`, 'fetched', 0],
      [`${SITE}/discover/x`, 'queued', 1],
      [`${SITE}/discover/y`, 'queued', 1],
    ]);
    const queued = rows.filter((r) => r.state === 'queued').map((r) => `p${r.id}`).sort();
    assert.deepEqual(await jobIdsFor(crawlId), queued);
    assert.equal(rows.length, 4);
  });

  test('maxPages caps the rows a crawl gets, and only stored rows get jobs', async () => {
    const { crawlId, seedId } = await seedCrawl('capped', 3);
    const store = newStore({ sql, batchSize: 64, flushMs: 5 });
    const links = ['a', 'b', 'c', 'd', 'e'].map((p) => `${SITE}/capped/${p}`);
    await store.submit(result(crawlId, seedId, fetchedRow('seed', links), links, 3));
    await store.close();

    const rows = await db.page.findMany({ where: { crawlId } });
    assert.equal(rows.length, 3);
    assert.equal(rows.filter((r) => r.state === 'queued').length, 2);
    assert.equal((await jobIdsFor(crawlId)).length, 2);
  });

  test('hostile text (NUL characters, lone surrogates) is stored instead of failing the batch', async () => {
    const { crawlId, seedId } = await seedCrawl('hostile', 0);
    const store = newStore({ sql, batchSize: 64, flushMs: 5 });
    await store.submit(result(crawlId, seedId, { ...fetchedRow('a\u0000b\uD800c'), data: { note: 'x\u0000y' } }));
    await store.close();
    const row = await db.page.findFirstOrThrow({ where: { crawlId } });
    assert.equal(row.state, 'fetched');
    assert.equal(row.title, 'ab\uFFFDc');
    assert.deepEqual(row.data, { note: 'xy' });
  });

  test('one bad row never fails its batch: it is isolated and stored failed (SPIDERD_STORE_FAILED), the others are stored with their discoveries', async () => {
    const { crawlId, seedId } = await seedCrawl('poison', 0);
    const { inserted } = await db.$transaction((tx) =>
      insertPages(prismaRunner(tx), crawlId, NO_LIMITS, ['a', 'b', 'c', 'd'].map((p) => ({ url: `${SITE}/poison/${p}`, depth: 1 }))),
    );
    const ids = inserted.map((r) => r.id.toString());
    const store = newStore({ sql, batchSize: 64, flushMs: 20 });
    const bad = { ...fetchedRow('bad'), status: 2 ** 40 }; // out of the int column's range: a non-transient error
    const submits = [
      store.submit(result(crawlId, seedId, fetchedRow('seed', [`${SITE}/poison/new-1`]), [`${SITE}/poison/new-1`])),
      store.submit(result(crawlId, ids[0]!, fetchedRow('a'))),
      store.submit(result(crawlId, ids[1]!, bad, [`${SITE}/poison/from-bad`])),
      store.submit(result(crawlId, ids[2]!, fetchedRow('c', [`${SITE}/poison/new-2`]), [`${SITE}/poison/new-2`])),
      store.submit(result(crawlId, ids[3]!, fetchedRow('d'))),
    ];
    await Promise.all(submits);
    await store.close();
    const rows = await db.page.findMany({ where: { crawlId } });
    const by = new Map(rows.map((r) => [r.url.slice(`${SITE}/poison/`.length), r]));
    assert.deepEqual(['', 'a', 'c', 'd'].map((k) => [k, by.get(k)?.state, by.get(k)?.title]), [['', 'fetched', 'seed'], ['a', 'fetched', 'a'], ['c', 'fetched', 'c'], ['d', 'fetched', 'd']]);
    assert.deepEqual([by.get('b')?.state, by.get('b')?.errorCode], ['failed', 'SPIDERD_STORE_FAILED']);
    assert.match(by.get('b')?.error ?? '', /out of range/);
    assert.deepEqual(['new-1', 'new-2'].map((k) => by.get(k)?.state), ['queued', 'queued'], 'the good pages\' discoveries are kept');
    assert.equal(by.get('from-bad'), undefined, "the culprit's discoveries are dropped with it");
  });

  test("a stored batch is not kept in memory: Prisma's debug history (kept even with debugging off) holds none of its rows", async () => {
    const { crawlId, seedId } = await seedCrawl('forgotten', 0);
    const marker = `kept-${'x'.repeat(50_000)}`;
    const store = newStore({ sql, batchSize: 10, flushMs: 5 });
    await store.submit(result(crawlId, seedId, { ...fetchedRow('big page'), data: { text: marker } }));
    await store.close();
    assert.equal(getLogs(Number.MAX_SAFE_INTEGER).includes(marker), false, 'the batch JSON stays reachable after it was written');
    const [row] = await db.page.findMany({ where: { crawlId } });
    assert.deepEqual(row?.data, { text: marker });
  });

  test('a URL of any length up to the cap fits the unique index (a 4,000-character link)', async () => {
    const { crawlId, seedId } = await seedCrawl('long', 0);
    const long = `${SITE}/long/${'x'.repeat(4_000 - `${SITE}/long/`.length)}`;
    const store = newStore({ sql, batchSize: 64, flushMs: 5 });
    await store.submit(result(crawlId, seedId, fetchedRow('seed', [long]), [long]));
    await store.close();
    const rows = await db.page.findMany({ where: { crawlId }, orderBy: { id: 'asc' } });
    assert.deepEqual(rows.map((r) => [r.url.length, r.state]), [[`${SITE}/long/`.length, 'fetched'], [4_000, 'queued']]);
  });

  test('maxPagesPerHost caps the rows of each host, across batches (a calendar trap stops at the budget)', async () => {
    const { crawlId, seedId } = await seedCrawl('hosts', 0, 5);
    const store = newStore({ sql, batchSize: 64, flushMs: 5 });
    const calendar = Array.from({ length: 8 }, (_, i) => `${SITE}/hosts/calendar/${2000 + i}`);
    const other = ['http://other.test/a', 'http://other.test/b'];
    await store.submit(result(crawlId, seedId, fetchedRow('seed', [...calendar.slice(0, 3), ...other]), [...calendar.slice(0, 3), ...other], 0, 5));
    const [first] = await db.page.findMany({ where: { crawlId, url: calendar[0]! } });
    await store.submit(result(crawlId, first!.id.toString(), fetchedRow('2000', calendar), calendar, 0, 5));
    await store.close();
    const rows = await db.page.findMany({ where: { crawlId } });
    const site = rows.filter((r) => r.url.startsWith(SITE));
    assert.equal(site.length, 5, 'site.test: the seed and 4 calendar pages, 5 in all');
    assert.equal(rows.filter((r) => r.url.startsWith('http://other.test')).length, 2, 'another host has its own budget');
    assert.equal(rows.length, 7);
    assert.equal((await jobIdsFor(crawlId)).length, 6, 'only stored rows get jobs');
  });

  test('a flush during a PostgreSQL outage is retried and lands once the database is back', async () => {
    const { crawlId, seedId } = await seedCrawl('blip', 0);
    const proxy = await tcpProxy(5432);
    const url = new URL(tdb.url);
    url.port = String(proxy.port);
    const blipDb = createSql({ databaseUrl: url.toString() });
    const watched = watchedLogger(/retrying/);
    const store = newStore({ sql: blipDb, log: watched.log, batchSize: 64, flushMs: 5, retryWindowMs: 60_000 });
    try {
      const links = [`${SITE}/blip/next`];
      const stored = store.submit(result(crawlId, seedId, fetchedRow('after the blip', links), links));
      await watched.matched; // the first attempt failed: the database is unreachable
      await proxy.open();
      await stored;
      await store.close();
    } finally {
      await blipDb.close();
      await proxy.close();
    }
    const rows = await db.page.findMany({ where: { crawlId }, orderBy: { id: 'asc' } });
    assert.deepEqual(rows.map((r) => [r.title, r.state]), [['after the blip', 'fetched'], [null, 'queued']]);
    assert.deepEqual(await jobIdsFor(crawlId), [`p${rows[1]!.id}`]);
  });

  test('an outage longer than the retry window rejects the submit with a transient SPIDERD_DB_UNAVAILABLE', async () => {
    const proxy = await tcpProxy(5432); // never opened
    const url = new URL(tdb.url);
    url.port = String(proxy.port);
    const downDb = createSql({ databaseUrl: url.toString() });
    const store = newStore({ sql: downDb, batchSize: 64, flushMs: 5, retryWindowMs: 300 });
    try {
      await assert.rejects(store.submit(result(1, '1', fetchedRow('lost'))), { code: 'SPIDERD_DB_UNAVAILABLE', transient: true });
      await store.close();
    } finally {
      await downDb.close();
    }
  });

  test('recrawl: an unchanged refetch keeps the stored page data and counts a fetch; a failed one drops the validators', async () => {
    const { crawlId, seedId } = await seedCrawl('refetch', 0);
    const store = newStore({ sql, batchSize: 10, flushMs: 5 });
    const due = new Date(Date.now() + 3_600_000);
    const recrawl = { keepData: false, notModified: false, etag: '"v1"', lastModified: null, nextDueAt: due, intervalS: 3_600 };
    await store.submit(result(crawlId, seedId, { ...fetchedRow('stored title', [`${SITE}/x`]), data: { kept: true }, recrawl: { ...recrawl, finding: 'first' } }));
    const requeue = () => db.page.update({ where: { id: BigInt(seedId) }, data: { state: 'queued', nextDueAt: null } });
    await requeue();
    const unchanged = { ...fetchedRow('not stored'), status: 304, contentHash: null, links: null, recrawl: { ...recrawl, finding: 'unchanged' as const, keepData: true, notModified: true, intervalS: 5_400 } };
    await store.submit(result(crawlId, seedId, unchanged));
    let row = await db.page.findUniqueOrThrow({ where: { id: BigInt(seedId) } });
    assert.deepEqual([row.state, row.title, row.status, row.contentHash, row.links, row.data], ['fetched', 'stored title', 200, 'h', [`${SITE}/x`], { kept: true }]);
    assert.deepEqual([row.fetchCount, row.changeCount, row.notModified, row.etag, row.intervalS], [2, 0, true, '"v1"', 5_400]);
    assert.equal(row.nextDueAt?.getTime(), due.getTime());

    await requeue();
    await store.submit(result(crawlId, seedId, { ...fetchedRow(''), state: 'failed', errorCode: 'SPIDERD_HTTP_4XX', contentHash: null, title: null }));
    await store.close();
    row = await db.page.findUniqueOrThrow({ where: { id: BigInt(seedId) } });
    assert.deepEqual([row.state, row.etag, row.nextDueAt, row.fetchCount], ['failed', null, null, 2], 'no validators left for data that is no longer stored');
  });

  test('after close, submits are refused with a transient error', async () => {
    const store = newStore({ sql, batchSize: 64, flushMs: 5 });
    await store.close();
    await assert.rejects(store.submit(result(1, '1', fetchedRow('late'))), { code: 'SPIDERD_DB_UNAVAILABLE', transient: true });
  });
});
