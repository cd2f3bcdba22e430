/**
 * The recrawl scheduler's claims against a real PostgreSQL and Redis queue: due pages move into
 * the queue oldest first, in batches, never twice, one claimer at a time, and not past the
 * queue's cap; `spiderd recrawl`'s round and a policy set on an existing crawl schedule the
 * right pages.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { createPgPool } from '../../src/shared/db/pool.js';
import { createSql, type Sql } from '../../src/shared/db/sql.js';
import { redisKeys } from '../../src/shared/keys.js';
import { PageQueues } from '../../src/shared/page-queues.js';
import { claimDue, scheduleDue } from '../../src/shared/recrawl/claim-due.js';
import { applyPolicy, makeRoundDue } from '../../src/shared/recrawl/make-due.js';
import { createRedis } from '../../src/shared/redis.js';
import { createTestDatabase, queryDb as query, type TestDatabase } from '../helpers/db.js';
import { REDIS_URL, deletePrefix, testPrefix } from '../helpers/redis.js';

describe('recrawl scheduling', () => {
  let tdb: TestDatabase;
  let pool: pg.Pool;
  let sql: Sql;
  let redis: Redis;
  let queue: PageQueues;
  let prefix: string;

  before(async () => {
    tdb = await createTestDatabase();
    pool = createPgPool({ databaseUrl: tdb.url }, { max: 4 });
    sql = createSql({ databaseUrl: tdb.url });
    prefix = testPrefix();
    redis = createRedis({ redisUrl: REDIS_URL }, 'test');
    queue = new PageQueues(redis, redisKeys(prefix));
  });

  after(async () => {
    await queue.close();
    redis.disconnect();
    await pool.end();
    await sql.close();
    await deletePrefix(prefix);
    await tdb.drop();
  });

  /** A crawl with `due` pages due (oldest first by id), `later` pages due in an hour and `failed` pages by error code. */
  async function crawlWith(name: string, due: number, later: number, failed: Record<string, number> = {}): Promise<number> {
    const [crawl] = await query<{ id: number }>(tdb.url, `INSERT INTO crawls (name, options, seed_hosts, updated_at) VALUES ($1, '{}', '{a.test}', now()) RETURNING id`, [name]);
    const id = crawl!.id;
    await query(tdb.url, `INSERT INTO pages (crawl_id, url, depth, state, fetched_at, fetch_count, next_due_at)
      SELECT $1::int, 'https://a.test/' || $2::text || '/' || n, 1, 'fetched', now() AT TIME ZONE 'UTC' - interval '2 hours', 1,
             CASE WHEN n <= $3::int THEN now() AT TIME ZONE 'UTC' - make_interval(secs => $3::int - n + 1) ELSE now() AT TIME ZONE 'UTC' + interval '1 hour' END
      FROM generate_series(1, $3::int + $4::int) AS n`, [id, name, due, later]);
    for (const [code, n] of Object.entries(failed)) {
      await query(tdb.url, `INSERT INTO pages (crawl_id, url, depth, state, error_code) SELECT $1::int, 'https://a.test/' || $2::text || '/f/' || $3::text || '/' || n, 1, 'failed', $3::text FROM generate_series(1, $4::int) AS n`, [id, name, code, n]);
    }
    return id;
  }

  const states = (crawlId: number) => query<{ state: string; due: boolean; n: number }>(tdb.url, `SELECT state::text, next_due_at IS NOT NULL AS due, count(*)::int AS n FROM pages WHERE crawl_id = $1 GROUP BY 1, 2 ORDER BY 1, 2`, [crawlId]);

  test('due pages move into the queue in batches, oldest first, with one job each; pages not due stay', async () => {
    const crawlId = await crawlWith('batches', 2_300, 200);
    const first = await scheduleDue(pool, async () => queue, { attempts: 2, batch: 1_000, maxPerPass: 2_000, maxWaiting: 50_000 });
    assert.deepEqual(first, { claimed: 2_000, ran: true });
    const rest = await scheduleDue(pool, async () => queue, { attempts: 2, batch: 1_000, maxPerPass: 2_000, maxWaiting: 50_000 });
    assert.equal(rest.claimed, 300);
    assert.deepEqual(await states(crawlId), [{ state: 'fetched', due: true, n: 200 }, { state: 'queued', due: false, n: 2_300 }]);
    const jobs = await queue.getJobs(['waiting', 'prioritized']);
    assert.equal(new Set(jobs.filter((j) => j.data.crawlId === crawlId).map((j) => j.id)).size, 2_300);
    assert.ok(jobs.every((j) => j.data.requeued === true), 'the crawler reads each row (and its validators) before fetching');
    await queue.obliterate();
  });

  test('concurrent claims never take a page twice', async () => {
    const crawlId = await crawlWith('concurrent', 3_000, 0);
    const seen = new Set<string>();
    for (;;) {
      const rounds = await Promise.all([1, 2, 3, 4].map(() => claimDue(pool, crawlId, 250)));
      const rows = rounds.flatMap((r) => r ?? []);
      for (const r of rows) {
        assert.equal(seen.has(r.id), false, `page ${r.id} claimed twice`);
        seen.add(r.id);
      }
      if (rows.length === 0 && rounds.some((r) => r !== null)) break;
    }
    assert.equal(seen.size, 3_000);
  });

  test('while another daemon holds the claim lock, a claim takes nothing', async () => {
    const crawlId = await crawlWith('locked', 10, 0);
    const other = await pool.connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT pg_advisory_xact_lock(7300018)');
      assert.equal(await claimDue(pool, crawlId, 100), null);
      await other.query('COMMIT');
    } finally {
      other.release();
    }
    assert.equal((await claimDue(pool, crawlId, 100))?.length, 10);
  });

  test('no page moves while the queue already holds maxWaiting jobs', async () => {
    await crawlWith('capped', 500, 0);
    const r1 = await scheduleDue(pool, async () => queue, { attempts: 2, batch: 1_000, maxPerPass: 10_000, maxWaiting: 300 });
    assert.equal(r1.claimed, 300);
    const r2 = await scheduleDue(pool, async () => queue, { attempts: 2, batch: 1_000, maxPerPass: 10_000, maxWaiting: 300 });
    assert.equal(r2.claimed, 0);
    await queue.obliterate();
  });

  test('a round makes fetched and transiently failed pages due; a new policy schedules fetched pages from their last fetch', async () => {
    const crawlId = await crawlWith('round', 0, 10, { SPIDERD_FETCH_TIMEOUT: 2, SPIDERD_HTTP_4XX: 3 });
    assert.equal(await sql.transaction((tx) => makeRoundDue(tx, crawlId)), 12, '10 fetched + 2 timeouts, not the 404s');
    await sql.transaction((tx) => applyPolicy(tx, crawlId, { mode: 'fixed', everyS: 60 }));
    const rows = await query<{ state: string; late: boolean; interval_s: number | null }>(tdb.url, `SELECT state::text, next_due_at < now() AT TIME ZONE 'UTC' AS late, interval_s FROM pages WHERE crawl_id = $1 AND state = 'fetched'`, [crawlId]);
    assert.ok(rows.every((r) => r.late && r.interval_s === 60), 'fetched two hours ago at 60 s: due now');
    await sql.transaction((tx) => applyPolicy(tx, crawlId, null));
    assert.deepEqual((await states(crawlId)).filter((s) => s.due), [], '--recrawl off unschedules every page');
  });
});
