/**
 * One benchmark crawl with the real daemon and DEFAULT settings (`spiderd start` with no
 * tuning flags: one crawler process per CPU, the default concurrency): its own database and
 * Redis prefix, the real CLI to enqueue one seed, PostgreSQL polled until no page is queued.
 * Returns pages/s from enqueue to the last page stored, and what the crawl cost (costs.ts).
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { keysFor, type RedisKeys } from '../../src/shared/keys.js';
import { readDaemons, type ProcessRecord } from '../../src/shared/presence.js';
import { createRedis, isCluster, type RedisClient } from '../../src/shared/redis.js';
import { shardOfUrl } from '../../src/shared/shards.js';
import { commandCpuMs, enableStatementStats, peakRssBytes, pgCounters, processCpuMs, processTreeCpuMs, redisDelta, redisNodeCounters, type PgCounters, type RedisCounters } from './costs.js';

const BIN = fileURLToPath(new URL('../../src/bin/spiderd.js', import.meta.url));

export interface RunOptions {
  /** One seed per host of the site. */
  seedUrls: string[];
  adminUrl: string;
  redisUrl: string;
  /** redisUrl lists the nodes of a Redis Cluster (the daemon gets --redis-cluster). */
  cluster?: boolean;
  /** Extra environment for the daemon (SPIDERD_LEAK_SENTINEL=false, ...). */
  extraEnv?: Record<string, string>;
  /** The site server's pid, for its CPU. */
  sitePid?: number;
  /** The daemon's log (stdout) goes to this file; discarded when not given. */
  logFile?: string;
  /** Called with a client on the crawl's database after the last page is stored, before the daemon stops. */
  inspect?: (db: pg.Client) => Promise<void>;
}

/** Every crawler process seen during the run (a recycled one is replaced by a new pid). */
export interface SeenProcess {
  workerId: string;
  pid: number;
  /** Highest jobsDone its heartbeat reported. */
  jobsDone: number;
  /** VmHWM at the last sample before it exited (sampled every 250 ms). */
  peakRssMb: number;
}

export interface ProcessFigures {
  workerId: string;
  pid: number;
  pages: number;
  cpuMs: number;
  peakRssMb: number;
}

export interface RunResult {
  fetched: number;
  /** Rows stored (any state): every URL the crawl handled. */
  rows: number;
  seconds: number;
  pagesPerSecond: number;
  processes: ProcessFigures[];
  redis: RedisCounters;
  /** Per Redis node (host:port): one on a standalone Redis, every master of a cluster. */
  redisNodes: Map<string, RedisCounters>;
  /** Pages fetched per queue shard (one shard on a standalone Redis), and the node holding each shard. */
  shards: Array<{ pages: number; node: string }>;
  pg: PgCounters & { statementStats: boolean };
  cpuMs: { redis: number; postgres: number; site: number };
  /** Every crawler process that ran, by pid, the replaced ones included. */
  seen: SeenProcess[];
}

