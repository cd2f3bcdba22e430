import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { SpiderdError } from '../../src/shared/errors.js';
import { createHttpAgent, type FetchLimits } from '../../src/workers/fetch/http-agent.js';
import { fetchPage, type FetchedPage, type FetchedRedirect } from '../../src/workers/fetch/fetch-page.js';

const HTML = '<!doctype html><html><head><title>Hello</title></head><body><a href="/next">next</a></body></html>';
const MiB = 1024 * 1024;
/** 50 MiB that gzip to about 50 KB, compressed once: compressing per request outlasted the 300 ms headers timeout on a loaded machine. */
const BOMB = zlib.gzipSync(Buffer.alloc(50 * MiB, 'a'));
const limits: FetchLimits = {
  connectTimeoutMs: 2000,
  headersTimeoutMs: 300,
  bodyTimeoutMs: 2000,
  maxBodyBytes: MiB,
  maxDecompressedBytes: 2 * MiB,
  maxRedirects: 3,
};
const DEADLINE_MS = 1_500;

const routes: Record<string, (req: http.IncomingMessage, res: http.ServerResponse) => void> = {
  '/page': (_q, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(HTML),
  '/gzip': (_q, res) => res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip' }).end(zlib.gzipSync(HTML)),
  '/br': (_q, res) => res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'br' }).end(zlib.brotliCompressSync(HTML)),
  '/deflate': (_q, res) => res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'deflate' }).end(zlib.deflateSync(HTML)),
  '/bomb': (_q, res) => res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip' }).end(BOMB),
  '/corrupt': (_q, res) => res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip' }).end('this is not gzip at all'),
  '/big': (_q, res) => {
    res.writeHead(200, { 'content-type': 'text/html' }); // chunked: no Content-Length to trust
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let sent = 0;
    const more = () => {
      while (sent < 3 * MiB && !res.destroyed) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', more);
      }
      res.end();
    };
    more();
  },
  '/big-declared': (_q, res) => res.writeHead(200, { 'content-type': 'text/html', 'content-length': String(2 * MiB) }).end(Buffer.alloc(2 * MiB, 'y')),
  '/404': (_q, res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>not found</h1>'),
  '/500': (_q, res) => res.writeHead(500).end('boom'),
  '/429': (_q, res) => res.writeHead(429, { 'retry-after': '120' }).end(),
  '/503': (_q, res) => res.writeHead(503, { 'retry-after': new Date(Date.now() + 2 * 3_600_000).toUTCString() }).end(),
  '/r1': (_q, res) => res.writeHead(301, { location: '/r2' }).end(),
  '/r2': (_q, res) => res.writeHead(302, { location: 'r3#frag' }).end('moved'),
  '/r3': (_q, res) => res.writeHead(307, { location: '/PAGE/../page' }).end(),
  '/loop': (_q, res) => res.writeHead(302, { location: '/loop' }).end(),
  '/away': (_q, res) => res.writeHead(301, { location: 'http://elsewhere.example/x' }).end(),
  '/no-location': (_q, res) => res.writeHead(302).end(),
  '/bad-location': (_q, res) => res.writeHead(302, { location: 'mailto:x@example.com' }).end(),
  '/pdf': (_q, res) => res.writeHead(200, { 'content-type': 'application/pdf' }).end(Buffer.alloc(512 * 1024, 1)),
  '/latin1': (_q, res) => res.writeHead(200, { 'content-type': 'text/html; charset=ISO-8859-1' }).end(Buffer.from('<title>Caf\u00e9 cr\u00e8me</title>', 'latin1')),
  '/meta-charset': (_q, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(Buffer.from('<meta charset="windows-1252"><title>na\u00efve \u00a3</title>', 'latin1')),
  '/bogus-charset': (_q, res) => res.writeHead(200, { 'content-type': 'text/html; charset=no-such-thing' }).end('<title>caf\u00e9</title>'),
  '/stall': () => undefined, // never answers
  // A tarpit: headers at once, then one byte every 200 ms for ever (each gap is far below bodyTimeout).
  '/tarpit': (_q, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write('x')), 200);
  },
  '/reset': (req) => req.socket.destroy(),
};

