import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { redisKeys } from '../../src/shared/keys.js';
import { createHttpAgent, type FetchLimits } from '../../src/workers/fetch/http-agent.js';
import { RobotsGate } from '../../src/workers/robots/robots-gate.js';
import { rulesFromResponse } from '../../src/workers/robots/robots-rules.js';
import { REDIS_URL, deletePrefix, testPrefix } from '../helpers/redis.js';

const ROBOTS = 'http://example.com/robots.txt';
const TXT = `
User-agent: spiderd
Disallow: /private/
Allow: /private/ok.html
Crawl-delay: 2.5

User-agent: *
Disallow: /
Allow: /public/
Disallow: /public/*.pdf$
Disallow: /search?*q=
Crawl-delay: 600
`;

describe('robots rules', () => {
  const rules = rulesFromResponse(ROBOTS, 200, TXT);

  it('applies the group of the matching user agent, else the * group', () => {
    assert.equal(rules.isAllowed('http://example.com/page', 'spiderd/0.1 (+https://x)'), true);
    assert.equal(rules.isAllowed('http://example.com/private/secret', 'spiderd'), false);
    assert.equal(rules.isAllowed('http://example.com/private/ok.html', 'spiderd'), true);
    assert.equal(rules.isAllowed('http://example.com/page', 'OtherBot/2.0'), false);
    assert.equal(rules.isAllowed('http://example.com/public/x', 'OtherBot/2.0'), true);
  });

  it('understands * wildcards and the $ end anchor', () => {
    const ua = 'OtherBot';
    assert.equal(rules.isAllowed('http://example.com/public/doc.pdf', ua), false);
    assert.equal(rules.isAllowed('http://example.com/public/doc.pdf.html', ua), true);
    const search = rulesFromResponse(ROBOTS, 200, 'User-agent: *\nDisallow: /search?*q=\nDisallow: /*.pdf$');
    assert.equal(search.isAllowed('http://example.com/search?lang=en&q=x', ua), false);
    assert.equal(search.isAllowed('http://example.com/search?lang=en', ua), true);
    assert.equal(search.isAllowed('http://example.com/a/b.pdf', ua), false);
    assert.equal(search.isAllowed('http://example.com/a/b.pdfx', ua), true);
  });

  it('turns Crawl-delay seconds into ms, capped at 60 s', () => {
    assert.equal(rules.crawlDelayMs('spiderd'), 2500);
    assert.equal(rules.crawlDelayMs('OtherBot'), 60_000);
    assert.equal(rulesFromResponse(ROBOTS, 200, 'User-agent: *\nDisallow:').crawlDelayMs('x'), 0);
  });

  it('allows everything after a 404 (or any 4xx), disallows everything after a 5xx or no answer', () => {
    for (const status of [404, 401, 403, 410]) {
      assert.equal(rulesFromResponse(ROBOTS, status, '').isAllowed('http://example.com/anything', 'spiderd'), true, `status ${status}`);
    }
    for (const status of [500, 503, null]) {
      assert.equal(rulesFromResponse(ROBOTS, status, TXT).isAllowed('http://example.com/public/x', 'spiderd'), false, `status ${status}`);
    }
  });

  it('allows everything for an empty robots.txt', () => {
    assert.equal(rulesFromResponse(ROBOTS, 200, '').isAllowed('http://example.com/x', 'spiderd'), true);
  });
});

