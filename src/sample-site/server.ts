/**
 * The sample site's HTTP server (node:http, 127.0.0.1, port 0 by default): serves the pure
 * model from generate.ts and records every request path in arrival order.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { expectedPaths, routeFor, type ExpectedPaths, type SiteShape } from './generate.js';
import { renderPage } from './render-page.js';

export interface SampleSite {
  origin: string;
  seedUrl: string;
  /** Every request path (with query) in arrival order, e.g. '/robots.txt', '/page/17'. */
  requests: string[];
  expected: ExpectedPaths;
  close(): Promise<void>;
}

export interface SampleSiteOptions {
  /** Pages /page/1../page/N (default 300). */
  pages?: number;
  /** The crawl's maxDepth the expectations are computed for (default 10, the crawl default). */
  maxDepth?: number;
  host?: string;
  port?: number;
}

export async function startSampleSite(opts: SampleSiteOptions = {}): Promise<SampleSite> {
  const shape: SiteShape = { pages: opts.pages ?? 300, maxDepth: opts.maxDepth ?? 10 };
  if (!Number.isInteger(shape.pages) || shape.pages < 1) throw new RangeError(`pages must be a positive integer, got ${shape.pages}`);
  const requests: string[] = [];
  let origin = '';
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    requests.push(path);
    const route = routeFor(shape, path);
    switch (route.kind) {
      case 'robots':
        return send(res, 200, 'text/plain; charset=utf-8', route.body);
      case 'redirect':
        res.writeHead(route.status, { location: route.location, 'content-length': 0 });
        return res.end();
      case 'pdf':
        return send(res, 200, 'application/pdf', route.body);
      case 'not-found':
        return send(res, 404, 'text/html; charset=utf-8', '<!doctype html><title>Not found</title><h1>Not found</h1>');
      case 'page': {
        const html = renderPage(route, origin, path);
        const gzip = route.gzip && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
        return send(res, 200, 'text/html; charset=utf-8', html, gzip);
      }
    }
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  origin = `http://${host}:${address.port}`;
  const abs = (paths: string[]) => paths.map((p) => new URL(p, origin).toString());
  const e = expectedPaths(shape);
  return {
    origin,
    seedUrl: `${origin}/page/1`,
    requests,
    expected: {
      fetchable: abs(e.fetchable),
      disallowed: abs(e.disallowed),
      notFound: abs(e.notFound),
      nonHtml: abs(e.nonHtml),
      redirects: abs(e.redirects),
      nofollowOnly: abs(e.nofollowOnly),
      external: e.external,
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function send(res: http.ServerResponse, status: number, contentType: string, body: string, gzip = false): void {
  const bytes = gzip ? gzipSync(body) : Buffer.from(body, 'utf8');
  const headers: http.OutgoingHttpHeaders = { 'content-type': contentType, 'content-length': bytes.length };
  if (gzip) headers['content-encoding'] = 'gzip';
  res.writeHead(status, headers);
  res.end(bytes);
}
