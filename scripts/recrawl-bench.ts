/**
 * `npm run bench:recrawl`: the speed of a `spiderd recrawl` round against the first crawl, on the
 * bench's local site (nginx when installed, else the Node server with nginx's validators: ETag,
 * Last-Modified, 304). One daemon with default settings crawls the site; then --change percent
 * of its pages get a new body (a new mtime and size, so a new ETag), `spiderd recrawl` makes
 * every page due and the round runs until nothing is due or queued. Prints both speeds, the 304
 * share, the changed pages found, and the round's costs: Redis commands and peak memory of the
 * queue, PostgreSQL statements and rows written per page, and the size of the next-due index per
 * million pages. Flags: --pages N (default 20000), --change P (default 5).
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { Redis } from 'ioredis';
import pg from 'pg';
import { enableStatementStats, pgCounters, redisCounters, redisDelta } from './bench/costs.js';
import { startStaticSite } from './bench/static-site.js';

const BIN = fileURLToPath(new URL('../src/bin/spiderd.js', import.meta.url));
const { values } = parseArgs({ options: { pages: { type: 'string', default: '20000' }, change: { type: 'string', default: '5' } } });
const pages = Number(values.pages);
const changePercent = Number(values.change);
const adminUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const f0 = (n: number) => n.toFixed(0);
const f1 = (n: number) => n.toFixed(1);
const f2 = (n: number) => n.toFixed(2);

console.log(`spiderd recrawl bench — ${new Date().toISOString()}`);
console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown cpu'} x${os.cpus().length}, ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB, ${os.type()} ${os.release()}, node ${process.version}; load average ${os.loadavg().map(f2).join(' ')}`);

const site = await startStaticSite(pages);
const dbName = `spiderd_rbench_${randomBytes(4).toString('hex')}`;
const dbUrl = withDatabase(adminUrl, dbName);
const prefix = `spr${randomBytes(4).toString('hex')}`;
const env = { ...process.env, DATABASE_URL: dbUrl, REDIS_URL: redisUrl, SPIDERD_PREFIX: prefix, SPIDERD_LOG_LEVEL: 'warn', SPIDERD_ALLOW_PRIVATE_NETWORKS: 'true', SPIDERD_RECRAWL_TICK_MS: '1000' };
const cli = (args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`spiderd ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
};
const redis = new Redis(redisUrl);
const admin = new pg.Client({ connectionString: withDatabase(adminUrl, 'postgres') });
await admin.connect();
const statementStats = await enableStatementStats(admin);
cli(['migrate']);
const daemon = spawn(process.execPath, [BIN, 'start'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
const db = new pg.Client({ connectionString: dbUrl });
try {
  console.log(`site: ${site.pageUrls.length} HTML pages served by ${site.server}; daemon with default settings, SPIDERD_RECRAWL_TICK_MS=1000`);
  await db.connect();
  await db.query('SET enable_seqscan = off'); // the polls are index probes, not scans
  const started = performance.now();
  cli(['enqueue', site.seedUrl, '--crawl', 'bench', '--per-host-delay', '0', '--per-host-concurrency', '1000', '--max-depth', '1000']);
  const crawlId = (await db.query<{ id: number }>(`SELECT id FROM crawls WHERE name = 'bench'`)).rows[0]!.id;
  await until(crawlId);
  const firstSeconds = (performance.now() - started) / 1000;
  const first = await counts(crawlId);
  console.log(`\nfirst crawl: ${first.fetched} pages fetched in ${f1(firstSeconds)} s = ${f0(first.fetched / firstSeconds)} pages/s`);

  const changed = changePages(site.docs, site.pageUrls, changePercent);
  const redisBefore = await redisCounters(redis);
  const pgBefore = await pgCounters(admin, dbName);
  const memBefore = await usedMemory();
  let memPeak = memBefore;
  const sampler = setInterval(() => void usedMemory().then((m) => (memPeak = Math.max(memPeak, m))), 200);
  const roundStart = performance.now();
  const due = Number(/: (\d+) pages? due now/.exec(cli(['recrawl', '--crawl', 'bench']))?.[1] ?? 0);
  await until(crawlId);
  const roundSeconds = (performance.now() - roundStart) / 1000;
  clearInterval(sampler);
  const redisCost = redisDelta(redisBefore, await redisCounters(redis));
  const pgAfter = await pgCounters(admin, dbName);
  const round = await counts(crawlId);
  const refetched = round.refetched;
  console.log(`recrawl round: ${due} pages due, ${refetched} refetched in ${f1(roundSeconds)} s = ${f0(refetched / roundSeconds)} pages/s, ${f2(firstSeconds / roundSeconds)}x faster than the first crawl`);
  console.log(`  ${round.notModified} answered 304 (${f1((100 * round.notModified) / Math.max(1, refetched))}%), ${round.changed} found changed (${changed} page files changed on disk), ${round.rows - first.rows} rows added`);
  console.log(`  Redis: ${f1(redisCost.calls / refetched)} commands per due page; queue memory peak +${f1((memPeak - memBefore) / 1024 / 1024)} MB over the round (Redis used_memory, other tenants included)`);
  const statements = statementStats && pgAfter.statements !== null && pgBefore.statements !== null ? `${f2((pgAfter.statements - pgBefore.statements) / refetched)} statements, ` : '';
  console.log(`  PostgreSQL: ${statements}${f2((pgAfter.commits - pgBefore.commits) / refetched)} commits, ${f2((pgAfter.rowsWritten - pgBefore.rowsWritten) / refetched)} rows written per due page`);
  const index = (await db.query<{ bytes: string; rows: string }>(`SELECT pg_relation_size('pages_crawl_id_next_due_at_idx')::text AS bytes, (SELECT count(*) FROM pages)::text AS rows`)).rows[0]!;
  const perPage = Number(index.bytes) / Number(index.rows);
  console.log(`  scheduled pages at rest: 0 bytes in Redis; the next-due index is ${f0(perPage)} bytes per page = ${f0(perPage)} MB per million pages`);
} finally {
  daemon.kill('SIGTERM');
  await new Promise((r) => daemon.once('exit', r));
  await db.end().catch(() => undefined);
  await deleteKeys(prefix);
  redis.disconnect();
  await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  await admin.end();
  await site.close();
}

/** Polls (index probes only) until the crawl has nothing queued and nothing due. */
async function until(crawlId: number): Promise<void> {
  for (;;) {
    await new Promise((r) => setTimeout(r, 100));
    const probe = (await db.query<{ busy: boolean; fetched: boolean }>(
      `SELECT (EXISTS (SELECT 1 FROM pages WHERE crawl_id = $1 AND state = 'queued') OR EXISTS (SELECT 1 FROM pages WHERE crawl_id = $1 AND next_due_at <= now() AT TIME ZONE 'UTC')) AS busy,
              EXISTS (SELECT 1 FROM pages WHERE crawl_id = $1 AND state = 'fetched') AS fetched`,
      [crawlId],
    )).rows[0]!;
    if (!probe.busy && probe.fetched) return;
  }
}

