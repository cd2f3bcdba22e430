/**
 * The benchmark site's fallback server (when nginx is not installed): serves the pre-rendered
 * files from memory with nginx's rules (static-site.ts): gzip_static, 301 for / and /old/N, 404.
 * argv: <docs dir> <port> [access log: one request path per line]
 */
import { createWriteStream, readFileSync, readdirSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const [docs, portRaw, logPath] = process.argv.slice(2);
if (!docs || !portRaw) throw new Error('usage: static-server <docs dir> <port> [access log]');
const accessLog = logPath ? createWriteStream(logPath, { flags: 'a' }) : null;
interface File {
  body: Buffer;
  mtimeMs: number;
}
const files = new Map<string, File>();
for (const rel of readdirSync(docs, { recursive: true }).map(String)) {
  try {
    const full = path.join(docs, rel);
    files.set(`/${rel.split(path.sep).join('/')}`, { body: readFileSync(full), mtimeMs: statSync(full).mtimeMs });
  } catch {
    // a directory
  }
}

/** The file as it is on disk now (re-read when its mtime moved). */
function current(p: string): File | undefined {
  const known = files.get(p);
  if (!known) return undefined;
  const full = path.join(docs!, p);
  const mtimeMs = statSync(full).mtimeMs;
  if (mtimeMs === known.mtimeMs) return known;
  const fresh = { body: readFileSync(full), mtimeMs };
  files.set(p, fresh);
  return fresh;
}

const typeOf = (p: string) => (p.endsWith('.txt') ? 'text/plain' : p.endsWith('.pdf') ? 'application/pdf' : 'text/html; charset=utf-8');

const server = http.createServer((req, res) => {
  accessLog?.write(`${req.url ?? '/'}\n`);
  const p = (req.url ?? '/').split('?')[0]!;
  const old = /^\/old\/(\d+)$/.exec(p);
  if (p === '/' || old) {
    res.writeHead(301, { location: old ? `/page/${old[1]}` : '/page/1', 'content-length': 0 });
    res.end();
    return;
  }
  const gz = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')) ? current(`${p}.gz`) : undefined;
  const file = gz ?? current(p);
  if (!file) {
    res.writeHead(404, { 'content-type': 'text/html', 'content-length': 9 });
    res.end('not found');
    return;
  }
  const seconds = Math.floor(file.mtimeMs / 1000);
  const etag = `"${seconds.toString(16)}-${file.body.length.toString(16)}"`;
  const lastModified = new Date(seconds * 1000).toUTCString();
  const validators = { etag, 'last-modified': lastModified };
  const inm = req.headers['if-none-match'];
  if (inm !== undefined ? inm === etag : req.headers['if-modified-since'] === lastModified) {
    res.writeHead(304, validators);
    res.end();
    return;
  }
  res.writeHead(200, { 'content-type': typeOf(p), 'content-length': file.body.length, ...validators, ...(gz ? { 'content-encoding': 'gzip' } : {}) });
  res.end(file.body);
});
server.keepAliveTimeout = 65_000;
server.listen(Number(portRaw), '127.0.0.1');
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
