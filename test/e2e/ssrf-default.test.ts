/**
 * End to end, with default settings: a real daemon refuses every spelling of loopback, for
 * robots.txt and for the pages themselves; the server on 127.0.0.1 never sees a connection.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, queryDb, type TestDatabase } from '../helpers/db.js';
import { deletePrefix, testPrefix } from '../helpers/redis.js';
import { runCli, startDaemon, type Daemon, type TestEnv } from '../helpers/spiderd.js';

const SPELLINGS = ['127.0.0.1', 'localhost', '[::1]', '2130706433', '0x7f.1', '0177.0.0.1', '127.1', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '0.0.0.0', '[::]'];

describe('the SSRF guard is on by default', () => {
  let db: TestDatabase;
  let env: TestEnv;
  let daemon: Daemon;
  let server: http.Server;
  let port: number;
  let connections = 0;

  before(async () => {
    server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<title>should never be fetched</title>'));
    server.on('connection', () => (connections += 1));
    server.listen({ port: 0, host: '::', ipv6Only: false });
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
    db = await createTestDatabase();
    // The test helpers opt in to private networks for every other test; this one keeps the default.
    env = { databaseUrl: db.url, prefix: testPrefix(), extra: { SPIDERD_ALLOW_PRIVATE_NETWORKS: '' } };
    daemon = startDaemon(env, ['--workers', '1', '--concurrency', '4']);
  });

  after(async () => {
    if (daemon && daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
    server.closeAllConnections();
    server.close();
    await deletePrefix(env.prefix);
    await db?.drop();
  });

  for (const [crawl, flags] of [['with-robots', []], ['ignore-robots', ['--ignore-robots']]] as const) {
    test(`${crawl}: every loopback spelling ends as SPIDERD_ADDRESS_BLOCKED and nothing connects`, async () => {
      const seeds = SPELLINGS.map((host, i) => `http://${host}:${port}/${crawl}/${i}`);
      const enq = await runCli(env, ['enqueue', ...seeds, '--crawl', crawl, '--per-host-delay', '0', ...flags]);
      assert.equal(enq.code, 0, enq.stderr);
      const wait = await runCli(env, ['status', '--crawl', crawl, '--wait', '--json']);
      assert.equal(wait.code, 0, wait.stderr);
      const rows = await queryDb<{ url: string; state: string; error_code: string | null }>(
        db.url,
        'SELECT p.url, p.state, p.error_code FROM pages p JOIN crawls c ON c.id = p.crawl_id WHERE c.name = $1',
        [crawl],
      );
      assert.equal(rows.length, SPELLINGS.length, rows.map((r) => r.url).join(' '));
      for (const r of rows) assert.deepEqual([r.url, r.state, r.error_code], [r.url, 'failed', 'SPIDERD_ADDRESS_BLOCKED']);
      assert.equal(connections, 0, 'no TCP connection reached the server');
    });
  }

  test('the daemon drains and exits 0', async () => {
    daemon.child.kill('SIGTERM');
    assert.equal((await daemon.exited).code, 0, daemon.output());
  });
});