async function counts(crawlId: number) {
  const r = (await db.query<Record<string, string>>(
    `SELECT count(*) FILTER (WHERE state = 'fetched') AS fetched, count(*) AS rows, count(*) FILTER (WHERE fetch_count >= 2) AS refetched,
            count(*) FILTER (WHERE fetch_count >= 2 AND not_modified) AS not_modified, count(*) FILTER (WHERE change_count > 0) AS changed
     FROM pages WHERE crawl_id = $1`,
    [crawlId],
  )).rows[0]!;
  return { fetched: Number(r.fetched), rows: Number(r.rows), refetched: Number(r.refetched), notModified: Number(r.not_modified), changed: Number(r.changed) };
}

/** Appends a comment to `percent` of the page files (and rewrites their .gz): new size and mtime, so a new ETag. */
function changePages(docs: string, pageUrls: string[], percent: number): number {
  const every = Math.max(1, Math.round(100 / percent));
  let n = 0;
  pageUrls.forEach((u, i) => {
    if (i % every !== 0) return;
    const file = path.join(docs, new URL(u).pathname);
    if (!existsSync(file)) return;
    appendFileSync(file, `\n<!-- changed ${Date.now()} -->\n`);
    if (existsSync(`${file}.gz`)) writeFileSync(`${file}.gz`, gzipSync(readFileSync(file)));
    n++;
  });
  return n;
}

async function usedMemory(): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? 0);
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function deleteKeys(p: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${p}:*`, 'COUNT', 1000);
    cursor = next;
    if (found.length > 0) await redis.unlink(...found);
  } while (cursor !== '0');
}
