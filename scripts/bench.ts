/**
 * `npm run bench`: one local site, crawled by a plain fetch-and-parse loop and by the real
 * daemon with default settings, on the same machine in the same run.
 *   1. parse-only rates of cheerio's two parsers;
 *   2. the yardstick: undici + cheerio/slim over the site's known page URLs, one process, 64 in
 *      flight, run again before every pair of daemon runs (the host's speed drifts);
 *   3. spiderd `start` with defaults (one crawler process per CPU, BullMQ on Redis, PostgreSQL
 *      writes, dedup, robots on; politeness lifted for the one local host), from enqueueing
 *      one seed to the last page stored, alternating runs with the leak sentinel on and off;
 *      pages/s, what each page cost (Redis commands, SQL statements, rows, CPU) and peak RSS;
 *   4. a handler-free crawl against one with an extraction handler that queries `page.$`
 *      (examples/handlers/page-facts.mjs), sentinel on, alternating: pages/s and crawler CPU per
 *      page of each (a page's DOM is built only for a handler that reads `page.$`).
 * Crawler CPU ms per page (from /proc) is the steadier figure on a shared host: pages/s moves
 * with whatever else runs on the machine, and so does CPU per page, less.
 * The site (pre-rendered 15-30 KB pages) is served by nginx when installed, else by a Node
 * static server, in a separate process. Flags: --pages N (default 20000), --runs N (default 5
 * per sentinel setting). `--redis-cluster` runs the cluster bench instead (bench/cluster-bench.ts:
 * standalone Redis against a local 3-master cluster, the pages split over --hosts N, default 16;
 * --runs defaults to 1 there).
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseRates, plainLoop } from './bench/baseline.js';
import { daemonRun, type RunResult } from './bench/daemon-run.js';
import { clusterBench } from './bench/cluster-bench.js';
import { startStaticSite } from './bench/static-site.js';

const { values } = parseArgs({ options: { pages: { type: 'string', default: '20000' }, runs: { type: 'string' }, 'handler-runs': { type: 'string', default: '3' }, 'redis-cluster': { type: 'boolean' }, hosts: { type: 'string', default: '16' } } });
const pages = Number(values.pages);
const runs = Math.max(1, Number(values.runs ?? (values['redis-cluster'] ? 1 : 5)));
const handlerRuns = Math.max(0, Number(values['handler-runs']));
const HANDLER = fileURLToPath(new URL('../../examples/handlers/page-facts.mjs', import.meta.url));
const adminUrl = process.env.DATABASE_URL ? withDb(process.env.DATABASE_URL, 'postgres') : 'postgresql://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const f0 = (n: number) => n.toFixed(0);
const f1 = (n: number) => n.toFixed(1);
const f2 = (n: number) => n.toFixed(2);

console.log(`spiderd bench — ${new Date().toISOString()}`);
console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown cpu'} x${os.cpus().length}, ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB, ${os.type()} ${os.release()}, node ${process.version}`);

if (values['redis-cluster']) {
  await clusterBench({ pages, hosts: Math.max(1, Number(values.hosts)), runs, adminUrl, redisUrl });
  process.exit(0);
}

const site = await startStaticSite(pages);
try {
  console.log(`\nsite: ${site.pageUrls.length} HTML pages (${f1(site.htmlBytes / site.pageUrls.length / 1024)} KB average, a third gzip) served by ${site.server} on ${site.origin}`);
  const htmls = await Promise.all(site.pageUrls.slice(0, 300).map(async (u) => (await fetch(u)).text()));
  const rates = parseRates(htmls);
  console.log(`parse only, one process: cheerio default (parse5) ${f0(rates.parse5)} pages/s; htmlparser2 (cheerio/slim) ${f0(rates.htmlparser2)} pages/s`);
  // The host's speed drifts over minutes (other tenants): the yardstick runs before every pair of
  // daemon runs, and the pairs alternate their order, so each figure is compared with its neighbours.
  const loops: number[] = [];
  const on: RunResult[] = [];
  const off: RunResult[] = [];
  for (let i = 0; i < runs; i++) {
    const cpuBefore = process.cpuUsage();
    const base = await plainLoop(site.pageUrls, 64);
    const cpu = process.cpuUsage(cpuBefore);
    loops.push(base.pagesPerSecond);
    console.log(`  run ${i + 1}, plain loop (undici + cheerio/slim, 1 process, 64 in flight): ${f0(base.pagesPerSecond)} pages/s (${base.pages} pages in ${f1(base.seconds)} s), ${f2((cpu.user + cpu.system) / 1000 / base.pages)} CPU ms per page`);
    for (const sentinel of i % 2 === 0 ? [true, false] : [false, true]) {
      const r = await daemonRun({ seedUrls: [site.seedUrl], adminUrl, redisUrl, sitePid: site.pid, extraEnv: { SPIDERD_LEAK_SENTINEL: String(sentinel) } });
      (sentinel ? on : off).push(r);
      console.log(`  run ${i + 1}, spiderd sentinel ${sentinel ? 'on ' : 'off'}: ${f0(r.pagesPerSecond)} pages/s (${r.fetched} pages fetched, ${r.rows} rows, ${f1(r.seconds)} s), crawlers ${f2(crawlerCpuPerPage(r))} CPU ms per page`);
    }
  }
  const loop = middle(loops, (x) => x);
  console.log(`\nplain loop: ${f0(loop)} pages/s (median of ${runs}; ${f0(Math.min(...loops))}-${f0(Math.max(...loops))})`);
  const best = median(on);
  const offRate = median(off).pagesPerSecond;
  console.log(`\nspiderd, default settings (${best.processes.length - 1} crawler processes), sentinel on: ${f0(best.pagesPerSecond)} pages/s = ${f2(best.pagesPerSecond / loop)}x the plain loop (medians of ${runs}); sentinel off ${f2(offRate / loop)}x`);
  console.log(`leak sentinel cost: on ${f0(best.pagesPerSecond)} vs off ${f0(offRate)} pages/s (medians) = ${f1(100 * (1 - best.pagesPerSecond / offRate))}%; runs spread: on ${spread(on)}, off ${spread(off)} pages/s`);
  printCosts(best);
  if (handlerRuns > 0) await handlerComparison();
} finally {
  await site.close();
}

/** Handler-free crawls against crawls whose handler queries page.$, alternating, sentinel on. */
async function handlerComparison(): Promise<void> {
  console.log(`\nextraction handler (${path.relative(process.cwd(), HANDLER)}, queries page.$) against none, sentinel on:`);
  const plain: RunResult[] = [];
  const withHandler: RunResult[] = [];
  for (let i = 0; i < handlerRuns; i++) {
    for (const handler of i % 2 === 0 ? [false, true] : [true, false]) {
      const extraEnv: Record<string, string> = { SPIDERD_LEAK_SENTINEL: 'true', ...(handler ? { SPIDERD_HANDLER: HANDLER } : {}) };
      const r = await daemonRun({ seedUrls: [site.seedUrl], adminUrl, redisUrl, sitePid: site.pid, extraEnv });
      (handler ? withHandler : plain).push(r);
      console.log(`  run ${i + 1}, ${handler ? 'handler' : 'no handler'}: ${f0(r.pagesPerSecond)} pages/s, crawlers ${f2(crawlerCpuPerPage(r))} CPU ms per page`);
    }
  }
  for (const [name, results] of [['no handler', plain], ['handler   ', withHandler]] as const) {
    const cpu = middle(results.map(crawlerCpuPerPage), (x) => x);
    console.log(`  ${name}: ${f0(median(results).pagesPerSecond)} pages/s, ${f2(cpu)} crawler CPU ms per page (medians of ${results.length})`);
  }
}

