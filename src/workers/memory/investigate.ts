/**
 * One leak investigation, started by the sentinel on a 'suspected leak':
 *  1. clean measurement A (jobs paused, in-flight pages done, full GC), a census of the heap's
 *     objects, and the evidence plan (evidence-plan.ts): heap snapshots only when their native
 *     memory keeps RSS within the investigation's budget; snapshot A if so. Jobs resume with
 *     V8's sampling heap profiler on;
 *  2. a gap of jobs sized for the growth to show (gapJobs: longer for a slow leak);
 *  3. clean measurement B, the sampling profile (where what is still alive was allocated), and
 *     snapshot B if it still fits the budget; jobs stay paused;
 *  4. the growth from A to B must confirm the leak (confirm-growth.ts; a slow leak stands on
 *     the long window), else the files are deleted and nothing is reported;
 *  5. the report is stored at once, with the allocation sites. With snapshots, the process hands
 *     the diff to its supervisor (a process of its own completes the report's class and
 *     retainer path) and is replaced at once: it is leaking, and its snapshots' native memory
 *     would stay with it. Without, it is replaced when recycleOnLeak is set.
 * The investigation's files are pinned until it ends, so no disk-budget pass (in any process)
 * deletes them; one heap tool at a time (heap-lock.ts).
 */
import { unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { coerceError } from '../../shared/errors.js';
import { HeapSession } from '../../shared/heap/heap-session.js';
import { limitsFrom } from '../../shared/heap/perform-action.js';
import { SnapshotPin } from '../../shared/heap/snapshot-pins.js';
import { prepareHeapSnapshot, snapshotStem, type WrittenSnapshot } from '../../shared/heap/write-snapshot.js';
import type { GrowthAssessment } from '../../shared/mem/leak-analysis.js';
import { cleanPause, type CleanMeasure } from './clean-pause.js';
import { confirmGrowth } from './confirm-growth.js';
import { investigationBudget, planEvidence, planSecondSnapshot, type EvidencePlan } from './evidence-plan.js';
import { profiledSites, type ProfiledSites } from './profiled-sites.js';
import { tryLockHeap } from './heap-lock.js';
import { storeLeakReport } from './leak-report.js';
import { gapJobs, samplingInterval, suspicionOf } from './investigation-gap.js';
import { countObjects } from './object-census.js';
import type { PostGcPoints } from './post-gc-points.js';
import { RssPeak } from './rss-peak.js';
import type { LeakSentinelDeps } from './sentinel-deps.js';

export type InvestigationOutcome =
  | { kind: 'reported'; reportId: number; detail: string; snapshots: boolean }
  | { kind: 'not confirmed'; snapshots: boolean }
  | { kind: 'aborted' };

export interface InvestigationDeps extends Omit<LeakSentinelDeps, 'onRecycle'> {
  points: PostGcPoints;
  assessment: GrowthAssessment;
  isClosed(): boolean;
}

export interface Investigation {
  onJobDone(jobsDone: number): void;
  /** True once the evidence is in (after snapshot B): only the report is left. */
  readonly finishing: boolean;
  abort(): void;
  /** Rejects when a step failed. */
  done: Promise<InvestigationOutcome>;
}

/** A gap that stalls (the crawl ran out of pages) ends after this long once it saw GAP_MIN_JOBS jobs. */
const GAP_STALL_MS = 30_000;
const GAP_MIN_JOBS = 50;
/** Classes asked of the diff (culprit first); the report keeps the first ten. */
const DIFF_TOP = 100;
/** A census of a big heap blocks the event loop: announced at about this many ms per MB of heap. */
const CENSUS_MS_PER_MB = 40;
const MB = 1024 * 1024;

class Aborted extends Error {}
let sequence = 0;

export function runInvestigation(deps: InvestigationDeps): Investigation {
  const { config, log, assessment } = deps;
  const seq = ++sequence;
  let aborted = false;
  let finishing = false;
  let gap: { until: number; resolve(): void } | null = null;
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

  const census = async () => {
    const heapMb = process.memoryUsage().heapUsed / MB;
    deps.announceBlocking(Math.ceil(1_000 + heapMb * CENSUS_MS_PER_MB), 'a leak investigation census of the heap');
    return countObjects();
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
    let handedOff = false;
    /** The sentinel recycles the process after this outcome: its jobs stay paused. */
    let recycleNext = false;
    const jobsAtDetection = deps.jobsDone();
    const budgetNow = () => investigationBudget(process.memoryUsage().heapTotal, config.maxWorkerMemoryMb, config.leakHeadroomMb);
    const suspicion = suspicionOf(assessment, config.leakThresholdMbPer1kJobs);
    const gapLength = gapJobs(suspicion, config.leakSnapshotGapJobs);
    // The budget is heap + headroom (or --max-worker-memory): watched as RSS, and as RSS above the heap.
    const peak = new RssPeak();
    const snapshot = (label: 'a' | 'b') => async (): Promise<WrittenSnapshot> => {
      const stem = snapshotStem({ daemonId: deps.daemonId, workerId: deps.workerId, pid: process.pid, at: new Date(), jobsDone: deps.jobsDone(), label: `leak-${seq}-${label}` });
      const what = `leak investigation snapshot ${label.toUpperCase()}`;
      const prepared = await prepareHeapSnapshot(config.snapshotDir, stem, limitsFrom(config), { pin, protect: files.map((f) => path.basename(f)), beforeBlock: (ms) => deps.announceBlocking(ms, what) });
      files.push(prepared.path);
      return prepared.write();
    };
    const dropFiles = async () => {
      await Promise.all(files.splice(0).map((f) => unlink(f).catch(() => undefined)));
    };
    try {
      // Decided inside the pauses' callbacks: held in an object so its type is not narrowed here.
      const ev: { plan: EvidencePlan } = { plan: { kind: 'sampling profile', why: 'not planned yet' } };
      let objectsA: number | null = null;
      const plan = (objects: number | null) => {
        const mu = process.memoryUsage();
        return planEvidence({ heapUsed: mu.heapUsed, rss: mu.rss, objects, budget: budgetNow(), maxPauseMs: config.leakMaxPauseMs, freeMem: os.freemem() });
      };
      const a = await cleanPause(pauseDeps, {
        label: 'A',
        resume: false,
        // The census's array of every object must be garbage before the snapshot: it runs before
        // the GC, and only when a heap without objects would fit (it blocks about 1 s per 50 MB).
        beforeGc: async () => {
          peak.read(); // the heap before the GC shrinks it (rss-peak.ts)
          if (plan(0).kind === 'heap snapshots') objectsA = await census();
        },
        afterGc: async () => {
          peak.read();
          ev.plan = plan(objectsA);
        },
        snapshot: () => (ev.plan.kind === 'heap snapshots' ? snapshot('a')() : Promise.resolve(null)),
      });
      peak.read();
      peak.step = 'gap';
      const snapshotsTaken = () => a.snapshot !== null;
      if (ev.plan.kind === 'sampling profile') log.warn({ why: ev.plan.why, objects: objectsA }, `leak sentinel: no heap snapshots (${ev.plan.why}); the sampling heap profile names the allocation site`);
      await session.startSampling(samplingInterval(gapLength, config.leakSnapshotGapJobs));
      pauseDeps.resumeJobs();
      await waitForGap(a.jobs + gapLength);
      let profiled: ProfiledSites | null = null;
      peak.read();
      peak.step = 'measurement B';
      const b = await cleanPause(pauseDeps, {
        label: 'B',
        resume: false,
        beforeGc: async () => peak.read(),
        afterGc: async () => {
          peak.read();
          profiled = profiledSites(await session.samplingProfile());
          if (ev.plan.kind !== 'heap snapshots' || !a.snapshot) return;
          const mu = process.memoryUsage();
          ev.plan = planSecondSnapshot({ rss: mu.rss, costA: Math.max(0, a.rssAfter - a.rss), heapA: a.heap, heapB: mu.heapUsed, budget: budgetNow() });
          if (ev.plan.kind === 'sampling profile') log.warn({ why: ev.plan.why }, `leak sentinel: no snapshot B (${ev.plan.why}); the sampling heap profile names the allocation site`);
        },
        snapshot: () => (ev.plan.kind === 'heap snapshots' && a.snapshot ? snapshot('b')() : Promise.resolve(null)),
      });
      peak.read();
      await session.close(); // sampling off; object ids forgotten only now (the diff tells new objects by their ids)
      finishing = true;
      const growth = confirmGrowth(a, b, assessment.kinds, suspicion);
      if (!growth.confirmed) {
        log.info({ growth }, `leak sentinel: suspected leak not confirmed: ${growth.note}; nothing reported`);
        await dropFiles();
        recycleNext = snapshotsTaken();
        return { kind: 'not confirmed', snapshots: snapshotsTaken() };
      }
      const withSnapshots = ev.plan.kind === 'heap snapshots' && b.snapshot !== null;
      if (!withSnapshots) await dropFiles();
      const sites = (profiled as ProfiledSites | null) ?? { sites: [], sampledBytes: 0 };
      const figures = {
        threshold: config.leakThresholdMbPer1kJobs,
        detection: { jobs: jobsAtDetection, verdict: assessment.verdict, note: assessment.note, points: assessment.points, jobsSpan: assessment.jobsSpan, heap: assessment.heap, external: assessment.external, rss: assessment.rss, slow: assessment.slow ?? null },
        growth,
        pauses: [a, b].map(pauseFigures),
        objects: objectsA,
        budget: config.maxWorkerMemoryMb > 0 ? { maxWorkerMemoryMb: config.maxWorkerMemoryMb } : { headroomMb: config.leakHeadroomMb },
        peakRssMb: Math.round(peak.rss / MB),
        peakRssOverHeapMb: Math.round(peak.overHeap / MB),
        peakRssOverHeapAt: peak.overHeapAt,
        ...(withSnapshots ? { diff: { status: 'pending' } } : { evidenceNote: `sampling heap profile alone: ${ev.plan.kind === 'sampling profile' ? ev.plan.why : 'no snapshot B'}` }),
      };
      const { id, culprit } = await storeLeakReport({
        sql: deps.sql, daemonId: deps.daemonId, workerId: deps.workerId, crawlId: deps.crawlId?.() ?? null,
        jobsAtDetection, jobsDone: deps.jobsDone(), kinds: assessment.kinds, evidence: withSnapshots ? 'heap snapshots' : 'sampling profile', figures,
        growers: [], sites: sites.sites, siteBytes: sites.sampledBytes, snapshots: withSnapshots ? [...files] : [],
      });
      const names = withSnapshots ? 'growing class and retainer path follow from the heap diff' : 'no heap snapshots';
      const detail = `leak report ${id}: ${assessment.kinds.join('+')} growth ${growth.note}; allocated at ${culprit.allocationSite ?? '?'} (retained memory allocated by ${culprit.allocatedBy || '?'}); ${names}`;
      log.warn({ reportId: id, ...culprit, evidence: withSnapshots ? 'heap snapshots' : 'sampling profile', jobsAtDetection, jobsDone: deps.jobsDone(), pauses: figures.pauses, peakRssMb: figures.peakRssMb, peakRssOverHeapMb: figures.peakRssOverHeapMb, snapshots: files }, `leak sentinel: ${detail}`);
      if (withSnapshots) {
        deps.handOffDiff({ reportId: id, snapshots: [files[0]!, files[1]!], top: DIFF_TOP, sites: sites.sites, siteBytes: sites.sampledBytes, workerId: deps.workerId, pid: process.pid });
        handedOff = true;
      }
      recycleNext = config.recycleOnLeak || snapshotsTaken();
      return { kind: 'reported', reportId: id, detail, snapshots: snapshotsTaken() };
    } finally {
      peak.stop();
      await session.close().catch(() => undefined);
      if (!handedOff) await pin.release();
      else void pin.release(); // the diff process pins the files itself
      release();
      if (!recycleNext) pauseDeps.resumeJobs();
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
    },
    done,
  };
}

function pauseFigures(m: CleanMeasure) {
  const mb = (bytes: number) => Math.round((bytes / MB) * 100) / 100;
  return { label: m.label, jobs: m.jobs, heapMb: mb(m.heap), externalMb: mb(m.external), rssMb: mb(m.rss), rssAfterMb: mb(m.rssAfter), drainMs: m.drainMs, gcMs: m.gcMs, writeMs: m.writeMs, pauseMs: m.pauseMs, snapshotBytes: m.snapshot?.bytes ?? null };
}
