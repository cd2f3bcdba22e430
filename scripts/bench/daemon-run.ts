/**
 * One benchmark crawl with the real daemon and DEFAULT settings (`spiderd start` with no
 * tuning flags: one crawler process per CPU, the default concurrency): its own database and
 * Redis prefix, the real CLI to enqueue one seed, PostgreSQL polled until no page is queued.
 * Returns pages/s from enqueue to the last page stored, and what the crawl cost (costs.ts).
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { redisKeys } from '../../src/shared/keys.js';
import { readDaemons, type ProcessRecord } from '../../src/shared/presence.js';
import { commandCpuMs, enableStatementStats, peakRssBytes, pgCounters, processCpuMs, processTreeCpuMs, redisCounters, redisDelta, type PgCounters, type RedisCounters } from './costs.js';

const BIN = fileURLToPath(new URL('../../src/bin/spiderd.js', import.meta.url));

export interface RunOptions {
  seedUrl: string;
  adminUrl: string;
  redisUrl: string;
  /** Extra environment for the daemon (SPIDERD_LEAK_SENTINEL=false, ...). */
  extraEnv?: Record<string, string>;
  /** The site server's pid, for its CPU. */
  sitePid?: number;
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
  pg: PgCounters & { statementStats: boolean };
  cpuMs: { redis: number; postgres: number; site: number };
}

export async function daemonRun(o: RunOptions): Promise<RunResult> {
  const dbName = `spiderd_bench_${randomBytes(4).toString('hex')}`;
  const dbUrl = withDatabase(o.adminUrl, dbName);
  const prefix = `spb${randomBytes(4).toString('hex')}`;
  const env = {
    ...process.env,
    DATABASE_URL: dbUrl,
    REDIS_URL: o.redisUrl,
    SPIDERD_PREFIX: prefix,
    SPIDERD_LOG_LEVEL: 'warn',
    SPIDERD_ALLOW_PRIVATE_NETWORKS: 'true', // the site is on 127.0.0.1
    ...o.extraEnv,
  };
  const redis = new Redis(o.redisUrl);
  const admin = new pg.Client({ connectionString: o.adminUrl });
  await admin.connect();
  const statementStats = await enableStatementStats(admin);
  const keys = redisKeys(prefix);
  const cli = (args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`spiderd ${args.join(' ')} failed: ${r.stderr}`);
  };
  cli(['migrate']);
  const daemon = spawn(process.execPath, [BIN, 'start'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    const processes = await runningProcesses(redis, keys);
    const cpuAt = new Map(processes.map((p) => [p.workerId, processCpuMs(p.pid!)]));
    const redisBefore = await redisCounters(redis);
    const pgBefore = await pgCounters(admin, dbName);
    const serversBefore = { redis: redisBefore.cpuMs, postgres: commandCpuMs('postgres'), site: o.sitePid ? processTreeCpuMs(o.sitePid) : 0 };
    const started = performance.now();
    cli(['enqueue', o.seedUrl, '--crawl', 'bench', '--per-host-delay', '0', '--per-host-concurrency', '1000', '--max-depth', '1000']);
    const client = new pg.Client({ connectionString: dbUrl });
    await client.connect();
    // The poll must not cost the crawl CPU: two index probes (no scan of pages) every 100 ms.
    await client.query('SET enable_seqscan = off');
    const crawlId = (await client.query<{ id: number }>(`SELECT id FROM crawls WHERE name = 'bench'`)).rows[0]!.id;
    for (;;) {
      await new Promise((r) => setTimeout(r, 100));
      const probe = (await client.query<{ queued: boolean; fetched: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM pages WHERE crawl_id = $1 AND state = 'queued') AS queued, EXISTS (SELECT 1 FROM pages WHERE crawl_id = $1 AND state = 'fetched') AS fetched`,
        [crawlId],
      )).rows[0]!;
      if (!probe.queued && probe.fetched) break;
    }
    const seconds = (performance.now() - started) / 1000;
    const redisAfter = await redisCounters(redis);
    const pgAfter = await pgCounters(admin, dbName);
    const serversAfter = { postgres: commandCpuMs('postgres'), site: o.sitePid ? processTreeCpuMs(o.sitePid) : 0 };
    const counts = (await client.query<{ fetched: string; total: string }>(`SELECT count(*) FILTER (WHERE state = 'fetched') AS fetched, count(*) AS total FROM pages`)).rows[0]!;
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
      redis: redisDelta(redisBefore, redisAfter),
      pg: {
        statementStats,
        statements: pgAfter.statements === null || pgBefore.statements === null ? null : pgAfter.statements - pgBefore.statements,
        commits: pgAfter.commits - pgBefore.commits,
        rowsWritten: pgAfter.rowsWritten - pgBefore.rowsWritten,
      },
      cpuMs: {
        redis: redisAfter.cpuMs - serversBefore.redis,
        postgres: serversAfter.postgres - serversBefore.postgres,
        site: serversAfter.site - serversBefore.site,
      },
    };
  } finally {
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.once('exit', r));
    await deleteKeys(redis, prefix);
    redis.disconnect();
    await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin.end();
  }
}

/** Waits until the daemon's heartbeat lists every crawler process as running. */
async function runningProcesses(redis: Redis, keys: ReturnType<typeof redisKeys>): Promise<ProcessRecord[]> {
  for (let i = 0; i < 600; i++) {
    const [d] = await readDaemons(redis, keys);
    const crawlers = d?.processes.filter((p) => p.workerId !== 'supervisor') ?? [];
    if (crawlers.length > 0 && crawlers.every((p) => p.state === 'running' && p.pid !== null)) return d!.processes;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the daemon did not start its crawler processes');
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (found.length > 0) await redis.unlink(...found);
  } while (cursor !== '0');
}
