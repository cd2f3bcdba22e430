/**
 * A crawler process's memory wiring (main.ts calls it): the leak sentinel, fed after every job
 * and at every memory sample, whose state each sample publishes; and the soft RSS limit
 * (--max-worker-memory), checked every RSS_CHECK_EVERY_JOBS jobs as well as at every sample,
 * so a process that leaks at hundreds of pages per second is caught within a few pages.
 * Crawler processes create their files (snapshots, profiles, Node's out-of-memory snapshot)
 * readable by their owner only (umask 077).
 */
import type { Config } from '../../shared/config.js';
import type { LeakDiffJob } from '../../shared/ipc.js';
import type { SqlRunner } from '../../shared/db/sql.js';
import type { Logger } from '../../shared/logger.js';
import type { MemSample } from '../../shared/mem-sample.js';
import { createLeakSentinel, type LeakSentinel } from './sentinel.js';

/** Reading RSS costs a few microseconds (one /proc read). */
export const RSS_CHECK_EVERY_JOBS = 4;
const MB = 1024 * 1024;

export interface MemoryWiringDeps {
  config: Config;
  daemonId: string;
  workerId: string;
  log: Logger;
  sql: SqlRunner;
  jobsDone(): number;
  pauseJobs(): Promise<void>;
  resumeJobs(): void;
  announceBlocking(expectedMs: number, what: string): void;
  /** Drain and replace this process (max-memory, leak, the memory a leak investigation's snapshots left). */
  recycle(reason: 'max-memory' | 'leak' | 'snapshot-memory', detail: string): void;
  /** Hands a stored leak report's heap diff to the supervisor (this process is being replaced). */
  handOffDiff(job: LeakDiffJob): void;
}

export interface MemoryWiring {
  onJobDone(jobsDone: number): void;
  /** The sample as sent to the supervisor: with the sentinel's post-GC heap and state. */
  onSample(sample: MemSample): MemSample;
  sentinel: LeakSentinel | null;
}

export function wireMemory(deps: MemoryWiringDeps): MemoryWiring {
  const { config } = deps;
  process.umask(0o077);
  const sentinel = config.leakSentinel ? createLeakSentinel({ ...deps, onRecycle: (reason, detail) => deps.recycle(reason, detail) }) : null;
  const limit = config.maxWorkerMemoryMb * MB;
  const checkRss = (rss: number, jobsDone: number) => {
    if (limit > 0 && rss > limit) {
      deps.recycle('max-memory', `rss ${(rss / MB).toFixed(1)} MB over the limit of ${config.maxWorkerMemoryMb} MB (heap used ${(process.memoryUsage().heapUsed / MB).toFixed(1)} MB, after ${jobsDone} jobs)`);
    }
  };
  return {
    sentinel,
    onJobDone(jobsDone) {
      if (limit > 0 && jobsDone % RSS_CHECK_EVERY_JOBS === 0) checkRss(process.memoryUsage.rss(), jobsDone);
      sentinel?.onJobDone(jobsDone);
    },
    onSample(sample) {
      checkRss(sample.rss, sample.jobsDone);
      if (!sentinel) return sample;
      const leak = sentinel.onSample(sample.jobsDone);
      return { ...sample, postGcHeap: sentinel.postGcHeap() ?? sample.postGcHeap, leak };
    },
  };
}
