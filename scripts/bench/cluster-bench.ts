/**
 * `npm run bench -- --redis-cluster`: the same 20,000 pages, split over H hosts (H sites on H
 * ports: the queue is sharded by host, so one host would be one shard), crawled by the real
 * daemon with default settings on the standalone Redis and on a local 3-master Redis Cluster
 * (test/helpers/redis-cluster.ts, started for the run and removed after it), alternating, in one
 * run. Prints pages/s, Redis commands and CPU per page for each node, PostgreSQL statements and
 * rows per page, and how even the shards and nodes are.
 */
import { startTestCluster } from '../../test/helpers/redis-cluster.js';
import { daemonRun, type RunResult } from './daemon-run.js';
import { startStaticSite, type StaticSite } from './static-site.js';

export interface ClusterBenchOptions {
  pages: number;
  hosts: number;
  runs: number;
  adminUrl: string;
  redisUrl: string;
}

const f0 = (n: number) => n.toFixed(0);
const f1 = (n: number) => n.toFixed(1);
const f2 = (n: number) => n.toFixed(2);

export async function clusterBench(o: ClusterBenchOptions): Promise<void> {
  const sites: StaticSite[] = [];
  const cluster = await startTestCluster();
  try {
    for (let i = 0; i < o.hosts; i++) sites.push(await startStaticSite(Math.ceil(o.pages / o.hosts)));
    const pages = sites.reduce((s, x) => s + x.pageUrls.length, 0);
    console.log(`\nsite: ${pages} HTML pages on ${o.hosts} hosts (127.0.0.1, ${o.hosts} ports, served by ${sites[0]!.server}); cluster: 3 masters on ${cluster.ports.join(', ')}, no replicas, default 16 shards`);
    const seedUrls = sites.map((s) => s.seedUrl);
    const standalone: RunResult[] = [];
    const onCluster: RunResult[] = [];
    for (let i = 0; i < o.runs; i++) {
      for (const clustered of i % 2 === 0 ? [false, true] : [true, false]) {
        const r = await daemonRun({ seedUrls, adminUrl: o.adminUrl, redisUrl: clustered ? cluster.url : o.redisUrl, cluster: clustered });
        (clustered ? onCluster : standalone).push(r);
        console.log(`  run ${i + 1}, ${clustered ? 'cluster   ' : 'standalone'}: ${f0(r.pagesPerSecond)} pages/s (${r.fetched} pages fetched, ${r.rows} rows, ${f1(r.seconds)} s)`);
      }
    }
    report('standalone Redis', middle(standalone));
    report('Redis Cluster, 3 masters', middle(onCluster));
  } finally {
    for (const s of sites) await s.close();
    await cluster.stop();
  }
}

function report(what: string, r: RunResult): void {
  const n = r.rows;
  console.log(`\n${what} (median run): ${f0(r.pagesPerSecond)} pages/s; per page (per row stored, ${n} rows):`);
  for (const [node, c] of r.redisNodes) {
    const top = [...c.byCommand].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([cmd, k]) => `${cmd} ${f2(k / n)}`).join(', ');
    console.log(`  Redis ${node}: ${f2(c.calls / n)} commands (${top}); CPU ${f0((1000 * c.cpuMs) / n)} us`);
  }
  console.log(`  Redis, all nodes: ${f2(r.redis.calls / n)} commands, CPU ${f0((1000 * r.cpuMs.redis) / n)} us`);
  const stmts = r.pg.statements === null ? 'statements not counted (pg_stat_statements not preloaded)' : `${f2(r.pg.statements / n)} SQL statements`;
  console.log(`  PostgreSQL: ${stmts}, ${f2(r.pg.commits / n)} transactions, ${f2(r.pg.rowsWritten / n)} rows written; CPU ${f0((1000 * r.cpuMs.postgres) / n)} us`);
  const crawlers = r.processes.filter((p) => p.workerId !== 'supervisor');
  console.log(`  crawler processes: ${f2(crawlers.reduce((s, p) => s + p.cpuMs, 0) / n)} CPU ms per page`);
  if (r.shards.length > 1) {
    const sizes = r.shards.map((s) => s.pages);
    const used = sizes.filter((p) => p > 0);
    const mean = used.reduce((a, b) => a + b, 0) / Math.max(1, used.length);
    console.log(`  shards: ${used.length} of ${sizes.length} hold pages (${sizes.join(' ')}); busiest ${f2(Math.max(...used) / mean)}x the mean of the non-empty ones`);
    const byNode = new Map<string, number>();
    for (const s of r.shards) byNode.set(s.node, (byNode.get(s.node) ?? 0) + s.pages);
    console.log(`  pages per node: ${[...byNode].map(([node, p]) => `${node} ${p}`).join(', ')}`);
  }
}

function middle(results: RunResult[]): RunResult {
  const sorted = [...results].sort((a, b) => a.pagesPerSecond - b.pagesPerSecond);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}
