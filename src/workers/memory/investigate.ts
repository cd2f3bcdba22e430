/**
 * One leak investigation, started by the sentinel on a 'suspected leak':
 *  1. clean measurement A (jobs paused, in-flight pages done, full GC) and snapshot A; jobs
 *     resume with V8's sampling heap profiler on;
 *  2. leakSnapshotGapJobs more jobs;
 *  3. clean measurement B, the sampling profile (where what is still alive was allocated), and
 *     snapshot B; jobs stay paused;
 *  4. the growth from A to B must confirm the leak (confirm-growth.ts), else the files are
 *     deleted, jobs resume and nothing is reported;
 *  5. the diff runs in a child process while jobs stay paused (at most leakMaxPauseMs more), so
 *     a fast process does not run thousands of pages before its report; the report is stored
 *     and logged; jobs resume, unless the process is about to be recycled for it.
 * A heap too big to snapshot (evidence-plan.ts) runs the same steps with the sampling heap
 * profile alone. The investigation's files are pinned until it ends, so no
 * disk-budget pass (in any process) deletes them; one heap tool at a time (heap-lock.ts).
 */
import { unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { coerceError } from '../../shared/errors.js';
import { HeapSession } from '../../shared/heap/heap-session.js';
import { limitsFrom } from '../../shared/heap/perform-action.js';
import { SnapshotPin } from '../../shared/heap/snapshot-pins.js';
import { prepareHeapSnapshot, snapshotStem } from '../../shared/heap/write-snapshot.js';
import type { GrowthAssessment } from '../../shared/mem/leak-analysis.js';
import { cleanPause, type CleanMeasure } from './clean-pause.js';
import { confirmGrowth } from './confirm-growth.js';
import { planEvidence } from './evidence-plan.js';
import { gatherCulprit, profiledSites, type ProfiledSites } from './gather-culprit.js';
import { tryLockHeap } from './heap-lock.js';
import { shortPath, storeLeakReport } from './leak-report.js';
import type { PostGcPoints } from './post-gc-points.js';
import type { LeakSentinelDeps } from './sentinel-deps.js';

export type InvestigationOutcome = { kind: 'reported'; reportId: number; detail: string } | { kind: 'not confirmed' } | { kind: 'aborted' };

export interface InvestigationDeps extends Omit<LeakSentinelDeps, 'onRecycle'> {
  points: PostGcPoints;
  assessment: GrowthAssessment;
  isClosed(): boolean;
}

export interface Investigation {
  onJobDone(jobsDone: number): void;
  /** True once the evidence is in (after snapshot B): only the diff and the report are left. */
  readonly finishing: boolean;
  abort(): void;
  /** Rejects when a step failed. */
  done: Promise<InvestigationOutcome>;
}

/** A gap that stalls (the crawl ran out of pages) ends after this long once it saw GAP_MIN_JOBS jobs. */
const GAP_STALL_MS = 30_000;
const GAP_MIN_JOBS = 50;
/**
 * Bytes between heap profiler samples (V8's default is 32 KiB): small enough that the few
 * small objects a handler allocates to keep a page (a record, a closure, a slice, a Buffer
 * object: 20-200 bytes each) are sampled several times over a gap of 200 pages.
 */
export const SAMPLING_INTERVAL = 1024;
/** Classes asked of the diff (culprit first); the report keeps the first ten. */
const DIFF_TOP = 100;

class Aborted extends Error {}
let sequence = 0;

export function runInvestigation(deps: InvestigationDeps): Investigation {
  const { config, log, assessment } = deps;
  const seq = ++sequence;
  let aborted = false;
  let finishing = false;
  let gap: { until: number; resolve(): void } | null = null;
  let stopDiff: () => void = () => undefined;
  let rejectAbortion: () => void = () => undefined;
  const abortion = new Promise<never>((_, reject) => (rejectAbortion = () => reject(new Aborted())));
  abortion.catch(() => undefined);
  const orAbort = <T>(work: Promise<T>) => Promise.race([work, abortion]);

  let paused = false;
  const pauseDeps = {
    ...deps,
    pauseJobs: async () => {
      paused = true;
      await orAbort(deps.pauseJobs());
    },
    resumeJobs: () => {
      if (!paused) return;
      paused = false;
      if (!aborted && !deps.isClosed()) deps.resumeJobs();
    },
  };

  const waitForGap = async (until: number) => {
    const from = deps.jobsDone();
    const reached = new Promise<void>((resolve) => (gap = { until, resolve }));
    for (;;) {
      const r = await orAbort(Promise.race([reached.then(() => true), sleep(GAP_STALL_MS, false, { ref: false })]));
      if (r || deps.jobsDone() - from >= GAP_MIN_JOBS) break;
    }
    gap = null;
  };

  const run = async (): Promise<InvestigationOutcome> => {
    const release = tryLockHeap('a leak investigation');
    if (!release) {
      log.warn('leak sentinel: a snapshot or profile asked for by hand is running; investigation skipped');
      return { kind: 'aborted' };
    }
    const session = new HeapSession();
    const pin = new SnapshotPin(config.snapshotDir);
    const files: string[] = [];
    let reported = false;
    const jobsAtDetection = deps.jobsDone();
    const mem = process.memoryUsage();
    const plan = planEvidence(mem.heapUsed, config.leakMaxPauseMs, os.freemem(), { bytes: mem.rss, limitBytes: config.maxWorkerMemoryMb * 1024 * 1024 });
    /** Prepares a snapshot (checks, pin, budget) while the jobs drain; its write() comes once they have. */
    const prepare = (label: 'a' | 'b') => async () => {
      const stem = snapshotStem({ daemonId: deps.daemonId, workerId: deps.workerId, pid: process.pid, at: new Date(), jobsDone: deps.jobsDone(), label: `leak-${seq}-${label}` });
      const what = `leak investigation snapshot ${label.toUpperCase()}`;
      const prepared = await prepareHeapSnapshot(config.snapshotDir, stem, limitsFrom(config), { pin, protect: files.map((f) => path.basename(f)), beforeBlock: (ms) => deps.announceBlocking(ms, what) });
      files.push(prepared.path);
      return prepared.write;
    };
    try {
      const snapshots = plan.kind === 'heap snapshots';
      if (!snapshots) log.warn({ why: plan.why }, `leak sentinel: no heap snapshots (${plan.why}); using the sampling heap profiler alone`);
      const a = await cleanPause(pauseDeps, { label: 'A', ...(snapshots ? { prepare: prepare('a') } : {}), resume: false });
      await session.startSampling(SAMPLING_INTERVAL);
      pauseDeps.resumeJobs();
      await waitForGap(a.jobs + config.leakSnapshotGapJobs);
      let profiled: ProfiledSites | null = null;
      const b = await cleanPause(pauseDeps, { label: 'B', afterGc: async () => void (profiled = profiledSites(await session.samplingProfile())), ...(snapshots ? { prepare: prepare('b') } : {}), resume: false });
      await session.close(); // sampling off; object ids forgotten only now (the diff tells new objects by their ids)
      finishing = true;
      const growth = confirmGrowth(a, b, assessment.kinds, config.leakThresholdMbPer1kJobs);
      if (!growth.confirmed) {
        log.info({ growth }, `leak sentinel: suspected leak not confirmed: ${growth.note}; nothing reported`);
        await Promise.all(files.map((f) => unlink(f).catch(() => undefined)));
        return { kind: 'not confirmed' };
      }
      const t0 = performance.now();
      const gathering = gatherCulprit({ snapshots: snapshots ? [files[0]!, files[1]!] : null, profiled, top: DIFF_TOP });
      stopDiff = gathering.stop;
      const capped = await orAbort(Promise.race([gathering.result.then(() => true), sleep(config.leakMaxPauseMs, false, { ref: false })]));
      if (!capped) pauseDeps.resumeJobs(); // a long diff: let the process work meanwhile
      const evidence = await orAbort(gathering.result);
      const diffMs = Math.round(performance.now() - t0);
      const figures = {
        threshold: config.leakThresholdMbPer1kJobs,
        detection: { jobs: jobsAtDetection, verdict: assessment.verdict, note: assessment.note, points: assessment.points, jobsSpan: assessment.jobsSpan, heap: assessment.heap, external: assessment.external, rss: assessment.rss },
        growth,
        pauses: [a, b].map(pauseFigures),
        diffMs,
        ...(plan.kind === 'sampling profile' ? { evidenceNote: `sampling heap profile alone: ${plan.why}` } : {}),
      };
      const { id, culprit } = await storeLeakReport({
        sql: deps.sql, daemonId: deps.daemonId, workerId: deps.workerId, crawlId: deps.crawlId?.() ?? null,
        jobsAtDetection, jobsDone: deps.jobsDone(), kinds: assessment.kinds, evidence: plan.kind, figures,
        growers: evidence.classes, sites: evidence.sites, siteBytes: evidence.siteBytes, snapshots: files,
      });
      reported = true;
      const detail = `leak report ${id}: ${assessment.kinds.join('+')} growth ${growth.note}; growing class ${culprit.growingClass ?? '?'}; held by ${shortPath(culprit.retainerPath) || '?'}; allocated at ${culprit.allocationSite ?? '?'} (retained memory allocated by ${culprit.allocatedBy || '?'})`;
      log.warn({ reportId: id, ...culprit, evidence: plan.kind, jobsAtDetection, jobsDone: deps.jobsDone(), diffMs, pauses: figures.pauses, snapshots: files }, `leak sentinel: ${detail}`);
      return { kind: 'reported', reportId: id, detail };
    } finally {
      await session.close().catch(() => undefined);
      await pin.release();
      release();
      // The process stays paused for its recycle, which follows the report; it resumes otherwise.
      if (!(reported && config.recycleOnLeak)) pauseDeps.resumeJobs();
    }
  };

  const done = run().catch((thrown: unknown): InvestigationOutcome => {
    if (thrown instanceof Aborted || aborted) return { kind: 'aborted' };
    throw coerceError(thrown);
  });
  return {
    onJobDone(jobsDone) {
      const g = gap as { until: number; resolve(): void } | null;
      if (g && jobsDone >= g.until) g.resolve();
    },
    get finishing() {
      return finishing;
    },
    abort() {
      aborted = true;
      rejectAbortion();
      stopDiff();
    },
    done,
  };
}

function pauseFigures(m: CleanMeasure) {
  const mb = (bytes: number) => Math.round((bytes / 1048576) * 100) / 100;
  return { label: m.label, jobs: m.jobs, heapMb: mb(m.heap), externalMb: mb(m.external), rssMb: mb(m.rss), drainMs: m.drainMs, gcMs: m.gcMs, writeMs: m.writeMs, pauseMs: m.pauseMs, snapshotBytes: m.snapshot?.bytes ?? null };
}
