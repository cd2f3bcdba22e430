/**
 * Gathers what `spiderd mem` shows: every process of every live daemon (heartbeats), its
 * sample history (Redis), its leak state, and its latest leak report (PostgreSQL). A crawler
 * process's leak state is the one its own sentinel published in its latest sample (never
 * recomputed here, so `mem` and the sentinel cannot disagree); the supervisor's, and a crawler's
 * with the sentinel off, is a trend over its samples against time.
 */
import type { RedisClient } from '../../shared/redis.js';
import type { Db } from '../../shared/db/client.js';
import { coerceError } from '../../shared/errors.js';
import type { RedisKeys } from '../../shared/keys.js';
import type { MemSample } from '../../shared/mem-sample.js';
import { readHistory } from '../../shared/mem/history.js';
import type { LeakState } from '../../shared/mem/leak-state.js';
import { computeTrend, type MemTrend, type TrendOptions } from '../../shared/mem/trend.js';
import { readDaemons, type DaemonRecord, type ProcessState } from '../../shared/presence.js';
import { latestLeakReports, processKey, recentLeakReports, type LeakSummary } from './leak-reports.js';

export interface MemRow {
  host: string;
  daemonId: string;
  workerId: string;
  pid: number | null;
  state: ProcessState;
  startedAt: number;
  uptimeMs: number;
  jobsDone: number;
  sample: MemSample | null;
  /** This process's samples (a restarted slot's older samples are left out), oldest first. */
  history: MemSample[];
  /** The process's own leak sentinel state, from its latest sample (crawler processes). */
  leak: LeakState | null;
  /** Without a published state: the trend of the samples (the supervisor; a crawler with the sentinel off). */
  trend: MemTrend;
  leakReport: LeakSummary | null;
}

export interface MemView {
  generatedAt: number;
  daemons: DaemonRecord[];
  rows: MemRow[];
  /** Set when PostgreSQL could not be read: the rows then carry no leak report. */
  leakReportsError: string | null;
  /** With no live process: the latest leak reports stored in PostgreSQL, newest first. */
  recentReports: Array<LeakSummary & { daemonId: string; workerId: string }>;
}

export interface CollectOptions {
  daemonId?: string;
  trend: TrendOptions;
  now?: number;
}

export async function collectMem(redis: RedisClient, keys: RedisKeys, db: () => Db, options: CollectOptions): Promise<MemView> {
  const now = options.now ?? Date.now();
  const daemons = (await readDaemons(redis, keys)).filter((d) => options.daemonId === undefined || d.daemonId === options.daemonId);
  const rows: MemRow[] = [];
  for (const d of daemons) {
    for (const p of d.processes) {
      const history = (await readHistory(redis, keys, d.daemonId, p.workerId)).filter((s) => s.at >= p.startedAt);
      const sample = p.lastSample ?? history[history.length - 1] ?? null;
      rows.push({
        host: d.host,
        daemonId: d.daemonId,
        workerId: p.workerId,
        pid: p.pid,
        state: p.state,
        startedAt: p.startedAt,
        uptimeMs: Math.max(0, now - p.startedAt),
        jobsDone: sample?.jobsDone ?? p.jobsDone,
        sample,
        history,
        leak: sample?.leak ?? null,
        trend: computeTrend(history, options.trend),
        leakReport: null,
      });
    }
  }
  let leakReportsError: string | null = null;
  let recentReports: MemView['recentReports'] = [];
  try {
    if (rows.length > 0) {
      const reports = await latestLeakReports(db(), rows);
      for (const row of rows) row.leakReport = reports.get(processKey(row)) ?? null;
    } else {
      recentReports = await recentLeakReports(db());
    }
  } catch (thrown) {
    leakReportsError = coerceError(thrown).message.split('\n')[0] ?? 'unknown error';
  }
  return { generatedAt: now, daemons, rows, leakReportsError, recentReports };
}
