/**
 * The benchmark's site: the sample-site model pre-rendered to files (15-30 KB pages, a third
 * pre-compressed with gzip) and served from ANOTHER process, so neither the plain loop nor the
 * daemon pays for rendering. nginx serves it when it is installed (as in the measurements the
 * README quotes); otherwise a small Node static server (static-server.ts) in a child process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, chmodSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { expectedPaths, routeFor, type SiteShape } from '../../src/sample-site/generate.js';
import { renderPage, type PageSize } from '../../src/sample-site/render-page.js';

/** About 15-30 KB of HTML per page, like the pages of the issue's measurement. */
export const LARGE_PAGES: PageSize = { minParagraphs: 22, spread: 24 };

export interface StaticSite {
  origin: string;
  seedUrl: string;
  /** Every /page/N URL (what the plain loop fetches). */
  pageUrls: string[];
  /** 'nginx' or 'node'. */
  server: string;
  pid: number;
  /** Bytes of HTML on disk (uncompressed), for the report. */
  htmlBytes: number;
  /** The served directory (the recrawl bench changes files in it). */
  docs: string;
  /** Requests per path so far, from the access log; empty unless started with accessLog. */
  requests(): Map<string, number>;
  close(): Promise<void>;
}

const SERVER_ENTRY = fileURLToPath(new URL('./static-server.js', import.meta.url));

/** accessLog: log every request's path (costs the server some CPU; the throughput bench leaves it off). */
export async function startStaticSite(pages: number, opts: { accessLog?: boolean } = {}): Promise<StaticSite> {
  const shape: SiteShape = { pages, maxDepth: 1000 };
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const root = mkdtempSync(path.join(os.tmpdir(), 'spiderd-bench-site-'));
  chmodSync(root, 0o755);
  const docs = path.join(root, 'www');
  const htmlBytes = render(shape, origin, docs);
  const nginx = findNginx();
  const log = opts.accessLog ? path.join(root, 'access.log') : null;
  const child = nginx ? startNginx(nginx, root, docs, port, log) : spawn(process.execPath, [SERVER_ENTRY, docs, String(port), ...(log ? [log] : [])], { stdio: ['ignore', 'ignore', 'inherit'] });
  await waitForPort(port, child);
  const e = expectedPaths(shape);
  return {
    origin,
    seedUrl: `${origin}/page/1`,
    pageUrls: e.fetchable.filter((p) => p.startsWith('/page/')).map((p) => `${origin}${p}`),
    server: nginx ? 'nginx' : 'node',
    pid: child.pid ?? -1,
    htmlBytes,
    docs,
    requests: () => countRequests(log),
    close: async () => {
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Writes every path the crawl can request; returns the HTML bytes written. */
function render(shape: SiteShape, origin: string, docs: string): number {
  const e = expectedPaths(shape);
  const paths = new Set(['/robots.txt', ...e.fetchable, ...e.disallowed, ...e.nonHtml, ...e.nofollowOnly]);
  let bytes = 0;
  for (const p of paths) {
    const route = routeFor(shape, p);
    const file = path.join(docs, p);
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
    if (route.kind === 'robots' || route.kind === 'pdf') writeFileSync(file, route.body, { mode: 0o644 });
    if (route.kind !== 'page') continue; // redirects and 404s are the server's rules
    const html = renderPage(route, origin, p, LARGE_PAGES);
    bytes += Buffer.byteLength(html);
    writeFileSync(file, html, { mode: 0o644 });
    if (route.gzip) writeFileSync(`${file}.gz`, gzipSync(html), { mode: 0o644 });
  }
  return bytes;
}

function findNginx(): string | null {
  for (const dir of ['/usr/sbin', '/usr/local/sbin', '/usr/local/nginx/sbin', ...(process.env.PATH ?? '').split(':')]) {
    const candidate = path.join(dir, 'nginx');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

function countRequests(log: string | null): Map<string, number> {
  const counts = new Map<string, number>();
  if (!log || !existsSync(log)) return counts;
  for (const line of readFileSync(log, 'utf8').split('\n')) if (line) counts.set(line, (counts.get(line) ?? 0) + 1);
  return counts;
}

function startNginx(bin: string, root: string, docs: string, port: number, log: string | null): ChildProcess {
  const conf = `
${process.getuid?.() === 0 ? 'user root;' : ''}
worker_processes 1;
daemon off;
pid ${root}/nginx.pid;
error_log ${root}/error.log warn;
events { worker_connections 4096; }
http {
  ${log ? `log_format uris '$request_uri';\n  access_log ${log} uris;` : 'access_log off;'}
  client_body_temp_path ${root}/tmp-body;
  proxy_temp_path ${root}/tmp-proxy;
  fastcgi_temp_path ${root}/tmp-fastcgi;
  uwsgi_temp_path ${root}/tmp-uwsgi;
  scgi_temp_path ${root}/tmp-scgi;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  keepalive_timeout 65;
  types { text/plain txt; application/pdf pdf; }
  default_type text/html;
  charset utf-8;
  gzip_static on;
  server {
    listen 127.0.0.1:${port};
    root ${docs};
    location = / { return 301 /page/1; }
    location ~ ^/old/([0-9]+)$ { return 301 /page/$1; }
    location / { try_files $uri =404; }
  }
}
`;
  writeFileSync(path.join(root, 'nginx.conf'), conf);
  return spawn(bin, ['-c', path.join(root, 'nginx.conf'), '-p', root], { stdio: ['ignore', 'ignore', 'inherit'] });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`the site server exited with code ${child.exitCode}`);
    const ok = await fetch(`http://127.0.0.1:${port}/robots.txt`).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the site server did not start');
}
