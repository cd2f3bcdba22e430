/**
 * The benchmark site's fallback server (when nginx is not installed): serves the pre-rendered
 * files from memory with nginx's rules (static-site.ts): gzip_static, 301 for / and /old/N, 404.
 * argv: <docs dir> <port>
 */
import { readFileSync, readdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const [docs, portRaw] = process.argv.slice(2);
if (!docs || !portRaw) throw new Error('usage: static-server <docs dir> <port>');
const files = new Map<string, Buffer>();
for (const rel of readdirSync(docs, { recursive: true }).map(String)) {
  try {
    files.set(`/${rel.split(path.sep).join('/')}`, readFileSync(path.join(docs, rel)));
  } catch {
    // a directory
  }
}

const typeOf = (p: string) => (p.endsWith('.txt') ? 'text/plain' : p.endsWith('.pdf') ? 'application/pdf' : 'text/html; charset=utf-8');

const server = http.createServer((req, res) => {
  const p = (req.url ?? '/').split('?')[0]!;
  const old = /^\/old\/(\d+)$/.exec(p);
  if (p === '/' || old) {
    res.writeHead(301, { location: old ? `/page/${old[1]}` : '/page/1', 'content-length': 0 });
    res.end();
    return;
  }
  const gz = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')) ? files.get(`${p}.gz`) : undefined;
  const body = gz ?? files.get(p);
  if (!body) {
    res.writeHead(404, { 'content-type': 'text/html', 'content-length': 9 });
    res.end('not found');
    return;
  }
  res.writeHead(200, { 'content-type': typeOf(p), 'content-length': body.length, ...(gz ? { 'content-encoding': 'gzip' } : {}) });
  res.end(body);
});
server.keepAliveTimeout = 65_000;
server.listen(Number(portRaw), '127.0.0.1');
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