describe('fetchPage', () => {
  let server: http.Server;
  let base: string;
  const agent = createHttpAgent(limits, { allowPrivateNetworks: true });
  const seen: string[] = [];

  before(async () => {
    server = http.createServer((req, res) => {
      seen.push(req.url ?? '');
      const route = routes[req.url ?? ''];
      if (route) route(req, res);
      else res.writeHead(404).end();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    server.close();
    await agent.close();
  });

  const fetchAny = (path: string) => fetchPage(agent, `${base}${path}`, { userAgent: 'spiderd-test', limits, deadlineMs: DEADLINE_MS });
  const get = async (path: string): Promise<FetchedPage> => {
    const r = await fetchAny(path);
    assert.equal(r.kind, 'page', `${path} answered a redirect`);
    return r as FetchedPage;
  };
  const redirect = async (path: string): Promise<FetchedRedirect> => {
    const r = await fetchAny(path);
    assert.equal(r.kind, 'redirect', `${path} did not answer a redirect`);
    return r as FetchedRedirect;
  };

  async function failure(path: string): Promise<SpiderdError> {
    try {
      await fetchAny(path);
    } catch (err) {
      assert.ok(err instanceof SpiderdError, `expected a SpiderdError, got ${String(err)}`);
      return err;
    }
    assert.fail(`expected ${path} to fail`);
  }

  it('fetches a 200 HTML page with its metadata', async () => {
    const page = await get('/page');
    assert.equal(page.status, 200);
    assert.equal(page.html, HTML);
    assert.equal(page.url, `${base}/page`);
    assert.equal(page.contentType, 'text/html; charset=utf-8');
    assert.equal(page.bytes, Buffer.byteLength(HTML));
    assert.match(page.contentHash, /^[0-9a-f]{64}$/);
    assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
  });

  it('decompresses gzip, br and deflate bodies to the same page', async () => {
    const plain = await get('/page');
    for (const path of ['/gzip', '/br', '/deflate']) {
      const page = await get(path);
      assert.equal(page.html, HTML, path);
      assert.equal(page.contentHash, plain.contentHash, path);
      assert.ok(page.bytes < Buffer.byteLength(HTML), `${path} counts compressed bytes`);
    }
  });

  it('stops a decompression bomb with SPIDERD_FETCH_TOO_LARGE', async () => {
    const err = await failure('/bomb');
    assert.equal(err.code, 'SPIDERD_FETCH_TOO_LARGE');
    assert.equal(err.transient, false);
  });

  it('rejects an oversized body, declared or not, with SPIDERD_FETCH_TOO_LARGE', async () => {
    assert.equal((await failure('/big')).code, 'SPIDERD_FETCH_TOO_LARGE');
    assert.equal((await failure('/big-declared')).code, 'SPIDERD_FETCH_TOO_LARGE');
  });

  it('reports a corrupt compressed body as SPIDERD_FETCH_BAD_ENCODING', async () => {
    const err = await failure('/corrupt');
    assert.equal(err.code, 'SPIDERD_FETCH_BAD_ENCODING');
    assert.equal(err.transient, false);
  });

  it('makes 404 permanent and 500 transient', async () => {
    const notFound = await failure('/404');
    assert.equal(notFound.code, 'SPIDERD_HTTP_4XX');
    assert.equal(notFound.transient, false);
    assert.deepEqual(notFound.details, { status: 404, contentType: 'text/html', finalUrl: `${base}/404` });
    const boom = await failure('/500');
    assert.equal(boom.code, 'SPIDERD_HTTP_5XX');
    assert.equal(boom.transient, true);
  });

  it('honours Retry-After on 429 (seconds) and 503 (HTTP date, capped at 1 h)', async () => {
    const slow = await failure('/429');
    assert.equal(slow.code, 'SPIDERD_HTTP_429');
    assert.equal(slow.transient, true);
    assert.equal(slow.retryAfterMs, 120_000);
    const busy = await failure('/503');
    assert.equal(busy.code, 'SPIDERD_HTTP_5XX');
    assert.equal(busy.retryAfterMs, 3_600_000);
  });

  it('does not follow a redirect: one request, the normalized target returned for the frontier', async () => {
    const before = seen.length;
    const r = await redirect('/r2');
    assert.deepEqual([r.status, r.target, r.problem], [302, `${base}/r3`, null]);
    assert.deepEqual(seen.slice(before), ['/r2'], 'only the redirecting URL itself was requested');
    assert.equal((await redirect('/r3')).target, `${base}/page`, 'dot segments and case normalized');
    assert.equal((await redirect('/away')).target, 'http://elsewhere.example/x');
  });

  it('reports a redirect without a usable Location with its reason and no target', async () => {
    const none = await redirect('/no-location');
    assert.deepEqual([none.status, none.target], [302, null]);
    assert.match(none.problem ?? '', /no Location header/);
    const mailto = await redirect('/bad-location');
    assert.equal(mailto.target, null);
    assert.match(mailto.problem ?? '', /not http or https/);
  });

  it('ends a tarpit (headers, then a byte every 200 ms) at the total fetch deadline: SPIDERD_FETCH_TIMEOUT, transient', async () => {
    const started = performance.now();
    const err = await failure('/tarpit');
    assert.equal(err.code, 'SPIDERD_FETCH_TIMEOUT');
    assert.equal(err.transient, true);
    assert.match(err.message, /fetch deadline/);
    assert.ok(performance.now() - started >= DEADLINE_MS - 50, 'it was the deadline, not an earlier error');
  });

  it('refuses non-HTML with SPIDERD_NOT_HTML (permanent)', async () => {
    const err = await failure('/pdf');
    assert.equal(err.code, 'SPIDERD_NOT_HTML');
    assert.equal(err.transient, false);
    assert.deepEqual(err.details, { status: 200, contentType: 'application/pdf', finalUrl: `${base}/pdf` });
  });

  it('decodes the charset from Content-Type, else from <meta charset>, else UTF-8', async () => {
    assert.equal((await get('/latin1')).html, '<title>Caf\u00e9 cr\u00e8me</title>');
    assert.equal((await get('/meta-charset')).html, '<meta charset="windows-1252"><title>na\u00efve \u00a3</title>');
    assert.equal((await get('/bogus-charset')).html, '<title>caf\u00e9</title>');
  });

  it('turns a server that never sends headers into SPIDERD_FETCH_TIMEOUT (transient)', async () => {
    const err = await failure('/stall');
    assert.equal(err.code, 'SPIDERD_FETCH_TIMEOUT');
    assert.equal(err.transient, true);
  });

  it('turns refused and reset connections into SPIDERD_FETCH_NETWORK (transient)', async () => {
    const reset = await failure('/reset');
    assert.equal(reset.code, 'SPIDERD_FETCH_NETWORK');
    assert.equal(reset.transient, true);
    const closed = http.createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await once(closed, 'close');
    const refused = await fetchPage(agent, `http://127.0.0.1:${port}/`, { userAgent: 'x', limits, deadlineMs: DEADLINE_MS }).catch((e: unknown) => e);
    assert.ok(refused instanceof SpiderdError);
    assert.equal(refused.code, 'SPIDERD_FETCH_NETWORK');
    assert.ok(refused.cause instanceof Error);
  });

  it('asks for compressed bodies and sends the user agent', async () => {
    let headers: http.IncomingHttpHeaders = {};
    routes['/echo'] = (req, res) => {
      headers = req.headers;
      res.writeHead(200, { 'content-type': 'text/html' }).end('ok');
    };
    await get('/echo');
    assert.equal(headers['accept-encoding'], 'gzip, deflate, br');
    assert.equal(headers['user-agent'], 'spiderd-test');
  });
});
