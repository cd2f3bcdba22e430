/**
 * RobotsGate against real Redis and real HTTP servers on 127.0.0.1: one fetch per origin for
 * every process, the compact shared form, the backoff of an unavailable robots.txt (shared,
 * doubling, Retry-After), the total deadline, and the SSRF guard on robots.txt and its redirects.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Agent } from 'undici';
import { SpiderdError } from '../../src/shared/errors.js';
import { redisKeys } from '../../src/shared/keys.js';
import { createGuardedConnector } from '../../src/workers/fetch/guarded-connector.js';
import { createHttpAgent, type FetchLimits } from '../../src/workers/fetch/http-agent.js';
import { RobotsGate, type RobotsGateDeps } from '../../src/workers/robots/robots-gate.js';
import { REDIS_URL, deletePrefix, testPrefix } from '../helpers/redis.js';

type Route = (req: http.IncomingMessage, res: http.ServerResponse) => void;

const limits: FetchLimits = { connectTimeoutMs: 2000, headersTimeoutMs: 2000, bodyTimeoutMs: 2000, maxBodyBytes: 1 << 20, maxDecompressedBytes: 1 << 22, maxRedirects: 5 };

describe('RobotsGate', () => {
  const prefix = testPrefix();
  const keys = redisKeys(prefix);
  const log = pino({ level: 'silent' });
  const redisA = new Redis(REDIS_URL, { lazyConnect: true });
  const redisB = new Redis(REDIS_URL, { lazyConnect: true });
  const agentA = createHttpAgent(limits, { allowPrivateNetworks: true });
  const agentB = createHttpAgent(limits, { allowPrivateNetworks: true });
  const servers: http.Server[] = [];
  /** Every request any test server received: "host path user-agent". */
  const seen: string[] = [];

  async function serve(route: Route, host = '127.0.0.1'): Promise<{ origin: string; port: number; hits: () => number }> {
    let hits = 0;
    const server = http.createServer((req, res) => {
      hits += 1;
      seen.push(`${req.headers.host} ${req.url} ${req.headers['user-agent']}`);
      route(req, res);
    });
    servers.push(server);
    server.listen(0, host);
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    return { origin: `http://127.0.0.1:${port}`, port, hits: () => hits };
  }

  const gate = (overrides: Partial<RobotsGateDeps> = {}) =>
    new RobotsGate({ redis: redisA, keys, agent: agentA, log, robotsAgent: 'spiderd', userAgent: 'spiderd-test/1', fetchDeadlineMs: 10_000, ...overrides });

  async function failure(p: Promise<unknown>): Promise<SpiderdError> {
    try {
      await p;
    } catch (err) {
      assert.ok(err instanceof SpiderdError, `expected a SpiderdError, got ${String(err)}`);
      return err;
    }
    assert.fail('expected the check to throw');
  }

  /** As if the origin's backoff had run out (no waiting in tests). */
  async function expireBackoff(origin: string): Promise<void> {
    const key = keys.robotsBackoff(origin);
    const record = JSON.parse((await redisA.get(key)) ?? 'null') as { until: number };
    await redisA.set(key, JSON.stringify({ ...record, until: Date.now() - 1 }), 'PX', 60_000);
  }

  before(async () => {
    await Promise.all([redisA.connect(), redisB.connect()]);
  });

  after(async () => {
    await Promise.all([agentA.close(), agentB.close()]);
    for (const s of servers) {
      s.closeAllConnections();
      s.close();
    }
    await deletePrefix(prefix);
    redisA.disconnect();
    redisB.disconnect();
  });

  it('two processes checking many URLs at once fetch robots.txt exactly once, and share a compact parsed form', async () => {
    const body = `# ${'a long comment '.repeat(2000)}\nUser-agent: otherbot\nDisallow: /\n\nUser-agent: *\nDisallow: /private/\n`;
    const site = await serve((_req, res) => setTimeout(() => res.writeHead(200, { 'content-type': 'text/plain' }).end(body), 200));
    const gateA = gate();
    const gateB = gate({ redis: redisB, agent: agentB });
    const urls = Array.from({ length: 40 }, (_, i) => `${site.origin}/${i % 4 === 0 ? 'private' : 'pages'}/${i}`);
    const answers = await Promise.all(urls.flatMap((u) => [gateA.check(u), gateB.check(u)]));
    assert.equal(site.hits(), 1);
    assert.equal(answers.filter((a) => !a.allowed).length, 20);
    assert.deepEqual(await gate().check(`${site.origin}/private/y`), { allowed: false, crawlDelayMs: 0 }, 'a later process reads the shared copy');
    assert.equal(site.hits(), 1);
    const stored = (await redisA.get(keys.robots('spiderd', site.origin))) ?? '';
    assert.deepEqual(JSON.parse(stored), { kind: 'rules', status: 200, policy: { allow: [], disallow: ['/private/'] } });
    assert.ok(stored.length < 100 && body.length > 30_000, 'the body is not stored');
    assert.ok((await redisA.pttl(keys.robots('spiderd', site.origin))) > 60 * 60_000);
  });

  it("matches the robots agent token, not the User-Agent header it sends", async () => {
    const site = await serve((_req, res) => res.writeHead(200).end('User-agent: mozilla\nDisallow: /\n\nUser-agent: spiderd\nDisallow: /mine/\n'));
    const g = gate({ userAgent: 'Mozilla/5.0 (compatible; spiderd/0.1; +mailto:ops@example.com)' });
    assert.equal((await g.check(`${site.origin}/page`)).allowed, true);
    assert.equal((await g.check(`${site.origin}/mine/x`)).allowed, false);
    assert.ok(seen.includes(`127.0.0.1:${site.port} /robots.txt Mozilla/5.0 (compatible; spiderd/0.1; +mailto:ops@example.com)`));
  });

  it('a 5xx makes the origin unavailable (transient, not disallowed), backing off 1 min then 2 min, shared by every process', async () => {
    let status = 500;
    const site = await serve((_req, res) => (status === 200 ? res.writeHead(200).end('User-agent: *\nDisallow: /no\n') : res.writeHead(status).end('down')));
    const first = await failure(gate().check(`${site.origin}/a`));
    assert.equal(first.code, 'SPIDERD_ROBOTS_UNAVAILABLE');
    assert.equal(first.transient, true);
    assert.ok(first.retryAfterMs! >= 45_000 && first.retryAfterMs! <= 75_000, `first wait ${first.retryAfterMs}`);
    assert.equal(first.details?.['failures'], 1);
    const other = await failure(gate({ redis: redisB, agent: agentB }).check(`${site.origin}/b`));
    assert.equal(other.code, 'SPIDERD_ROBOTS_UNAVAILABLE', 'another process waits out the same backoff');
    assert.equal(site.hits(), 1, 'no fetch while backing off');

    await expireBackoff(site.origin);
    const second = await failure(gate().check(`${site.origin}/a`));
    assert.equal(site.hits(), 2);
    assert.equal(second.details?.['failures'], 2);
    assert.ok(second.retryAfterMs! >= 90_000 && second.retryAfterMs! <= 150_000, `second wait ${second.retryAfterMs}`);

    status = 200;
    await expireBackoff(site.origin);
    const g = gate();
    assert.equal((await g.check(`${site.origin}/yes`)).allowed, true);
    assert.equal((await g.check(`${site.origin}/no`)).allowed, false);
    assert.equal(await redisA.exists(keys.robotsBackoff(site.origin)), 0, 'a success clears the backoff');
  });

  it("a 429 or 503 waits at least the server's Retry-After", async () => {
    const site = await serve((_req, res) => res.writeHead(429, { 'retry-after': '1800' }).end());
    const err = await failure(gate().check(`${site.origin}/x`));
    assert.equal(err.code, 'SPIDERD_ROBOTS_UNAVAILABLE');
    assert.ok(err.retryAfterMs! > 1_790_000 && err.retryAfterMs! <= 1_800_000, `wait ${err.retryAfterMs}`);
  });

  it('an unreachable server and a robots.txt slower than the total deadline are unavailable, not disallowed', async () => {
    const closed = http.createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await once(closed, 'close');
    assert.equal((await failure(gate().check(`http://127.0.0.1:${port}/x`))).code, 'SPIDERD_ROBOTS_UNAVAILABLE');

    // Headers at once, then a byte every 300 ms: no pause trips bodyTimeout, only the deadline ends it.
    const tarpit = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const timer = setInterval(() => res.write('#'), 300);
      res.on('close', () => clearInterval(timer));
    });
    const err = await failure(gate({ fetchDeadlineMs: 1_000 }).check(`${tarpit.origin}/x`));
    assert.equal(err.code, 'SPIDERD_ROBOTS_UNAVAILABLE');
    assert.match(err.message, /timed out/);
  });

  it('a 4xx allows everything', async () => {
    const site = await serve((_req, res) => res.writeHead(404).end());
    assert.deepEqual(await gate().check(`${site.origin}/private/anything`), { allowed: true, crawlDelayMs: 0 });
  });

  it('with the SSRF guard on, robots.txt of a loopback origin is never requested: SPIDERD_ADDRESS_BLOCKED', async () => {
    const site = await serve((_req, res) => res.writeHead(200).end('User-agent: *\nDisallow:\n'));
    const guarded = createHttpAgent(limits, { allowPrivateNetworks: false });
    try {
      for (const origin of [site.origin, `http://localhost:${site.port}`]) {
        const err = await failure(gate({ agent: guarded }).check(`${origin}/page`));
        assert.equal(err.code, 'SPIDERD_ADDRESS_BLOCKED');
        assert.equal(err.transient, false);
        assert.equal(await redisA.get(keys.robots('spiderd', origin)), null, 'the guard\'s verdict is not shared through Redis');
      }
      assert.equal(site.hits(), 0);
      // A gate that allows private networks (another daemon) fetches robots.txt and obeys it.
      assert.deepEqual(await gate().check(`${site.origin}/page`), { allowed: true, crawlDelayMs: 0 });
      assert.equal(site.hits(), 1);
    } finally {
      await guarded.close();
    }
  });

  it("a 'blocked' verdict found in Redis (written by an older daemon) is ignored: robots.txt is fetched", async () => {
    const site = await serve((_req, res) => res.writeHead(200).end('User-agent: *\nDisallow: /private\n'));
    await redisA.set(keys.robots('spiderd', site.origin), JSON.stringify({ kind: 'blocked', message: 'refused by another daemon' }), 'PX', 60_000);
    assert.deepEqual(await gate().check(`${site.origin}/private/x`), { allowed: false, crawlDelayMs: 0 });
    assert.equal(site.hits(), 1);
  });

  it('a robots.txt redirect to a refused address: that hop is never requested and the origin counts as having no robots.txt', async () => {
    const internal = await serve((_req, res) => res.writeHead(200).end('User-agent: *\nDisallow: /\n'), '0.0.0.0');
    const site = await serve((_req, res) => res.writeHead(302, { location: `http://127.0.0.2:${internal.port}/latest/meta-data` }).end());
    const refuse127002 = new Agent({ connect: createGuardedConnector({ timeout: 2000 }, (a) => (a === '127.0.0.2' ? 'refused by this test' : null)) });
    try {
      assert.deepEqual(await gate({ agent: refuse127002 }).check(`${site.origin}/page`), { allowed: true, crawlDelayMs: 0 });
      assert.equal(site.hits(), 1);
      assert.equal(internal.hits(), 0, `nothing reached 127.0.0.2:${internal.port}`);
      assert.equal(await redisA.get(keys.robots('spiderd', site.origin)), null, 'a verdict that depends on the guard is kept in the process only');
    } finally {
      await refuse127002.close();
    }
  });
});