describe('RobotsGate', () => {
  const prefix = testPrefix();
  const keys = redisKeys(prefix);
  const limits: FetchLimits = { connectTimeoutMs: 2000, headersTimeoutMs: 2000, bodyTimeoutMs: 2000, maxBodyBytes: 1 << 20, maxDecompressedBytes: 1 << 22, maxRedirects: 5 };
  const log = pino({ level: 'silent' });
  const robotsRequests = new Map<string, number>();
  let server: http.Server;
  let origin: string;
  let broken: http.Server;
  let brokenOrigin: string;
  let brokenRequests = 0;
  const redisA = new Redis(REDIS_URL, { lazyConnect: true });
  const redisB = new Redis(REDIS_URL, { lazyConnect: true });
  const agentA = createHttpAgent(limits, { allowPrivateNetworks: true });
  const agentB = createHttpAgent(limits, { allowPrivateNetworks: true });

  before(async () => {
    server = http.createServer((req, res) => {
      const path = req.url ?? '/';
      if (path.endsWith('robots.txt')) robotsRequests.set(path, (robotsRequests.get(path) ?? 0) + 1);
      if (path === '/robots.txt') {
        // A slow answer, so the concurrent checks really overlap.
        setTimeout(() => res.writeHead(200, { 'content-type': 'text/plain' }).end('User-agent: *\nDisallow: /private/\n'), 200);
      } else {
        res.writeHead(404).end();
      }
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    broken = http.createServer((_req, res) => {
      brokenRequests += 1;
      res.writeHead(500).end('oops');
    });
    broken.listen(0, '127.0.0.1');
    await once(broken, 'listening');
    brokenOrigin = `http://127.0.0.1:${(broken.address() as AddressInfo).port}`;
    await Promise.all([redisA.connect(), redisB.connect()]);
  });

  after(async () => {
    await Promise.all([agentA.close(), agentB.close()]);
    for (const s of [server, broken]) {
      s.closeAllConnections();
      s.close();
    }
    await deletePrefix(prefix);
    redisA.disconnect();
    redisB.disconnect();
  });

  it('two processes checking many URLs of one origin at once fetch robots.txt exactly once', async () => {
    const gateA = new RobotsGate({ redis: redisA, keys, agent: agentA, limits, log });
    const gateB = new RobotsGate({ redis: redisB, keys, agent: agentB, limits, log });
    const urls = Array.from({ length: 40 }, (_, i) => `${origin}/${i % 4 === 0 ? 'private' : 'pages'}/${i}`);
    const answers = await Promise.all(urls.flatMap((u) => [gateA.check(u, 'spiderd'), gateB.check(u, 'spiderd')]));
    assert.equal(robotsRequests.get('/robots.txt'), 1);
    assert.equal(answers.filter((a) => !a.allowed).length, 20);
    assert.deepEqual(await gateA.check(`${origin}/private/x`, 'spiderd'), { allowed: false, crawlDelayMs: 0 });
    assert.deepEqual(await gateB.check(`${origin}/open`, 'spiderd'), { allowed: true, crawlDelayMs: 0 });
    // A third "process" started later reads the shared copy instead of fetching again.
    const gateC = new RobotsGate({ redis: redisA, keys, agent: agentA, limits, log });
    assert.equal((await gateC.check(`${origin}/private/y`, 'spiderd')).allowed, false);
    assert.equal(robotsRequests.get('/robots.txt'), 1);
    const stored = JSON.parse((await redisA.get(keys.robots(origin))) ?? '{}') as { status: number; body: string };
    assert.equal(stored.status, 200);
    assert.match(stored.body, /Disallow: \/private\//);
    assert.ok((await redisA.pttl(keys.robots(origin))) > 60 * 60_000);
  });

  it('disallows a whole origin whose robots.txt answers 500, and retries it after 5 minutes, not 24 h', async () => {
    const gate = new RobotsGate({ redis: redisA, keys, agent: agentA, limits, log });
    assert.equal((await gate.check(`${brokenOrigin}/index.html`, 'spiderd')).allowed, false);
    assert.equal((await gate.check(`${brokenOrigin}/other.html`, 'spiderd')).allowed, false);
    assert.equal(brokenRequests, 1);
    const ttl = await redisA.pttl(keys.robots(brokenOrigin));
    assert.ok(ttl > 0 && ttl <= 5 * 60_000, `ttl ${ttl}`);
  });

  it('disallows an origin that cannot be reached, and allows everything when robots.txt is 404', async () => {
    const gate = new RobotsGate({ redis: redisB, keys, agent: agentB, limits, log });
    const closed = http.createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await once(closed, 'close');
    assert.equal((await gate.check(`http://127.0.0.1:${port}/x`, 'spiderd')).allowed, false);

    const missing = http.createServer((_req, res) => res.writeHead(404).end());
    missing.listen(0, '127.0.0.1');
    await once(missing, 'listening');
    try {
      const url = `http://127.0.0.1:${(missing.address() as AddressInfo).port}/private/anything`;
      assert.deepEqual(await gate.check(url, 'spiderd'), { allowed: true, crawlDelayMs: 0 });
    } finally {
      missing.closeAllConnections();
      missing.close();
    }
  });
});
