/**
 * The `spiderd mem --json` document (documented in docs/mem-json.md). Its shape is stable:
 * fields are only ever added, never renamed or removed; `version` changes otherwise.
 */
import type { LeakSummary } from './leak-reports.js';
import type { MemView } from './collect.js';
import { daemonIdentity } from '../../shared/presence.js';
import { rowVerdict, type GrowthOutlook } from './row-verdict.js';

export interface MemJson {
  version: 1;
  generatedAt: string;
  daemons: Array<{ daemonId: string; host: string; pid: number; version: string; startedAt: string; lastSeen: string; snapshotDir: string }>;
  processes: Array<{
    host: string;
    daemonId: string;
    workerId: string;
    pid: number | null;
    state: string;
    startedAt: string;
    uptimeMs: number;
    jobsDone: number;
    sampledAt: string | null;
    rss: number | null;
    heapUsed: number | null;
    heapTotal: number | null;
    external: number | null;
    arrayBuffers: number | null;
    postGcHeap: number | null;
    loopDelayP99Ms: number | null;
    trend: {
      verdict: string;
      nativeGrowth: boolean;
      note: string;
      axis: 'jobs' | 'time';
      heapMbPerHour: number | null;
      heapMbPer1kJobs: number | null;
      heapR2Jobs: number | null;
      heapR2Time: number | null;
      rssMbPerHour: number | null;
      rssMbPer1kJobs: number | null;
      gcPoints: number;
      samplesUsed: number;
      source: 'process' | 'samples';
      heapLowerMbPer1kJobs: number | null;
      externalMbPer1kJobs: number | null;
      noiseMb: number | null;
      investigation: string | null;
      forcedGcs: number | null;
      forcedGcMs: number | null;
      growth: GrowthOutlook;
    };
    leakReport: LeakSummary | null;
  }>;
  leakReportsError: string | null;
}

export function memJson(view: MemView): MemJson {
  return {
    version: 1,
    generatedAt: new Date(view.generatedAt).toISOString(),
    daemons: view.daemons.map((d) => ({
      ...daemonIdentity(d),
      snapshotDir: d.snapshotDir,
    })),
    processes: view.rows.map((r) => ({
      host: r.host,
      daemonId: r.daemonId,
      workerId: r.workerId,
      pid: r.pid,
      state: r.state,
      startedAt: new Date(r.startedAt).toISOString(),
      uptimeMs: r.uptimeMs,
      jobsDone: r.jobsDone,
      sampledAt: r.sample ? new Date(r.sample.at).toISOString() : null,
      rss: r.sample?.rss ?? null,
      heapUsed: r.sample?.heapUsed ?? null,
      heapTotal: r.sample?.heapTotal ?? null,
      external: r.sample?.external ?? null,
      arrayBuffers: r.sample?.arrayBuffers ?? null,
      postGcHeap: r.sample?.postGcHeap ?? null,
      loopDelayP99Ms: r.sample?.loopDelayP99Ms ?? null,
      trend: trendJson(r),
      leakReport: r.leakReport,
    })),
    leakReportsError: view.leakReportsError,
  };
}

function trendJson(row: MemView['rows'][number]): MemJson['processes'][number]['trend'] {
  const v = rowVerdict(row);
  return {
    verdict: v.verdict,
    nativeGrowth: v.nativeGrowth,
    note: v.note,
    axis: v.axis,
    heapMbPerHour: round(v.heapMbPerHour),
    heapMbPer1kJobs: round(v.heapMbPer1kJobs),
    heapR2Jobs: round(v.heapR2Jobs),
    heapR2Time: round(v.heapR2Time),
    rssMbPerHour: round(v.rssMbPerHour),
    rssMbPer1kJobs: round(v.rssMbPer1kJobs),
    gcPoints: v.gcPoints,
    samplesUsed: v.samplesUsed,
    source: v.source,
    heapLowerMbPer1kJobs: round(v.heapLowerMbPer1kJobs),
    externalMbPer1kJobs: round(v.externalMbPer1kJobs),
    noiseMb: round(v.noiseMb),
    investigation: v.investigation,
    forcedGcs: v.forcedGcs,
    forcedGcMs: v.forcedGcMs,
    growth: { ...v.growth, mbPer1kJobs: round(v.growth.mbPer1kJobs), mbPerDay: round(v.growth.mbPerDay), hoursToLimit: round(v.growth.hoursToLimit) },
  };
}

function round(n: number | null): number | null {
  return n === null ? null : Math.round(n * 1000) / 1000;
}
