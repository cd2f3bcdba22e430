/**
 * A clean measurement, and the snapshot that goes with it: stop taking jobs, let the in-flight
 * ones finish (so no job lock can lapse while the process is blocked, and no page in flight
 * blurs the figure), force a full GC and read the heap, then optionally write a heap snapshot
 * (announced to the supervisor first). Every step is timed and logged: how long the process
 * took no new pages, and how long its event loop was blocked.
 */
import v8 from 'node:v8';
import type { Logger } from '../../shared/logger.js';
import type { WrittenSnapshot } from '../../shared/heap/write-snapshot.js';
import type { PostGcPoints } from './post-gc-points.js';

export interface PauseDeps {
  log: Logger;
  points: PostGcPoints;
  jobsDone(): number;
  pauseJobs(): Promise<void>;
  resumeJobs(): void;
}

export interface CleanMeasure {
  label: string;
  jobs: number;
  heap: number;
  external: number;
  /** Off-heap RSS (RSS minus the heap's committed memory) right after the GC, before any snapshot. */
  offHeapRss: number;
  /** The same once the step is over: writing a snapshot leaves RSS higher (until the process ends). */
  offHeapRssAfter: number;
  rss: number;
  /** RSS once the step is over (after its snapshot): the step's peak. */
  rssAfter: number;
  /** Waiting for the in-flight pages. */
  drainMs: number;
  gcMs: number;
  /** The snapshot's write (the event loop blocked), when one was written. */
  writeMs: number | null;
  /** From pausing the jobs to the end of the step (jobs may stay paused after it). */
  pauseMs: number;
  snapshot: WrittenSnapshot | null;
}

export interface PauseStep {
  label: string;
  /** Runs once the jobs have drained, before the measurement's full GC (whatever it leaves behind is collected by it). */
  beforeGc?: () => Promise<void>;
  /** Runs right after the measurement's full GC (when only live objects are left), before the snapshot. */
  afterGc?: () => Promise<void>;
  /** Writes this step's heap snapshot, if it takes one (decided after afterGc); null when it does not. */
  snapshot?: () => Promise<WrittenSnapshot | null>;
  /** Resume jobs at the end (false: the caller keeps them paused). */
  resume: boolean;
}

export async function cleanPause(deps: PauseDeps, step: PauseStep): Promise<CleanMeasure> {
  const t0 = performance.now();
  await deps.pauseJobs();
  const drained = performance.now();
  try {
    await step.beforeGc?.();
    const gc = deps.points.fullGc(`leak investigation measurement ${step.label}`);
    const mu = process.memoryUsage();
    const offHeap = () => process.memoryUsage.rss() - v8.getHeapStatistics().total_physical_size;
    const offHeapRss = offHeap();
    await step.afterGc?.();
    const snapshot = step.snapshot ? await step.snapshot() : null;
    const m: CleanMeasure = {
      label: step.label,
      jobs: deps.jobsDone(),
      heap: gc?.heap ?? mu.heapUsed,
      external: gc?.external ?? mu.external,
      offHeapRss,
      offHeapRssAfter: offHeap(),
      rss: mu.rss,
      rssAfter: process.memoryUsage.rss(),
      drainMs: Math.round(drained - t0),
      gcMs: Math.round(gc?.costMs ?? 0),
      writeMs: snapshot ? Math.round(snapshot.writeMs) : null,
      pauseMs: Math.round(performance.now() - t0),
      snapshot,
    };
    deps.log.info({ pause: { ...m, snapshot: snapshot?.path ?? null, bytes: snapshot?.bytes ?? null } }, `leak investigation ${step.label}: jobs paused ${m.pauseMs} ms (in-flight pages ${m.drainMs} ms, GC ${m.gcMs} ms${m.writeMs === null ? '' : `, snapshot ${m.writeMs} ms, ${((snapshot?.bytes ?? 0) / 1048576).toFixed(1)} MB`}); rss ${(m.rssAfter / 1048576).toFixed(0)} MB`);
    return m;
  } finally {
    if (step.resume) deps.resumeJobs();
  }
}
