/** Live daemons and their processes, from the heartbeats in Redis (every host). */
import type { RedisClient } from '../shared/redis.js';
import type { RedisKeys } from '../shared/keys.js';
import { daemonIdentity, readDaemons } from '../shared/presence.js';

export interface ProcessStatus {
  workerId: string;
  pid: number | null;
  state: string;
  uptimeSeconds: number;
  jobsDone: number;
  restarts: number;
  rssBytes: number | null;
}

export interface DaemonStatus {
  daemonId: string;
  host: string;
  pid: number;
  version: string;
  startedAt: string;
  lastSeen: string;
  uptimeSeconds: number;
  processes: ProcessStatus[];
}

export async function readDaemonStatuses(redis: RedisClient, keys: RedisKeys, now = Date.now()): Promise<DaemonStatus[]> {
  const seconds = (since: number) => Math.max(0, Math.round((now - since) / 1000));
  return (await readDaemons(redis, keys)).map((d) => ({
    ...daemonIdentity(d),
    uptimeSeconds: seconds(d.startedAt),
    processes: d.processes.map((p) => ({
      workerId: p.workerId,
      pid: p.pid,
      state: p.state,
      uptimeSeconds: seconds(p.startedAt),
      jobsDone: p.jobsDone,
      restarts: p.restarts,
      rssBytes: p.lastSample?.rss ?? null,
    })),
  }));
}
