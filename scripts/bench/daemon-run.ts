/**
 * One benchmark crawl with the real daemon: its own database and Redis prefix, the real
 * CLI to enqueue, PostgreSQL polled for progress, heartbeats and memory history read from
 * Redis for each process's peak RSS and post-GC heap.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { redisKeys } from '../../src/shared/keys.js';
import { readHistory } from '../../src/shared/mem/history.js';
import type { MemSample } from '../../src/shared/mem-sample.js';
import { readDaemons } from '../../src/shared/presence.js';

const BIN = fileURLToPath(new URL('../../src/bin/spiderd.js', import.meta.url));

export interface RunOptions {
  seedUrl: string;
  adminUrl: string;
  redisUrl: string;
  workers: number;
  concurrency: number;
  extraEnv?: Record<string, string>;
}

export interface ProcessFigures {
  workerId: string;
  peakRssMb: number;
  samples: MemSample[];
}

export interface RunResult {
  fetched: number;
  seconds: number;
  pagesPerSecond: number;
  processes: ProcessFigures[];
}

export async function daemonRun(o: RunOptions): Promise<RunResult> {
  const dbName = `spiderd_bench_${randomBytes(4).toString('hex')}`;
  const dbUrl = withDatabase(o.adminUrl, dbName);
  const prefix = `spb${randomBytes(4).toString('hex')}`;
  const env = { ...process.env, DATABASE_URL: dbUrl, REDIS_URL: o.redisUrl, SPIDERD_PREFIX: prefix, SPIDERD_LOG_LEVEL: 'warn', SPIDERD_SAMPLE_INTERVAL_MS: '500', SPIDERD_ALLOW_PRIVATE_NETWORKS: 'true', ...o.extraEnv };
  const redis = new Redis(o.redisUrl);
  const keys = redisKeys(prefix);
  const cli = (args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`spiderd ${args.join(' ')} failed: ${r.stderr}`);
  };
  cli(['migrate']);
  const daemon = spawn(process.execPath, [BIN, 'start', '--workers', String(o.workers), '--concurrency', String(o.concurrency)], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const peak = new Map<string, number>();
  try {
    const started = performance.now();
    cli(['enqueue', o.seedUrl, '--crawl', 'bench', '--per-host-delay', '0', '--per-host-concurrency', '1000', '--max-depth', '1000']);
    const client = new pg.Client({ connectionString: dbUrl });
    await client.connect();
    let fetched = 0;
    let doneAt = started;
    for (;;) {
      await new Promise((r) => setTimeout(r, 250));
      const [row] = (await client.query<{ queued: string; fetched: string; last: Date | null }>(
        `SELECT count(*) FILTER (WHERE state = 'queued') AS queued, count(*) FILTER (WHERE state = 'fetched') AS fetched, max(fetched_at) AS last FROM pages`,
      )).rows;
      for (const d of await readDaemons(redis, keys)) {
        for (const p of d.processes) if (p.lastSample) peak.set(p.workerId, Math.max(peak.get(p.workerId) ?? 0, p.lastSample.rss));
      }
      fetched = Number(row!.fetched);
      if (Number(row!.queued) === 0 && fetched > 0) {
        doneAt = performance.now();
        break;
      }
    }
    await client.end();
    const seconds = (doneAt - started) / 1000;
    const [record] = await readDaemons(redis, keys);
    const processes: ProcessFigures[] = [];
    for (const p of record?.processes ?? []) {
      const samples = await readHistory(redis, keys, record!.daemonId, p.workerId);
      for (const s of samples) peak.set(p.workerId, Math.max(peak.get(p.workerId) ?? 0, s.rss));
      processes.push({ workerId: p.workerId, peakRssMb: (peak.get(p.workerId) ?? 0) / 1024 / 1024, samples });
    }
    return { fetched, seconds, pagesPerSecond: fetched / seconds, processes };
  } finally {
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.once('exit', r));
    await deleteKeys(redis, prefix);
    redis.disconnect();
    const admin = new pg.Client({ connectionString: o.adminUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin.end();
  }
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
