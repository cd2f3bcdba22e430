/**
 * The leak sentinel, inside each crawler process. It evaluates by work done, not by wall
 * time: every EVAL_EVERY_JOBS finished jobs and at every memory sample, whichever comes
 * first. Each evaluation records the major GCs V8 ran since the last one, forces a full GC
 * when a point is due (force-mode.ts, within the GC budget of gc-probe.ts), and runs
 * THE leak analysis (shared/mem/leak-analysis.ts) on the points, together with the long
 * window's (shared/mem/slow-growth.ts: slow leaks, judged by the time to the heap limit). Its
 * state is published in every memory sample (`spiderd mem` prints it). A 'suspected leak'
 * starts an investigation (investigate.ts) at once; the investigation confirms the growth on
 * clean measurements before it stores a report. The process is then recycled with
 * recycleOnLeak, and always when the investigation wrote heap snapshots (their native memory
 * stays with the process). At most one investigation per snapshotMinIntervalMs.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import v8 from 'node:v8';
import { coerceError } from '../../shared/errors.js';
import { assessGrowth, withSlowGrowth, type GrowthAssessment } from '../../shared/mem/leak-analysis.js';
import { assessSlowGrowth, SlowHistory } from '../../shared/mem/slow-growth.js';
import { leakStateFrom, type InvestigationPhase, type LeakState } from '../../shared/mem/leak-state.js';
import { forceMode } from './force-mode.js';
import { GcBudget, loadForceGc } from './gc-probe.js';
import { runInvestigation, type Investigation } from './investigate.js';
import { PostGcPoints } from './post-gc-points.js';
import type { LeakSentinelDeps } from './sentinel-deps.js';

export type { LeakSentinelDeps } from './sentinel-deps.js';


export interface LeakSentinel {
  /** After every finished job (cheap: evaluates every EVAL_EVERY_JOBS jobs). */
  onJobDone(jobsDone: number): void;
  /** At every memory sample: evaluates, and returns the state to publish. */
  onSample(jobsDone: number): LeakState;
  /** The heap after the latest major GC, or null before one. */
  postGcHeap(): number | null;
  close(): Promise<void>;
}

/** Jobs between two evaluations (reading V8's GC reports costs microseconds). */
export const EVAL_EVERY_JOBS = 25;
/** Forced GCs a process may have on top of the steady budget while its evidence is short or suspicious (four give a leak its verdict). */
export const START_ALLOWANCE_GCS = 6;

export function createLeakSentinel(deps: LeakSentinelDeps): LeakSentinel {
  const { config, log } = deps;
  const budget = new GcBudget({
    warmupJobs: config.leakWarmupJobs,
    pointEveryJobs: config.leakPointEveryJobs,
    budgetPercent: config.leakGcBudgetPercent,
    startAllowanceGcs: START_ALLOWANCE_GCS,
  });
  const points = new PostGcPoints(budget, loadForceGc(), deps.announceBlocking);
  const options = { warmupJobs: config.leakWarmupJobs, thresholdMbPer1kJobs: config.leakThresholdMbPer1kJobs };
  const history = new SlowHistory(config.leakSlowWindowJobs);
  let seenPoints = 0;
  // The heap's limit: the V8 cap the process runs with (--heap-cap, else V8's own), or the soft RSS limit when lower.
  const heapLimit = v8.getHeapStatistics().heap_size_limit;
  const limitBytes = config.maxWorkerMemoryMb > 0 ? Math.min(heapLimit, config.maxWorkerMemoryMb * 1024 * 1024) : heapLimit;
  const slowOptions = { warmupJobs: config.leakSlowWarmupJobs, windowJobs: config.leakSlowWindowJobs, limitBytes, horizonMs: config.leakHorizonMs };
  let assessment: GrowthAssessment = assessGrowth([], options);
  let phase: InvestigationPhase = 'none';
  let reportId: number | null = null;
  let lastEvalJobs = 0;
  let lastStartedAt = -Infinity;
  let current: Investigation | null = null;
  let closed = false;
  let recycled = false;

  const state = (): LeakState => leakStateFrom(assessment, { forcedGcs: budget.forced, forcedGcMs: budget.forcedMs, investigation: phase, reportId });

  const start = (now: number) => {
    lastStartedAt = now;
    phase = 'running';
    log.info({ leak: state() }, `leak sentinel: ${assessment.note}; investigating (a report follows only if clean measurements confirm it)`);
    current = runInvestigation({ ...deps, points, assessment, isClosed: () => closed });
    current.done
      .then((outcome) => {
        phase = outcome.kind === 'aborted' ? 'none' : outcome.kind;
        if (outcome.kind === 'aborted' || closed || recycled) return;
        if (outcome.kind === 'reported') reportId = outcome.reportId;
        // Heap snapshots leave native memory that malloc keeps: a process that took them is replaced.
        const reason = outcome.kind === 'reported' && (config.recycleOnLeak || outcome.snapshots) ? 'leak' : outcome.snapshots ? 'snapshot-memory' : null;
        if (!reason) return;
        recycled = true;
        deps.onRecycle(reason, outcome.kind === 'reported' ? outcome.detail : 'a leak investigation that was not confirmed wrote heap snapshots; their native memory stays with the process');
      })
      .catch((thrown: unknown) => {
        phase = 'failed';
        log.warn({ err: coerceError(thrown) }, 'leak sentinel: investigation failed; watching again');
      })
      .finally(() => {
        current = null;
      });
  };

  const evaluate = (jobs: number) => {
    if (closed || recycled) return;
    lastEvalJobs = jobs;
    const investigating = current !== null;
    const mode = forceMode(points.points, assessment, investigating, { warmupJobs: config.leakWarmupJobs, pointEveryJobs: config.leakPointEveryJobs, thresholdMbPer1kJobs: config.leakThresholdMbPer1kJobs });
    if (points.collect(jobs, mode) === 0) return;
    const all = points.points;
    for (const p of all.slice(Math.max(0, all.length - (points.added - seenPoints)))) history.add(p);
    seenPoints = points.added;
    assessment = withSlowGrowth(assessGrowth(all, options), assessSlowGrowth(history.points, slowOptions), points.last?.heap ?? null);
    log.debug({ leak: state(), force: mode, point: points.last, quietGcsGivenUp: points.givenUp }, 'leak sentinel: evaluated');
    if (investigating || assessment.verdict !== 'suspected leak') return;
    const now = Date.now();
    if (now - lastStartedAt < config.snapshotMinIntervalMs) {
      log.debug({ sinceLastMs: now - lastStartedAt }, 'leak sentinel: suspected leak, but the last investigation was too recent');
      return;
    }
    start(now);
  };

  return {
    onJobDone(jobsDone) {
      (current as Investigation | null)?.onJobDone(jobsDone);
      if (jobsDone - lastEvalJobs >= EVAL_EVERY_JOBS) evaluate(jobsDone);
    },
    onSample(jobsDone) {
      evaluate(jobsDone);
      return state();
    },
    postGcHeap: () => points.last?.heap ?? null,
    async close() {
      closed = true;
      points.stop();
      const inv = current as Investigation | null;
      if (inv) {
        // Past snapshot B only the diff and the report are left: let them land (a recycle for
        // --max-worker-memory must not lose the report), within the longest pause allowed.
        if (inv.finishing) await Promise.race([inv.done.catch(() => undefined), sleep(config.leakMaxPauseMs, undefined, { ref: false })]);
        inv.abort();
        await inv.done.catch(() => undefined);
      }
    },
  };
}