export async function daemonRun(o: RunOptions): Promise<RunResult> {
  const dbName = `spiderd_bench_${randomBytes(4).toString('hex')}`;
  const dbUrl = withDatabase(o.adminUrl, dbName);
  const prefix = `spb${randomBytes(4).toString('hex')}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: dbUrl,
    REDIS_URL: o.redisUrl,
    SPIDERD_PREFIX: prefix,
    SPIDERD_LOG_LEVEL: 'warn',
    SPIDERD_ALLOW_PRIVATE_NETWORKS: 'true', // the site is on 127.0.0.1
    SPIDERD_REDIS_CLUSTER: String(o.cluster === true),
    ...o.extraEnv,
  };
  const redis = createRedis({ redisUrl: o.redisUrl, redisCluster: o.cluster === true }, 'bench');
  const admin = new pg.Client({ connectionString: o.adminUrl });
  await admin.connect();
  const statementStats = await enableStatementStats(admin);
  const keys = keysFor({ prefix, redisCluster: o.cluster === true, queueShards: Number(env.SPIDERD_QUEUE_SHARDS ?? 16) });
  const cli = (args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`spiderd ${args.join(' ')} failed: ${r.stderr}`);
  };
  cli(['migrate']);
  const log = o.logFile ? openSync(o.logFile, 'w') : 'ignore';
  const daemon = spawn(process.execPath, [BIN, 'start'], { env, stdio: ['ignore', log, 'inherit'] });
  if (typeof log === 'number') closeSync(log);
  try {
    const processes = await runningProcesses(redis, keys);
    const cpuAt = new Map(processes.map((p) => [p.workerId, processCpuMs(p.pid!)]));
    const redisBefore = await redisNodeCounters(redis);
    const pgBefore = await pgCounters(admin, dbName);
    const serversBefore = { redis: redisBefore.total.cpuMs, postgres: commandCpuMs('postgres'), site: o.sitePid ? processTreeCpuMs(o.sitePid) : 0 };
    const started = performance.now();
    cli(['enqueue', ...o.seedUrls, '--crawl', 'bench', '--per-host-delay', '0', '--per-host-concurrency', '1000', '--max-depth', '1000']);
    const client = new pg.Client({ connectionString: dbUrl });
    await client.connect();
    // The poll must not cost the crawl CPU: two index probes (no scan of pages) every 100 ms.
    await client.query('SET enable_seqscan = off');
    const crawlId = (await client.query<{ id: number }>(`SELECT id FROM crawls WHERE name = 'bench'`)).rows[0]!.id;
    const seen = new Map<number, SeenProcess>();
    for (let poll = 0; ; poll++) {
      await new Promise((r) => setTimeout(r, 100));
      if (poll % 3 === 0) await sampleProcesses(redis, keys, seen);
      const probe = (await client.query<{ queued: boolean; fetched: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM pages WHERE crawl_id = $1 AND state = 'queued') AS queued, EXISTS (SELECT 1 FROM pages WHERE crawl_id = $1 AND state = 'fetched') AS fetched`,
        [crawlId],
      )).rows[0]!;
      if (!probe.queued && probe.fetched) break;
    }
    const seconds = (performance.now() - started) / 1000;
    const redisAfter = await redisNodeCounters(redis);
    const pgAfter = await pgCounters(admin, dbName);
    const serversAfter = { postgres: commandCpuMs('postgres'), site: o.sitePid ? processTreeCpuMs(o.sitePid) : 0 };
    const counts = (await client.query<{ fetched: string; total: string }>(`SELECT count(*) FILTER (WHERE state = 'fetched') AS fetched, count(*) AS total FROM pages`)).rows[0]!;
    const shards = await shardFigures(redis, keys, (await client.query<{ url: string }>(`SELECT url FROM pages WHERE state = 'fetched'`)).rows);
    await o.inspect?.(client);
    await sampleProcesses(redis, keys, seen);
    await client.end();
    const [record] = await readDaemons(redis, keys);
    const figures: ProcessFigures[] = [];
    for (const p of record?.processes ?? []) {
      if (p.pid === null) continue;
      figures.push({ workerId: p.workerId, pid: p.pid, pages: p.jobsDone, cpuMs: processCpuMs(p.pid) - (cpuAt.get(p.workerId) ?? 0), peakRssMb: peakRssBytes(p.pid) / 1024 / 1024 });
    }
    const fetched = Number(counts.fetched);
    return {
      fetched,
      rows: Number(counts.total),
      seconds,
      pagesPerSecond: fetched / seconds,
      processes: figures,
      redis: redisDelta(redisBefore.total, redisAfter.total),
      redisNodes: new Map([...redisAfter.nodes].map(([node, after]) => [node, redisDelta(redisBefore.nodes.get(node) ?? after, after)])),
      shards,
      pg: {
        statementStats,
        statements: pgAfter.statements === null || pgBefore.statements === null ? null : pgAfter.statements - pgBefore.statements,
        commits: pgAfter.commits - pgBefore.commits,
        rowsWritten: pgAfter.rowsWritten - pgBefore.rowsWritten,
      },
      cpuMs: {
        redis: redisAfter.total.cpuMs - serversBefore.redis,
        postgres: serversAfter.postgres - serversBefore.postgres,
        site: serversAfter.site - serversBefore.site,
      },
      seen: [...seen.values()],
    };
  } finally {
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.once('exit', r));
    if (!isCluster(redis)) await deleteKeys(redis, prefix); // a bench cluster is thrown away whole
    redis.disconnect();
    await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin.end();
  }
}

/** Waits until the daemon's heartbeat lists every crawler process as running. */
async function runningProcesses(redis: RedisClient, keys: RedisKeys): Promise<ProcessRecord[]> {
  for (let i = 0; i < 600; i++) {
    const [d] = await readDaemons(redis, keys);
    const crawlers = d?.processes.filter((p) => p.workerId !== 'supervisor') ?? [];
    if (crawlers.length > 0 && crawlers.every((p) => p.state === 'running' && p.pid !== null)) return d!.processes;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the daemon did not start its crawler processes');
}

/** Records each running crawler process's peak RSS and jobs (VmHWM only grows, so the last sample is the peak but for its final 300 ms). */
async function sampleProcesses(redis: RedisClient, keys: RedisKeys, seen: Map<number, SeenProcess>): Promise<void> {
  for (const d of await readDaemons(redis, keys)) {
    for (const p of d.processes) {
      if (p.pid === null || p.workerId === 'supervisor') continue;
      const peak = peakRssBytes(p.pid) / 1024 / 1024;
      const known = seen.get(p.pid) ?? { workerId: p.workerId, pid: p.pid, jobsDone: 0, peakRssMb: 0 };
      known.jobsDone = Math.max(known.jobsDone, p.jobsDone);
      known.peakRssMb = Math.max(known.peakRssMb, peak);
      seen.set(p.pid, known);
    }
  }
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Pages fetched per shard, and the node (host:port) that holds each shard's slot. */
async function shardFigures(redis: RedisClient, keys: RedisKeys, rows: Array<{ url: string }>): Promise<Array<{ pages: number; node: string }>> {
  const shards = Array.from({ length: keys.layout.shards }, () => ({ pages: 0, node: 'standalone' }));
  for (const r of rows) shards[shardOfUrl(r.url, keys.layout.shards)]!.pages++;
  if (!isCluster(redis)) return shards;
  const ranges = await redis.cluster('SLOTS');
  for (let k = 0; k < shards.length; k++) {
    const slot = Number(await redis.cluster('KEYSLOT', keys.epoch(k)));
    const owner = ranges.find(([from, to]) => slot >= from && slot <= to)?.[2];
    shards[k]!.node = owner ? `${owner[0]}:${owner[1]}` : '?';
  }
  return shards;
}

async function deleteKeys(redis: RedisClient, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (found.length > 0) await redis.unlink(...found);
  } while (cursor !== '0');
}
