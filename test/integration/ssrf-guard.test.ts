/**
 * The SSRF guard on the real fetch path (the crawler's undici agent + fetchPage) against a real
 * server on loopback that counts every TCP connection and request: with the default agent,
 * no spelling of a loopback address gets a connection, let alone a request.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Agent } from 'undici';
import { SpiderdError } from '../../src/shared/errors.js';
import { fetchPage } from '../../src/workers/fetch/fetch-page.js';
import { createGuardedConnector } from '../../src/workers/fetch/guarded-connector.js';
import { createHttpAgent, type FetchLimits } from '../../src/workers/fetch/http-agent.js';

const limits: FetchLimits = { connectTimeoutMs: 2000, headersTimeoutMs: 2000, bodyTimeoutMs: 2000, maxBodyBytes: 1 << 20, maxDecompressedBytes: 1 << 22, maxRedirects: 3 };

/** Host spellings of loopback and "this host" a URL may carry (the WHATWG parser normalizes some). */
const SPELLINGS = ['127.0.0.1', 'localhost', '[::1]', '2130706433', '0x7f.1', '0177.0.0.1', '127.1', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '0.0.0.0', '[::]', '127.0.0.2'];

describe('SSRF guard on the crawler agent', () => {
  let server: http.Server;
  let port: number;
  let connections = 0;
  const requests: string[] = [];
  const guarded = createHttpAgent(limits, { allowPrivateNetworks: false });
  const open = createHttpAgent(limits, { allowPrivateNetworks: true });

  before(async () => {
    server = http.createServer((req, res) => {
      requests.push(`${req.headers.host ?? ''}${req.url ?? ''}`);
      if (req.url === '/to-blocked') res.writeHead(302, { location: `http://127.0.0.2:${port}/target` }).end();
      else res.writeHead(200, { 'content-type': 'text/html' }).end('<title>loopback</title>');
    });
    server.on('connection', () => (connections += 1));
    // Dual-stack, so [::1] and IPv4 spellings would all reach it if the guard let them.
    server.listen({ port: 0, host: '::', ipv6Only: false });
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });

  after(async () => {
    await Promise.all([guarded.close(), open.close()]);
    server.closeAllConnections();
    server.close();
  });

  async function blocked(agent: Agent, url: string): Promise<SpiderdError> {
    try {
      await fetchPage(agent, url, { userAgent: 'spiderd-test', limits, deadlineMs: 10_000 });
    } catch (err) {
      assert.ok(err instanceof SpiderdError, `${url}: expected a SpiderdError, got ${String(err)}`);
      return err;
    }
    assert.fail(`${url} was fetched`);
  }

  it('refuses every spelling of a loopback or unspecified address: permanent SPIDERD_ADDRESS_BLOCKED, no connection made', async () => {
    for (const host of SPELLINGS) {
      const err = await blocked(guarded, `http://${host}:${port}/page`);
      assert.equal(err.code, 'SPIDERD_ADDRESS_BLOCKED', `${host}: ${err.code} ${err.message}`);
      assert.equal(err.transient, false, `${host}: a blocked address is not retried`);
      assert.match(err.message, /--allow-private-networks/);
    }
    assert.equal(connections, 0, 'not even a TCP connection reached the server');
    assert.deepEqual(requests, []);
  });

  it('with the operator opt-in the same server is reached', async () => {
    const page = await fetchPage(open, `http://127.0.0.1:${port}/page`, { userAgent: 'spiderd-test', limits, deadlineMs: 10_000 });
    assert.equal(page.status, 200);
    assert.equal(requests.length, 1);
  });

  it('checks each redirect hop at connect time: a hop to a refused address is never requested', async () => {
    // A policy that refuses only 127.0.0.2, so the first URL (127.0.0.1) is allowed and the
    // redirect's target is the one refused. A page's redirect target is fetched as a page of its
    // own (it goes through the frontier), through the same guarded agent.
    const connector = createGuardedConnector({ timeout: limits.connectTimeoutMs }, (address) => (address === '127.0.0.2' ? 'refused by this test' : null));
    const agent = new Agent({ connect: connector });
    const before = requests.length;
    try {
      const hop = await fetchPage(agent, `http://127.0.0.1:${port}/to-blocked`, { userAgent: 'spiderd-test', limits, deadlineMs: 10_000 });
      assert.equal(hop.kind, 'redirect');
      const err = await blocked(agent, (hop as { target: string }).target);
      assert.equal(err.code, 'SPIDERD_ADDRESS_BLOCKED');
      assert.match(err.message, /127\.0\.0\.2/);
      assert.deepEqual(requests.slice(before), [`127.0.0.1:${port}/to-blocked`], 'only the first hop was requested');
    } finally {
      await agent.close();
    }
  });

  it('a host name is checked against what it resolves to, the address actually connected to', async () => {
    // localhost resolves to loopback: the policy sees the resolved address, not the name.
    const seen: string[] = [];
    const connector = createGuardedConnector({ timeout: limits.connectTimeoutMs }, (address) => {
      seen.push(address);
      return null;
    });
    const agent = new Agent({ connect: connector });
    try {
      const page = await fetchPage(agent, `http://localhost:${port}/page`, { userAgent: 'spiderd-test', limits, deadlineMs: 10_000 });
      assert.equal(page.status, 200);
      assert.ok(seen.length >= 2, 'checked at lookup and on the connected socket');
      assert.ok(seen.every((a) => a === '127.0.0.1' || a === '::1' || a === '::ffff:127.0.0.1'), seen.join(','));
    } finally {
      await agent.close();
    }
  });
});
