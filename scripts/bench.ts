/**
 * `npm run bench`: crawls generated local sites with the real daemon and prints figures.
 *   1. a plain undici + cheerio loop over the same URLs (the yardstick) and parse-only rates;
 *   2. the daemon (2 crawler processes, Redis queue, PostgreSQL writes, robots on, politeness
 *      lifted for the one local host): pages/s and each process's peak RSS;
 *   3. a long crawl (>= 20,000 pages) with the leak sentinel on and off: post-GC heap growth
 *      per 10,000 pages for each process, and the sentinel's throughput cost.
 * Flags: --pages N (default 5000), --long-pages N (default 20000, 0 skips step 3).
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { fitLine } from '../src/shared/mem/fit.js';
import { postGcPoints } from '../src/shared/mem/trend.js';
import { startSampleSite } from '../src/sample-site/server.js';
import { plainLoop, parseRates } from './bench/baseline.js';
import { daemonRun, type ProcessFigures } from './bench/daemon-run.js';

const { values } = parseArgs({ options: { pages: { type: 'string', default: '5000' }, 'long-pages': { type: 'string', default: '20000' } } });
const pages = Number(values.pages);
const longPages = Number(values['long-pages']);
const adminUrl = process.env.DATABASE_URL ? withDb(process.env.DATABASE_URL, 'postgres') : 'postgresql://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const mb = (n: number) => n.toFixed(1);
const WARMUP_PAGES = 2_000;

console.log(`spiderd bench — ${new Date().toISOString()}`);
console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown cpu'} x${os.cpus().length}, ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB, ${os.type()} ${os.release()}, node ${process.version}`);

const site = await startSampleSite({ pages, maxDepth: 1000 });
try {
  const urls = site.expected.fetchable;
  console.log(`\nsite: ${urls.length} HTML pages on ${site.origin}`);
  const htmls = await Promise.all(urls.slice(0, 300).map(async (u) => (await fetch(u)).text()));
  const rates = parseRates(htmls);
  console.log(`parse only, one process: cheerio default (parse5) ${rates.parse5.toFixed(0)} pages/s; htmlparser2 (cheerio/slim) ${rates.htmlparser2.toFixed(0)} pages/s`);
  const base = await plainLoop(urls, 16);
  console.log(`plain loop (undici + cheerio/slim, 1 process, 16 in flight): ${base.pagesPerSecond.toFixed(0)} pages/s (${base.pages} pages in ${base.seconds.toFixed(1)} s)`);
  const run = await daemonRun({ seedUrl: site.seedUrl, adminUrl, redisUrl, workers: 2, concurrency: 16 });
  console.log(`spiderd (2 crawler processes x 16, Redis + PostgreSQL, robots on): ${run.pagesPerSecond.toFixed(0)} pages/s (${run.fetched} pages in ${run.seconds.toFixed(1)} s) = ${((100 * run.pagesPerSecond) / base.pagesPerSecond).toFixed(0)}% of the plain loop`);
  for (const p of run.processes) console.log(`  ${p.workerId.padEnd(10)} peak RSS ${mb(p.peakRssMb)} MB`);
} finally {
  await site.close();
}

if (longPages > 0) {
  const long = await startSampleSite({ pages: longPages, maxDepth: 1000 });
  try {
    console.log(`\nlong crawl: ${long.expected.fetchable.length} HTML pages`);
    const on = await daemonRun({ seedUrl: long.seedUrl, adminUrl, redisUrl, workers: 2, concurrency: 16, extraEnv: { SPIDERD_LEAK_SENTINEL: 'true' } });
    const off = await daemonRun({ seedUrl: long.seedUrl, adminUrl, redisUrl, workers: 2, concurrency: 16, extraEnv: { SPIDERD_LEAK_SENTINEL: 'false' } });
    console.log(`sentinel on: ${on.pagesPerSecond.toFixed(0)} pages/s; off: ${off.pagesPerSecond.toFixed(0)} pages/s; cost ${(100 * (1 - on.pagesPerSecond / off.pagesPerSecond)).toFixed(1)}%`);
    for (const p of on.processes) console.log(`  ${p.workerId.padEnd(10)} peak RSS ${mb(p.peakRssMb)} MB${p.workerId === 'supervisor' ? '' : `; post-GC heap ${growth(p)}`}`);
  } finally {
    await long.close();
  }
}

/**
 * Post-GC heap growth per 10,000 pages: one point per major GC, fitted after a warm-up of
 * WARMUP_PAGES (JIT code and caches fill first), with the module the sentinel uses.
 */
function growth(p: ProcessFigures): string {
  const pts = postGcPoints(p.samples).filter((s) => s.jobsDone >= WARMUP_PAGES);
  const fit = fitLine(pts.map((s) => s.jobsDone), pts.map((s) => s.postGcHeap! / 1024 / 1024));
  if (fit === null || pts.length < 3) return `not enough post-GC samples after ${WARMUP_PAGES} pages (${pts.length})`;
  return `${(fit.slope * 10_000).toFixed(2)} MB per 10,000 pages (r2 ${fit.r2.toFixed(2)}, ${pts.length} major GCs from ${pts[0]!.jobsDone} to ${pts[pts.length - 1]!.jobsDone} pages: ${mb(pts[0]!.postGcHeap! / 1024 / 1024)} -> ${mb(pts[pts.length - 1]!.postGcHeap! / 1024 / 1024)} MB)`;
}

function withDb(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}
