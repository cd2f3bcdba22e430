/**
 * The leak sentinel, inside each crawler process. After a warm-up it fits the post-GC heap
 * against jobs done over a recent window (one evaluation per major GC). When the verdict is
 * 'suspected leak' for several evaluations in a row it: logs the figures, takes heap
 * snapshot A, lets leakSnapshotGapJobs more jobs run, takes snapshot B, diffs them in a
 * separate process, stores a leak_reports row, and with recycleOnLeak asks to be recycled.
 * At most one investigation per snapshotMinIntervalMs; the disk budget is writeHeapSnapshot's.
 */
import type { Config } from '../../shared/config.js';
import type { Db } from '../../shared/db/client.js';
import { coerceError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { MemSample } from '../../shared/mem-sample.js';
import { computeTrend, type MemTrend, type MemVerdict } from '../../shared/mem/trend.js';
import { createGcProbe, loadForceGc } from './gc-probe.js';
import { runInvestigation, type Investigation } from './investigate.js';

export interface LeakSentinelDeps {
  config: Config;
  daemonId: string;
  workerId: string;
  log: Logger;
  db: Db;
  jobsDone(): number;
  /** Stops taking jobs and waits for in-flight ones (a snapshot blocks the process for seconds). */
  pauseJobs(): Promise<void>;
  resumeJobs(): void;
  /** Called once, after the report is stored, when config.recycleOnLeak is set. */
  onRecycle(detail: string): void;
  /** The crawl this process is working on, if it knows one (stored with the report). */
  crawlId?(): number | null;
}

export interface LeakSentinel {
  onSample(sample: MemSample): void;
  close(): Promise<void>;
}

/** Samples kept for the fit (at the default 5 s interval, two hours). */
export const WINDOW_SAMPLES = 1440;
/** Consecutive 'suspected leak' evaluations before investigating. */
export const PERSISTENCE = 3;
/** The GC probe waits at least this many jobs and sample intervals for a natural major GC. */
export const PROBE_MIN_JOBS = 50;
export const PROBE_MIN_SAMPLES = 5;

export function createLeakSentinel(deps: LeakSentinelDeps): LeakSentinel {
  const { config, log } = deps;
  const window: MemSample[] = [];
  const verdicts: MemVerdict[] = [];
  let lastPostGc: number | null = null;
  let lastStartedAt = -Infinity;
  let current: Investigation | null = null;
  let closed = false;
  let recycled = false;
  const probe = createGcProbe(
    {
      warmupJobs: config.leakWarmupJobs,
      minJobs: PROBE_MIN_JOBS,
      minIntervalMs: PROBE_MIN_SAMPLES * config.sampleIntervalMs,
      leakThresholdMbPer1kJobs: config.leakThresholdMbPer1kJobs,
    },
    loadForceGc(),
  );
  const trendNow = (): MemTrend =>
    computeTrend(window, { warmupJobs: config.leakWarmupJobs, leakThresholdMbPer1kJobs: config.leakThresholdMbPer1kJobs });

  const start = (trend: MemTrend, at: number) => {
    lastStartedAt = at;
    verdicts.length = 0;
    log.warn({ leak: figuresForLog(trend), threshold: config.leakThresholdMbPer1kJobs }, `leak sentinel: ${trend.note}; taking heap snapshots ${config.leakSnapshotGapJobs} jobs apart`);
    current = runInvestigation({ ...deps, trendNow, isClosed: () => closed });
    current.done
      .then((outcome) => {
        if (outcome && config.recycleOnLeak && !closed && !recycled) {
          recycled = true;
          deps.onRecycle(outcome.detail);
        }
      })
      .catch((thrown: unknown) => log.warn({ err: coerceError(thrown) }, 'leak sentinel: investigation failed; watching again'))
      .finally(() => {
        current = null;
      });
  };

  return {
    onSample(sample) {
      if (closed || recycled) return;
      probe.onSample(sample);
      if (sample.jobsDone < config.leakWarmupJobs) return;
      window.push(sample);
      if (window.length > WINDOW_SAMPLES) window.splice(0, window.length - WINDOW_SAMPLES);
      const inv = current as Investigation | null;
      if (inv) {
        inv.onSample(sample);
        return;
      }
      if (sample.postGcHeap === null || sample.postGcHeap === lastPostGc) return;
      lastPostGc = sample.postGcHeap;
      const trend = trendNow();
      log.debug({ verdict: trend.verdict, note: trend.note, ...figuresForLog(trend) }, 'leak sentinel: evaluated');
      verdicts.push(trend.verdict);
      if (verdicts.length > PERSISTENCE) verdicts.shift();
      if (verdicts.length < PERSISTENCE || verdicts.some((v) => v !== 'suspected leak')) return;
      if (sample.at - lastStartedAt < config.snapshotMinIntervalMs) {
        log.debug({ sinceLastMs: sample.at - lastStartedAt }, 'leak sentinel: suspected leak, but the last investigation was too recent');
        return;
      }
      start(trend, sample.at);
    },
    async close() {
      closed = true;
      const inv = current as Investigation | null;
      if (inv) {
        inv.abort();
        await inv.done.catch(() => undefined);
      }
    },
  };
}

export function figuresForLog(t: MemTrend): Record<string, unknown> {
  return {
    heapMbPer1kJobs: t.heap.mbPer1kJobs,
    heapMbPerHour: t.heap.mbPerHour,
    r2: t.heap.r2Jobs,
    gcPoints: t.heap.points,
    samples: t.samplesUsed,
    jobsSpan: t.jobsSpan,
    rssMbPer1kJobs: t.rss.mbPer1kJobs,
  };
}
