/**
 * The supervisor <-> crawler-process protocol: one discriminated union per direction,
 * handled by an exhaustive switch on both sides (src/daemon/child-handle.ts and
 * src/workers/main.ts). Sent with fork(..., { serialization: 'advanced' }).
 */
import type { Config } from './config.js';
import type { AllocationSite } from './heap/profile-sites.js';
import type { MemSample } from './mem-sample.js';

/** 'snapshot-memory': a leak investigation's heap snapshots left native memory the OS does not get back. */
export type DrainReason = 'shutdown' | 'parent-gone' | 'max-jobs' | 'max-memory' | 'leak' | 'snapshot-memory';

/**
 * A stored leak report whose heap diff is still to run: the crawler process that leaked hands it
 * to its supervisor and is replaced at once; a process of its own (leak-diff-process.ts) diffs the
 * two snapshots and completes the report's growing class and retainer path.
 */
export interface LeakDiffJob {
  reportId: number;
  snapshots: [string, string];
  /** Classes asked of the diff. */
  top: number;
  /** The report's allocation sites (sampling heap profile), kept with the completed report. */
  sites: AllocationSite[];
  siteBytes: number;
  workerId: string;
  /** The crawler process that leaked. */
  pid: number;
}

/** The supervisor's one message to a leak diff process. */
export interface LeakDiffStart {
  config: Config;
  job: LeakDiffJob;
}

/** What a control request asks a process to do (see control.ts for the Redis side). */
export type ControlAction =
  | { kind: 'heap-snapshot' }
  | { kind: 'heap-profile'; seconds: number }
  | { kind: 'cpu-profile'; seconds: number };

export interface ControlFile {
  path: string;
  bytes: number;
}

export type ParentMessage =
  | { type: 'init'; config: Config; daemonId: string; workerId: string }
  | { type: 'shutdown'; graceMs: number }
  | { type: 'control'; requestId: string; action: ControlAction; dir: string; fileStem: string };

export type ChildMessage =
  | { type: 'ready' }
  /** Sent every ALIVE_INTERVAL_MS from a timer: proof the event loop turns (the supervisor's watchdog). */
  | { type: 'alive' }
  | { type: 'stats'; sample: MemSample }
  | { type: 'draining'; reason: DrainReason; detail: string; jobsDone: number }
  | { type: 'control-result'; requestId: string; ok: true; files: ControlFile[] }
  | { type: 'control-result'; requestId: string; ok: false; code: string; message: string }
  | { type: 'fatal'; code: string; message: string }
  /** A leak report waits for its heap diff: the supervisor runs it in a process of its own. */
  | { type: 'leak-diff'; job: LeakDiffJob }
  /**
   * Sent right before the process blocks its own event loop on purpose (a heap snapshot), so
   * the supervisor's event-loop watchdog allows up to expectedMs more before it acts.
   */
  | { type: 'blocking'; expectedMs: number; what: string };

export const ALIVE_INTERVAL_MS = 1_000;

export function assertNever(value: never, what: string): never {
  throw new Error(`unhandled ${what}: ${JSON.stringify(value)}`);
}

/** Narrow check for messages arriving on process 'message' (they are unknown until checked). */
export function isMessage<T extends { type: string }>(raw: unknown): raw is T {
  return typeof raw === 'object' && raw !== null && typeof (raw as { type?: unknown }).type === 'string';
}
