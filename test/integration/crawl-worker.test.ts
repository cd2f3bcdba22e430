/**
 * A real crawler process (dist/src/workers/main.js, forked like the supervisor does) crawls a
 * small site on 127.0.0.1 into a real database through a real Redis queue.
 */
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { after, afterEach, before, describe, test } from 'node:test';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { loadConfig, type Config } from '../../src/shared/config.js';
import { parseCrawlOptions } from '../../src/shared/crawl-options.js';
import { createDb, prismaRunner, type Db } from '../../src/shared/db/client.js';
import { enqueuePages, insertPages } from '../../src/shared/frontier.js';
import type { ChildMessage, ParentMessage } from '../../src/shared/ipc.js';
import type { PageJob } from '../../src/shared/page-jobs.js';
import { QUEUE_NAME } from '../../src/shared/keys.js';
import { createRedis } from '../../src/shared/redis.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { REDIS_URL, deletePrefix, testPrefix } from '../helpers/redis.js';

const MAIN = fileURLToPath(new URL('../../src/workers/main.js', import.meta.url));

const html = (title: string, body = '') => `<!doctype html><html><head><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`;

/** The fixture site. `requests` counts every request per path. */
function startSite(): Promise<{ server: Server; base: string; host: string; requests: Map<string, number>; maxInFlight(): number }> {
  const requests = new Map<string, number>();
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer((req, res) => {
    const p = req.url ?? '/';
    const n = (requests.get(p) ?? 0) + 1;
    requests.set(p, n);
    if (p === '/hang') return; // never answers (until the server closes its connections)
    if (p.startsWith('/slow/')) {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      setTimeout(() => {
        inFlight--;
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(html(`Slow ${p}`));
      }, 20);
      return;
    }
    const page = (status: number, body: string, type = 'text/html; charset=utf-8') => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    switch (p.split('?')[0]) {
      case '/robots.txt': return page(200, 'User-agent: *\nDisallow: /private/\n', 'text/plain');
      case '/': return page(200, html('Home', [
        '<a href="/a">a</a> <a href="b">b</a> <a href="/private/secret">secret</a> <a href="/missing">missing</a>',
        '<a href="/flaky">flaky</a> <a href="/broken">broken</a> <a href="/boom">boom</a> <a href="/image.png">img</a>',
        '<a href="/redirect-out">out</a> <a href="http://elsewhere.test/">elsewhere</a> <a rel="nofollow" href="/nofollowed">nf</a>',
        '<a href="/moved">moved</a> <a href="/loop-1">loop</a> <a href="/chain/1">chain</a>',
      ].join('\n')));
      case '/a': return page(200, html('Page A', '<a href="/">home</a> <a href="/b">b</a> <a href="/deep/1">deeper</a>'));
      case '/b': return page(200, html('Page B'));
      case '/deep/1': return page(200, html('Too deep to follow', '<a href="/deep/2">2</a>'));
      case '/boom': return page(200, html('Boom'));
      case '/missing': return page(404, html('Not found'));
      case '/flaky': return n === 1 ? page(500, 'try again') : page(200, html('Flaky'));
      case '/broken': return page(500, 'always broken');
      case '/image.png': return page(200, 'PNG', 'image/png');
      case '/redirect-out':
        res.writeHead(302, { location: 'http://elsewhere.test/landing' });
        return res.end();
      case '/moved': // to a page the home page also links to directly
        res.writeHead(301, { location: '/b' });
        return res.end();
      case '/loop-1':
        res.writeHead(302, { location: '/loop-2' });
        return res.end();
      case '/loop-2':
        res.writeHead(302, { location: '/loop-1' });
        return res.end();
      default: {
        const chain = /^\/chain\/(\d+)$/.exec(p);
        if (chain) {
          res.writeHead(301, { location: `/chain/${Number(chain[1]) + 1}` }); // endless: every hop a new URL
          return res.end();
        }
        return page(404, html('Not found'));
      }
    }
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, base: `http://127.0.0.1:${port}`, host: `127.0.0.1:${port}`, requests, maxInFlight: () => maxInFlight });
    });
  });
}

interface Child {
  proc: ChildProcess;
  messages: ChildMessage[];
  exited: Promise<number | null>;
  waitFor(type: ChildMessage['type']): Promise<ChildMessage>;
}

