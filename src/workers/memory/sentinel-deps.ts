/** What the leak sentinel (and its investigations) need from the crawler process. */
import type { Config } from '../../shared/config.js';
import type { LeakDiffJob } from '../../shared/ipc.js';
import type { SqlRunner } from '../../shared/db/sql.js';
import type { Logger } from '../../shared/logger.js';

export interface LeakSentinelDeps {
  config: Config;
  daemonId: string;
  workerId: string;
  log: Logger;
  /** Where the leak report is stored (leak_reports). */
  sql: SqlRunner;
  jobsDone(): number;
  /** Stops taking jobs and waits for in-flight ones (a snapshot blocks the process for seconds). */
  pauseJobs(): Promise<void>;
  resumeJobs(): void;
  /** Tells the supervisor's watchdog that the event loop is about to block on purpose. */
  announceBlocking(expectedMs: number, what: string): void;
  /**
   * Called once: after a report when config.recycleOnLeak is set ('leak'), and after any
   * investigation that wrote heap snapshots (their native memory stays with the process).
   */
  onRecycle(reason: 'leak' | 'snapshot-memory', detail: string): void;
  /** Hands a stored report's heap diff to the supervisor; the process is replaced right after. */
  handOffDiff(job: LeakDiffJob): void;
  /** The crawl this process is working on, if it knows one (stored with the report). */
  crawlId?(): number | null;
}
