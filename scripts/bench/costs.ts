/**
 * What a benchmark crawl cost, read from the servers and the kernel rather than from spiderd:
 * Redis commands (INFO commandstats) and CPU (INFO cpu), PostgreSQL statements
 * (pg_stat_statements, when the server preloads it), transactions and rows written
 * (pg_stat_database), and CPU time of any process from /proc (Linux).
 */
import { readFileSync, readdirSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { redisNodes, type RedisClient } from '../../src/shared/redis.js';
import type pg from 'pg';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

export interface RedisCounters {
  calls: number;
  byCommand: Map<string, number>;
  cpuMs: number;
}

/** The counters of every master of a cluster (or of the one Redis), labelled host:port, and their sum. */
export async function redisNodeCounters(redis: RedisClient): Promise<{ total: RedisCounters; nodes: Map<string, RedisCounters> }> {
  const nodes = new Map<string, RedisCounters>();
  for (const node of redisNodes(redis)) nodes.set(`${node.options.host}:${node.options.port}`, await redisCounters(node));
  const total: RedisCounters = { calls: 0, byCommand: new Map(), cpuMs: 0 };
  for (const c of nodes.values()) {
    total.calls += c.calls;
    total.cpuMs += c.cpuMs;
    for (const [cmd, n] of c.byCommand) total.byCommand.set(cmd, (total.byCommand.get(cmd) ?? 0) + n);
  }
  return { total, nodes };
}

export async function redisCounters(redis: Redis): Promise<RedisCounters> {
  const stats = await redis.info('commandstats');
  const byCommand = new Map<string, number>();
  let calls = 0;
  for (const m of stats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    const n = Number(m[2]);
    byCommand.set(m[1]!, n);
    calls += n;
  }
  const cpu = await redis.info('cpu');
  const sys = Number(/used_cpu_sys:([\d.]+)/.exec(cpu)?.[1] ?? 0);
  const user = Number(/used_cpu_user:([\d.]+)/.exec(cpu)?.[1] ?? 0);
  return { calls, byCommand, cpuMs: (sys + user) * 1000 };
}

export function redisDelta(a: RedisCounters, b: RedisCounters): RedisCounters {
  const byCommand = new Map<string, number>();
  for (const [cmd, n] of b.byCommand) {
    const d = n - (a.byCommand.get(cmd) ?? 0);
    if (d > 0) byCommand.set(cmd, d);
  }
  return { calls: b.calls - a.calls, byCommand, cpuMs: b.cpuMs - a.cpuMs };
}

export interface PgCounters {
  /** null when pg_stat_statements is not loaded (shared_preload_libraries). */
  statements: number | null;
  commits: number;
  rowsWritten: number;
}

/** Counters of one database, read through an admin connection. */
export async function pgCounters(admin: pg.Client, database: string): Promise<PgCounters> {
  const db = await admin.query<{ commits: string; written: string }>(
    'SELECT xact_commit AS commits, tup_inserted + tup_updated + tup_deleted AS written FROM pg_stat_database WHERE datname = $1',
    [database],
  );
  let statements: number | null = null;
  try {
    const s = await admin.query<{ calls: string | null }>(
      'SELECT sum(calls) AS calls FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = $1)',
      [database],
    );
    statements = Number(s.rows[0]?.calls ?? 0);
  } catch {
    statements = null;
  }
  return { statements, commits: Number(db.rows[0]?.commits ?? 0), rowsWritten: Number(db.rows[0]?.written ?? 0) };
}

/** Makes pg_stat_statements queryable when the server preloads it; false otherwise. */
export async function enableStatementStats(admin: pg.Client): Promise<boolean> {
  try {
    await admin.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await admin.query('SELECT 1 FROM pg_stat_statements LIMIT 1');
    return true;
  } catch {
    return false;
  }
}

/** CPU ms a live process has used (its own, plus its reaped children's when `withChildren`). */
export function processCpuMs(pid: number, withChildren = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[11] = utime, [12] = stime, [13] = cutime, [14] = cstime (man 5 proc, counted from field 3)
    const own = Number(fields[11]) + Number(fields[12]);
    const children = withChildren ? Number(fields[13]) + Number(fields[14]) : 0;
    return ((own + children) * 1000) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** CPU ms of a process and of its live and reaped children (nginx's master and its workers). */
export function processTreeCpuMs(pid: number): number {
  const parentOf = (entry: string) => {
    const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  };
  return processCpuMs(pid, true) + cpuMsOfProcesses((entry) => parentOf(entry) === pid);
}

/** Peak resident set size of a live process, in bytes (VmHWM). */
export function peakRssBytes(pid: number): number {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return Number(kb ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** CPU ms of every process with this command name, the reaped children of each included (PostgreSQL's backends). */
export function commandCpuMs(comm: string): number {
  return cpuMsOfProcesses((entry) => readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === comm);
}

/** CPU ms, reaped children included, of every live process whose /proc entry matches (one that vanished mid-scan counts nothing). */
function cpuMsOfProcesses(matches: (entry: string) => boolean): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (matches(entry)) total += processCpuMs(Number(entry), true);
    } catch {
      continue;
    }
  }
  return total;
}