function startCrawler(config: Config, workerId = 'w1'): Child {
  const proc = fork(MAIN, [], { serialization: 'advanced', stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let output = '';
  proc.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const messages: ChildMessage[] = [];
  const waiters: Array<{ type: string; resolve(m: ChildMessage): void }> = [];
  proc.on('message', (m: ChildMessage) => {
    messages.push(m);
    for (const w of waiters.filter((w) => w.type === m.type)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(m);
    }
  });
  const exited = once(proc, 'exit').then(([code]) => {
    if (code !== 0) process.stderr.write(`crawler output:\n${output}\n`);
    return code as number | null;
  });
  proc.send({ type: 'init', config, daemonId: 'test-daemon', workerId } satisfies ParentMessage);
  return {
    proc,
    messages,
    exited,
    waitFor: (type) => {
      const seen = messages.find((m) => m.type === type);
      return seen ? Promise.resolve(seen) : new Promise((resolve) => waiters.push({ type, resolve }));
    },
  };
}

describe('crawler process', () => {
  let tdb: TestDatabase;
  let db: Db;
  let redis: Redis;
  let queue: Queue<PageJob>;
  let prefix: string;
  let site: Awaited<ReturnType<typeof startSite>>;
  let tmp: string;
  let child: Child | null = null;

  before(async () => {
    tdb = await createTestDatabase();
    db = createDb({ databaseUrl: tdb.url });
    prefix = testPrefix();
    redis = createRedis({ redisUrl: REDIS_URL }, 'test');
    queue = new Queue<PageJob>(QUEUE_NAME, { connection: redis, prefix });
    site = await startSite();
    tmp = await mkdtemp(path.join(os.tmpdir(), 'spiderd-crawl-worker-'));
  });

  afterEach(async () => {
    if (child && child.proc.exitCode === null && child.proc.signalCode === null) {
      child.proc.kill('SIGKILL');
      await child.exited;
      assert.fail('the crawler process was still running after the test');
    }
    child = null;
  });

  after(async () => {
    await queue.close();
    redis.disconnect();
    await db.$disconnect();
    site.server.close();
    site.server.closeAllConnections();
    await deletePrefix(prefix);
    await tdb.drop();
    await rm(tmp, { recursive: true, force: true });
  });

  function config(extra: Record<string, unknown> = {}): Config {
    return loadConfig({ redisUrl: REDIS_URL, databaseUrl: tdb.url, prefix, logLevel: 'warn', concurrency: 4, attempts: 3, retryBaseMs: 50, graceMs: 10_000, sampleIntervalMs: 100, leakSentinel: false, allowPrivateNetworks: true, handlerDirs: [tmp], ...extra }, {});
  }

  async function seed(name: string, urls: string[], options: Record<string, unknown>): Promise<number> {
    const crawl = await db.crawl.create({ data: { name, options: parseCrawlOptions({ perHostDelayMs: 0, perHostConcurrency: 4, ...options }), seedHosts: [site.host] } });
    const { inserted } = await db.$transaction((tx) => insertPages(prismaRunner(tx), crawl.id, { maxPages: 0, maxPagesPerHost: 0 }, urls.map((url) => ({ url, depth: 0 }))));
    await enqueuePages(queue, crawl.id, inserted, 3);
    return crawl.id;
  }

  /** Polls until the crawl has no queued page; fails if the crawler process dies meanwhile. */
  async function untilNothingQueued(crawlId: number, crawler: Child): Promise<void> {
    while ((await db.page.count({ where: { crawlId, state: 'queued' } })) > 0) {
      if (crawler.proc.exitCode !== null || crawler.proc.signalCode !== null) {
        assert.fail(`the crawler process exited (${crawler.proc.exitCode ?? crawler.proc.signalCode}) with pages still queued: ${JSON.stringify(crawler.messages.filter((m) => m.type === 'fatal'))}`);
      }
      await sleep(50);
    }
  }

  test('crawls a site: pages stored, robots and scope respected, failures classified, exit 0 on shutdown', async () => {
    const handler = path.join(tmp, 'handler.mjs');
    await writeFile(handler, `export default async function ({ url, $, crawl }) {
      if (url.endsWith('/boom')) throw new Error('boom on purpose');
      return { h1: $('h1').text(), crawl };
    }\n`);
    const crawlId = await seed('site', [`${site.base}/`], { maxDepth: 1, handler });
    const badHandlerCrawl = await seed('bad-handler', [`${site.base}/b?handler=missing`], { maxDepth: 0, handler: path.join(tmp, 'missing.mjs') });
    const disallowedSeed = await seed('disallowed-seed', [`${site.base}/private/seeded`], { maxDepth: 0 });
    await queue.add('page', { crawlId: 'not a number' } as unknown as PageJob, { jobId: 'malformed' });
    child = startCrawler(config());
    await child.waitFor('ready');
    await untilNothingQueued(crawlId, child);
    await untilNothingQueued(badHandlerCrawl, child);
    await untilNothingQueued(disallowedSeed, child);

    assert.equal(await queue.getJobState('malformed'), 'completed', 'a malformed job is completed, not retried forever');
    const bad = await db.page.findFirstOrThrow({ where: { crawlId: badHandlerCrawl } });
    assert.deepEqual([bad.state, bad.errorCode], ['failed', 'SPIDERD_HANDLER_INVALID']);

    const rows = await db.page.findMany({ where: { crawlId } });
    const by = new Map(rows.map((r) => [new URL(r.url).pathname, r]));
    const outcome = (p: string) => [by.get(p)?.state, by.get(p)?.errorCode ?? null];

    assert.deepEqual(outcome('/'), ['fetched', null]);
    assert.equal(by.get('/')!.title, 'Home');
    assert.deepEqual(by.get('/')!.data, { h1: 'Home', crawl: 'site' });
    assert.ok(by.get('/')!.links.includes(`${site.base}/nofollowed`), 'links stores every parsed link');
    assert.equal(by.get('/a')!.title, 'Page A');
    assert.equal(by.get('/b')!.title, 'Page B');
    assert.deepEqual(outcome('/private/secret'), ['skipped', 'SPIDERD_ROBOTS_DISALLOWED']);
    assert.equal(site.requests.get('/private/secret'), undefined, 'a robots-disallowed page is never requested');
    assert.equal(by.get('/private/secret')!.attempts, 0, 'a link robots.txt already disallows is stored skipped as it is discovered, never tried');
    assert.equal(by.get('/private/secret')!.error, `robots.txt disallows ${site.base}/private/secret for spiderd`);
    const seeded = await db.page.findFirstOrThrow({ where: { crawlId: disallowedSeed } });
    assert.deepEqual([seeded.state, seeded.errorCode, seeded.attempts], ['skipped', 'SPIDERD_ROBOTS_DISALLOWED', 1], 'a disallowed seed is skipped when its job runs');
    assert.equal(site.requests.get('/private/seeded'), undefined);
    assert.deepEqual(outcome('/missing'), ['failed', 'SPIDERD_HTTP_4XX']);
    assert.equal(by.get('/missing')!.status, 404);
    assert.deepEqual(outcome('/flaky'), ['fetched', null]);
    assert.equal(by.get('/flaky')!.attempts, 2);
    assert.equal(site.requests.get('/flaky'), 2, 'a 500 is retried');
    assert.deepEqual(outcome('/broken'), ['failed', 'SPIDERD_HTTP_5XX']);
    assert.equal(by.get('/broken')!.attempts, 3);
    assert.equal(site.requests.get('/broken'), 3, 'a persistent 500 is tried `attempts` times, then stored');
    assert.deepEqual(outcome('/boom'), ['failed', 'SPIDERD_HANDLER_FAILED']);
    assert.match(by.get('/boom')!.error ?? '', /boom on purpose/);
    assert.deepEqual(outcome('/image.png'), ['failed', 'SPIDERD_NOT_HTML']);
    assert.deepEqual(outcome('/redirect-out'), ['redirected', 'SPIDERD_OUT_OF_SCOPE']);
    assert.deepEqual([by.get('/redirect-out')!.status, by.get('/redirect-out')!.finalUrl], [302, 'http://elsewhere.test/landing']);
    // A redirect's target goes through the frontier: /b is linked directly and through /moved, and fetched once.
    assert.deepEqual(outcome('/moved'), ['redirected', null]);
    assert.deepEqual([by.get('/moved')!.status, by.get('/moved')!.finalUrl], [301, `${site.base}/b`]);
    assert.equal(site.requests.get('/b'), 1, 'a redirect target that is also linked directly is fetched once');
    // A loop ends when it reaches a known URL; an endless chain of new URLs ends at maxRedirects hops.
    assert.deepEqual([outcome('/loop-1'), outcome('/loop-2')], [['redirected', null], ['redirected', null]]);
    assert.deepEqual([site.requests.get('/loop-1'), site.requests.get('/loop-2')], [1, 1]);
    const chain = rows.filter((r) => r.url.includes('/chain/'));
    assert.equal(chain.length, 6, 'the linked URL, then one per redirect followed (maxRedirects, 5)');
    assert.deepEqual(outcome('/chain/6'), ['failed', 'SPIDERD_TOO_MANY_REDIRECTS']);
    assert.equal(by.get('/chain/7'), undefined);
    for (let i = 1; i <= 6; i++) assert.equal(site.requests.get(`/chain/${i}`), 1);
    assert.equal(by.get('/nofollowed'), undefined, 'rel=nofollow links are not followed');
    assert.equal(rows.some((r) => r.url.includes('elsewhere.test')), false, 'out-of-scope links are not followed');
    assert.equal(by.get('/deep/1'), undefined, 'links beyond maxDepth are not followed');
    assert.equal(site.requests.get('/robots.txt'), 1);
    for (const p of ['/', '/a', '/b', '/missing', '/boom', '/image.png']) assert.equal(site.requests.get(p), 1, `${p} fetched once`);

    child.proc.send({ type: 'shutdown', graceMs: 5_000 } satisfies ParentMessage);
    assert.equal(await child.exited, 0);
    assert.ok(child.messages.some((m) => m.type === 'stats' && m.sample.jobsDone > 0), 'memory samples carry the job count');
  });

  test('a busy host defers jobs instead of fetching in parallel: one request at a time, each page once', async () => {
    const urls = Array.from({ length: 8 }, (_, i) => `${site.base}/slow/${i}`);
    const crawlId = await seed('polite', urls, { maxDepth: 0, perHostConcurrency: 1, ignoreRobots: true });
    child = startCrawler(config({ concurrency: 4 }));
    await untilNothingQueued(crawlId, child);
    const rows = await db.page.findMany({ where: { crawlId } });
    assert.deepEqual(rows.map((r) => r.state), Array(8).fill('fetched'));
    assert.equal(site.maxInFlight(), 1, 'perHostConcurrency 1: never two requests to the host at once');
    for (const u of urls) assert.equal(site.requests.get(new URL(u).pathname), 1);
    child.proc.send({ type: 'shutdown', graceMs: 5_000 } satisfies ParentMessage);
    assert.equal(await child.exited, 0);
  });

  test('recycles itself after maxJobsPerWorker jobs: says why, exits 0, leaves the rest queued with their jobs', async () => {
    const urls = ['/r1', '/r2', '/r3', '/r4', '/r5', '/r6'].map((p) => `${site.base}${p}`);
    const crawlId = await seed('recycle', urls, { maxDepth: 0 });
    child = startCrawler(config({ maxJobsPerWorker: 2, concurrency: 1 }));
    const draining = await child.waitFor('draining');
    assert.equal(await child.exited, 0);
    assert.ok(draining.type === 'draining' && draining.reason === 'max-jobs');

    const rows = await db.page.findMany({ where: { crawlId } });
    const done = rows.filter((r) => r.state !== 'queued');
    assert.ok(done.length >= 2, `${done.length} pages stored before recycling`);
    const jobs = await queue.getJobs(['waiting', 'delayed', 'prioritized', 'active']);
    const queuedIds = rows.filter((r) => r.state === 'queued').map((r) => `p${r.id}`).sort();
    assert.deepEqual(jobs.filter((j) => j.data.crawlId === crawlId).map((j) => j.id).sort(), queuedIds, 'every page not stored still has its job');
    await queue.drain(true);
  });

  test('when grace runs out, in-flight jobs are abandoned to BullMQ (row still queued, job still in Redis) and the exit is 0', async () => {
    const crawlId = await seed('hang', [`${site.base}/hang`], { maxDepth: 0, ignoreRobots: true });
    child = startCrawler(config());
    while (!site.requests.has('/hang')) await sleep(20);
    child.proc.send({ type: 'shutdown', graceMs: 100 } satisfies ParentMessage);
    assert.equal(await child.exited, 0);
    const row = await db.page.findFirstOrThrow({ where: { crawlId } });
    assert.equal(row.state, 'queued');
    assert.equal(await queue.getJobState(`p${row.id}`), 'active', 'the job waits for its lock to lapse, then BullMQ redelivers it');
    await queue.obliterate({ force: true });
  });

  test('drains and exits 0 by itself when the supervisor goes away', async () => {
    child = startCrawler(config());
    await child.waitFor('ready');
    child.proc.disconnect();
    assert.equal(await child.exited, 0);
  });
});
