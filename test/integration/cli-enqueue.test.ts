/** `spiderd enqueue` and `spiderd requeue`, run as real processes against a test database and Redis prefix. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { createDb, type Db } from '../../src/shared/db/client.js';
import { QUEUE_NAME } from '../../src/shared/keys.js';
import type { PageJob } from '../../src/shared/page-jobs.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { deletePrefix, REDIS_URL, testPrefix } from '../helpers/redis.js';
import { runCli, type TestEnv } from '../helpers/spiderd.js';

describe('spiderd enqueue', () => {
  let database: TestDatabase;
  let env: TestEnv;
  let db: Db;
  let redis: Redis;
  let queue: Queue<PageJob>;
  let dir: string;

  before(async () => {
    database = await createTestDatabase();
    env = { databaseUrl: database.url, prefix: testPrefix() };
    db = createDb({ databaseUrl: database.url });
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    queue = new Queue<PageJob>(QUEUE_NAME, { connection: redis, prefix: env.prefix });
    dir = await mkdtemp(path.join(os.tmpdir(), 'spiderd-cli-enqueue-'));
  });

  after(async () => {
    await queue.close();
    redis.disconnect();
    await db.$disconnect();
    await deletePrefix(env.prefix);
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const pagesOf = (name: string) => db.page.findMany({ where: { crawl: { name } }, orderBy: { id: 'asc' } });

  it('adds valid seeds at depth 0 with a job each, reports bad ones by line and exits 2', async () => {
    const file = path.join(dir, 'seeds.txt');
    await writeFile(file, '# docs\nhttps://docs.example.com/guide\n\nhttps://docs.example.com/api#top\nftp://files.example.com/x\nhttp://[::1\n');
    const r = await runCli(env, ['enqueue', 'https://DOCS.example.com:443/', 'javascript:alert(1)', '--crawl', 'docs', '--file', file]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /argument 2: scheme "javascript" is not http or https/);
    assert.match(r.stderr, /seeds\.txt line 5: scheme "ftp" is not http or https/);
    assert.match(r.stderr, /seeds\.txt line 6: not a valid URL/);
    assert.match(r.stdout, /crawl "docs": 3 new seeds, 0 already known/);
    const rows = await pagesOf('docs');
    // Rows are inserted in URL order (so concurrent writers never deadlock), not seed order.
    assert.deepEqual(rows.map((p) => p.url).sort(), ['https://docs.example.com/', 'https://docs.example.com/api', 'https://docs.example.com/guide']);
    for (const row of rows) {
      assert.equal(row.depth, 0);
      assert.equal(row.state, 'queued');
      const job = await queue.getJob(`p${row.id}`);
      assert.equal(job?.data.url, row.url, `job for ${row.url}`);
      assert.equal(job?.data.depth, 0);
    }
    const crawl = await db.crawl.findUniqueOrThrow({ where: { name: 'docs' } });
    assert.deepEqual(crawl.seedHosts, ['docs.example.com']);
    assert.equal((crawl.options as { scope: string }).scope, 'host');
  });

  it('says "already known" on re-enqueue and adds no second job', async () => {
    const before = await queue.count();
    const r = await runCli(env, ['enqueue', 'https://docs.example.com/guide', 'https://blog.example.com/', '--crawl', 'docs']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /crawl "docs": 1 new seed, 1 already known/);
    assert.equal(await queue.count(), before + 1);
    const crawl = await db.crawl.findUniqueOrThrow({ where: { name: 'docs' } });
    assert.deepEqual([...crawl.seedHosts].sort(), ['blog.example.com', 'docs.example.com']);
  });

  it('reads seeds from stdin and changes only the options given', async () => {
    const first = await runCli(env, ['enqueue', '--crawl', 'opts', '--file', '-', '--max-depth', '3', '--exclude', '\\.pdf$', '--exclude', '/login'], 'http://a.test/\n');
    assert.equal(first.code, 0, first.stderr);
    const second = await runCli(env, ['enqueue', 'http://b.test/', '--crawl', 'opts', '--per-host-delay', '0', '--ignore-robots']);
    assert.equal(second.code, 0, second.stderr);
    const crawl = await db.crawl.findUniqueOrThrow({ where: { name: 'opts' } });
    const options = crawl.options as Record<string, unknown>;
    assert.equal(options.maxDepth, 3);
    assert.deepEqual(options.exclude, ['\\.pdf$', '/login']);
    assert.equal(options.perHostDelayMs, 0);
    assert.equal(options.ignoreRobots, true);
    assert.equal(options.perHostConcurrency, 2, 'defaults kept');
  });

  it('reports seeds over --max-pages', async () => {
    const r = await runCli(env, ['enqueue', 'http://c.test/1', 'http://c.test/2', 'http://c.test/3', '--crawl', 'capped', '--max-pages', '2']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /2 new seeds, 0 already known, 1 over --max-pages/);
    assert.equal((await pagesOf('capped')).length, 2);
  });

  it('rejects a bad flag naming it and what is valid, writing nothing', async () => {
    const r = await runCli(env, ['enqueue', 'http://planet.test/', '--crawl', 'planet', '--scope', 'planet', '--max-depth', 'deep']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /SPIDERD_BAD_INPUT/);
    assert.match(r.stderr, /--scope: expected one of host, domain, any; got "planet"/);
    assert.match(r.stderr, /--max-depth: expected a whole number; got "deep"/);
    assert.equal(await db.crawl.findUnique({ where: { name: 'planet' } }), null);
    assert.equal(await db.page.count({ where: { url: 'http://planet.test/' } }), 0);
  });

  it('rejects a call with no seeds at all, and one without --crawl', async () => {
    const none = await runCli(env, ['enqueue', '--crawl', 'empty']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /SPIDERD_BAD_INPUT: no seeds/);
    const nameless = await runCli(env, ['enqueue', 'http://a.test/']);
    assert.equal(nameless.code, 2);
    assert.match(nameless.stderr, /--crawl <name> is required/);
    assert.equal(await db.crawl.findUnique({ where: { name: 'empty' } }), null);
  });

  it('requeue puts back the jobs of queued pages after Redis lost them', async () => {
    const rows = await pagesOf('docs');
    await queue.obliterate({ force: true });
    assert.equal(await queue.getJob(`p${rows[0]!.id}`), undefined);
    const r = await runCli(env, ['requeue', '--crawl', 'docs']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`crawl "docs": ${rows.length} queued pages`));
    for (const row of rows) assert.equal((await queue.getJob(`p${row.id}`))?.data.url, row.url);
    const unknown = await runCli(env, ['requeue', '--crawl', 'nope']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /SPIDERD_CRAWL_NOT_FOUND/);
  });

  it('requeue replaces a ghost job: Redis lost a job\'s hash but not its id, and a worker completed the empty hash', async () => {
    const rows = await pagesOf('docs');
    const ghostId = `p${rows[0]!.id}`;
    const jobKey = `${env.prefix}:${QUEUE_NAME}:${ghostId}`;
    // Part of Redis is lost (keys deleted one by one while crawlers ran): the job's hash, not its id in the wait list.
    await redis.del(jobKey);
    // A worker takes the id: BullMQ writes a hash with no data, and the job completes (as malformed, in a crawler).
    const connection = redis.duplicate();
    const worker = new Worker(QUEUE_NAME, async () => undefined, { connection, prefix: env.prefix });
    try {
      for (let i = 0; i < 200 && (await queue.getJobCountByTypes('wait', 'active')) > 0; i++) await sleep(50);
    } finally {
      await worker.close();
      connection.disconnect();
    }
    const ghost = await redis.hgetall(jobKey);
    assert.ok(ghost.finishedOn !== undefined && ghost.data === undefined, `a ghost job is left: ${JSON.stringify(ghost)}`);
    const r = await runCli(env, ['requeue', '--crawl', 'docs']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\(1 had a ghost job, with no data, removed first\)/);
    for (const row of rows) assert.equal((await queue.getJob(`p${row.id}`))?.data.url, row.url);
    assert.equal(await queue.getJobCountByTypes('wait'), rows.length);
  });
});
