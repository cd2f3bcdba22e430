/**
 * End to end, a fleet on one Redis and one database: a guarded daemon (the default) refuses a
 * site on 127.0.0.1, then a daemon whose operator allows private networks crawls the same site.
 * The guarded daemon's refusal is its own: it is not shared through the robots.txt cache, and
 * the opted-in daemon fetches robots.txt and every page.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { createTestDatabase, queryDb, type TestDatabase } from '../helpers/db.js';
import { REDIS_URL, deletePrefix, testPrefix } from '../helpers/redis.js';
import { runCli, startDaemon, type Daemon, type TestEnv } from '../helpers/spiderd.js';

const PAGES = 5;

function page(i: number): string {
  const next = i + 1 < PAGES ? `<a href="/p/${i + 1}">next</a>` : '';
  return `<!doctype html><title>page ${i}</title><p>page ${i}</p>${next}`;
}

describe('the SSRF guard is per daemon, not shared through the robots.txt cache', () => {
  let db: TestDatabase;
  let server: http.Server;
  let port: number;
  const requests: string[] = [];
  const prefix = testPrefix();
  const daemons: Daemon[] = [];
  let guardedEnv: TestEnv;
  let openEnv: TestEnv;

  before(async () => {
    server = http.createServer((req, res) => {
      requests.push(req.url ?? '');
      if (req.url === '/robots.txt') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('User-agent: *\nDisallow: /private/\n');
      const m = /^\/p\/(\d+)$/.exec(req.url ?? '');
      if (m) return void res.writeHead(200, { 'content-type': 'text/html' }).end(page(Number(m[1])));
      res.writeHead(404).end();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
    db = await createTestDatabase();
    guardedEnv = { databaseUrl: db.url, prefix, extra: { SPIDERD_ALLOW_PRIVATE_NETWORKS: '' } };
    openEnv = { databaseUrl: db.url, prefix, extra: { SPIDERD_ALLOW_PRIVATE_NETWORKS: 'true' } };
  });

  after(async () => {
    for (const d of daemons) if (d.child.exitCode === null && d.child.signalCode === null) d.child.kill('SIGKILL');
    server.closeAllConnections();
    server.close();
    await deletePrefix(prefix);
    await db?.drop();
  });

  async function pagesOf(crawl: string) {
    return queryDb<{ url: string; state: string; error_code: string | null }>(
      db.url,
      'SELECT p.url, p.state, p.error_code FROM pages p JOIN crawls c ON c.id = p.crawl_id WHERE c.name = $1 ORDER BY p.url',
      [crawl],
    );
  }

  test('a guarded daemon refuses the site and shares no verdict', async () => {
    const daemon = startDaemon(guardedEnv, ['--workers', '1', '--concurrency', '2']);
    daemons.push(daemon);
    const enq = await runCli(guardedEnv, ['enqueue', `http://127.0.0.1:${port}/p/0`, '--crawl', 'guarded', '--per-host-delay', '0']);
    assert.equal(enq.code, 0, enq.stderr);
    const wait = await runCli(guardedEnv, ['status', '--crawl', 'guarded', '--wait', '--json']);
    assert.equal(wait.code, 0, wait.stderr);
    const rows = await pagesOf('guarded');
    assert.deepEqual(
      rows.map((r) => [r.state, r.error_code]),
      [['failed', 'SPIDERD_ADDRESS_BLOCKED']],
    );
    assert.deepEqual(requests, [], 'nothing reached the site');
    const redis = new Redis(REDIS_URL);
    try {
      const stored = await redis.keys(`${prefix}:robots:*`);
      assert.deepEqual(stored, [], 'no robots.txt verdict is stored in Redis');
    } finally {
      redis.disconnect();
    }
    daemon.child.kill('SIGTERM');
    assert.equal((await daemon.exited).code, 0, daemon.output());
  });

  test('a daemon that allows private networks, started right after, crawls every page of the same site', async () => {
    const daemon = startDaemon(openEnv, ['--workers', '1', '--concurrency', '2']);
    daemons.push(daemon);
    const enq = await runCli(openEnv, ['enqueue', `http://127.0.0.1:${port}/p/0`, '--crawl', 'opted-in', '--per-host-delay', '0']);
    assert.equal(enq.code, 0, enq.stderr);
    const wait = await runCli(openEnv, ['status', '--crawl', 'opted-in', '--wait', '--json']);
    assert.equal(wait.code, 0, wait.stderr);
    const rows = await pagesOf('opted-in');
    assert.equal(rows.length, PAGES, JSON.stringify(rows));
    for (const r of rows) assert.deepEqual([r.url, r.state, r.error_code], [r.url, 'fetched', null]);
    assert.ok(requests.includes('/robots.txt'), 'the opted-in daemon fetched robots.txt itself');
    daemon.child.kill('SIGTERM');
    assert.equal((await daemon.exited).code, 0, daemon.output());
  });
});
