/**
 * `spiderd start` warns once when Redis may evict keys (maxmemory-policy other than
 * noeviction), against a Redis of its own started with allkeys-lru; and not on the shared
 * Redis, which runs with noeviction.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { deletePrefix, testPrefix } from '../helpers/redis.js';
import { eventually, startDaemon, type TestEnv } from '../helpers/spiderd.js';

const WARNING = /maxmemory-policy is allkeys-lru, not noeviction/;

let db: TestDatabase;
let redis: ChildProcess;
let port: number;
const prefix = testPrefix();

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const p = (server.address() as net.AddressInfo).port;
  server.close();
  await once(server, 'close');
  return p;
}

before(async () => {
  db = await createTestDatabase();
  port = await freePort();
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory', '64mb', '--maxmemory-policy', 'allkeys-lru'], { stdio: 'ignore' });
  await eventually(async () => {
    const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      return (await probe.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      probe.disconnect();
    }
  }, 'the test Redis to answer', 100, 100);
});

after(async () => {
  redis?.kill('SIGTERM');
  if (redis && redis.exitCode === null) await once(redis, 'exit');
  await deletePrefix(prefix);
  await db?.drop();
});

async function startAndStop(env: TestEnv): Promise<string> {
  const daemon = startDaemon(env, ['--workers', '1', '--log-level', 'info']);
  await eventually(async () => daemon.output().includes('crawler process ready') || daemon.child.exitCode !== null, 'the daemon to start');
  daemon.child.kill('SIGTERM');
  assert.equal((await daemon.exited).code, 0, daemon.output());
  return daemon.output();
}

test('a Redis with maxmemory-policy allkeys-lru gets one warning at start', async () => {
  const out = await startAndStop({ databaseUrl: db.url, prefix, redisUrl: `redis://127.0.0.1:${port}` });
  const warnings = out.split('\n').filter((l) => WARNING.test(l));
  assert.equal(warnings.length, 1, out);
  assert.equal((JSON.parse(warnings[0]!) as { level: number; maxmemoryPolicy: string }).maxmemoryPolicy, 'allkeys-lru');
});

test('the shared Redis (noeviction) gets none', async () => {
  const out = await startAndStop({ databaseUrl: db.url, prefix });
  assert.doesNotMatch(out, /maxmemory-policy is/);
});