/** CPU ms the crawler processes spent per row stored. */
function crawlerCpuPerPage(r: RunResult): number {
  return r.processes.filter((p) => p.workerId !== 'supervisor').reduce((s, p) => s + p.cpuMs, 0) / r.rows;
}

function printCosts(r: RunResult): void {
  const n = r.rows;
  const crawlers = r.processes.filter((p) => p.workerId !== 'supervisor');
  const crawlerCpu = crawlers.reduce((s, p) => s + p.cpuMs, 0);
  console.log(`\ncost per page (per row stored, ${n} rows; median run):`);
  const top = [...r.redis.byCommand].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([c, k]) => `${c} ${f2(k / n)}`).join(', ');
  console.log(`  Redis: ${f2(r.redis.calls / n)} commands (${top}); Redis CPU ${f0((1000 * r.cpuMs.redis) / n)} us`);
  const stmts = r.pg.statements === null ? 'statements not counted (pg_stat_statements not preloaded)' : `${f2(r.pg.statements / n)} SQL statements (the bench's own 100 ms progress probe included)`;
  console.log(`  PostgreSQL: ${stmts}, ${f2(r.pg.commits / n)} transactions, ${f2(r.pg.rowsWritten / n)} rows written; PostgreSQL CPU ${f0((1000 * r.cpuMs.postgres) / n)} us`);
  console.log(`  crawler processes: ${f2(crawlerCpu / n)} CPU ms per page in all (${crawlers.map((p) => `${p.workerId} ${f0(p.cpuMs)} ms`).join(', ')}); site server ${f0((1000 * r.cpuMs.site) / n)} us`);
  console.log('peak RSS:');
  for (const p of r.processes) console.log(`  ${p.workerId.padEnd(10)} ${f1(p.peakRssMb)} MB`);
}

function spread(results: RunResult[]): string {
  const rates = results.map((r) => r.pagesPerSecond);
  return `${f0(Math.min(...rates))}-${f0(Math.max(...rates))}`;
}

function median(results: RunResult[]): RunResult {
  return middle(results, (r) => r.pagesPerSecond);
}

/** The middle item by `key` (the lower one of two for an even count). */
function middle<T>(items: T[], key: (item: T) => number): T {
  const sorted = [...items].sort((a, b) => key(a) - key(b));
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

function withDb(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}
