/**
 * Heartbeats in Redis: each daemon writes one record (itself and its processes) that
 * expires unless refreshed, so `spiderd status` and `spiderd mem` see every live daemon
 * on every host.
 */
import type { RedisClient } from './redis.js';
import type { RedisKeys } from './keys.js';
import type { MemSample } from './mem-sample.js';

export type ProcessState = 'starting' | 'running' | 'draining' | 'restarting' | 'failed';

export interface ProcessRecord {
  /** 'supervisor' or the crawler slot, 'w1', 'w2', ... */
  workerId: string;
  pid: number | null;
  startedAt: number;
  jobsDone: number;
  restarts: number;
  state: ProcessState;
  lastSample: MemSample | null;
}

export interface DaemonRecord {
  daemonId: string;
  host: string;
  pid: number;
  version: string;
  startedAt: number;
  lastSeen: number;
  snapshotDir: string;
  processes: ProcessRecord[];
}

export async function writeHeartbeat(redis: RedisClient, keys: RedisKeys, record: DaemonRecord, ttlMs: number): Promise<void> {
  await redis.multi().set(keys.daemon(record.daemonId), JSON.stringify(record), 'PX', ttlMs).sadd(keys.daemons, record.daemonId).exec();
}

export async function removeHeartbeat(redis: RedisClient, keys: RedisKeys, daemonId: string): Promise<void> {
  await redis.multi().del(keys.daemon(daemonId)).srem(keys.daemons, daemonId).exec();
}

/** Live daemons, oldest first. Ids whose heartbeat expired are pruned from the set. */
export async function readDaemons(redis: RedisClient, keys: RedisKeys): Promise<DaemonRecord[]> {
  const ids = await redis.smembers(keys.daemons);
  if (ids.length === 0) return [];
  const raws = await redis.mget(ids.map((id) => keys.daemon(id)));
  const live: DaemonRecord[] = [];
  const dead: string[] = [];
  raws.forEach((raw, i) => {
    if (raw === null) dead.push(ids[i]!);
    else live.push(JSON.parse(raw) as DaemonRecord);
  });
  if (dead.length > 0) await redis.srem(keys.daemons, ...dead);
  return live.sort((a, b) => a.startedAt - b.startedAt);
}

/** The fields of a daemon that `status --json` and `mem --json` both print, times as ISO strings. */
export function daemonIdentity(d: DaemonRecord) {
  return {
    daemonId: d.daemonId,
    host: d.host,
    pid: d.pid,
    version: d.version,
    startedAt: new Date(d.startedAt).toISOString(),
    lastSeen: new Date(d.lastSeen).toISOString(),
  };
}
