/**
 * File names of snapshots and profiles. The name carries the daemon, worker, pid, time and
 * jobs done; every part is sanitized so a requester can never inject '/' or '..' and so
 * choose where a file lands. The same pattern recognizes spiderd's files for the disk budget.
 */
import { SpiderdError } from '../errors.js';

export interface StemParts {
  daemonId: string;
  workerId: string;
  pid: number;
  at: Date;
  jobsDone: number;
  label?: string;
}

export const MAX_LABEL = 40;

/** Keeps [A-Za-z0-9.-], turns anything else into '-', squeezes dot runs, trims leading/trailing dots and dashes. */
export function sanitizePart(raw: string, max = 100): string {
  const cleaned = raw
    .replace(/[^A-Za-z0-9.-]/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/-{2,}/g, '-')
    .replace(/^[.-]+/, '')
    .slice(0, max)
    .replace(/[.-]+$/, '');
  return cleaned;
}

/** `${daemonId}_${workerId}_${pid}_${isoTimeCompact}_${jobsDone}jobs[_${label}]` */
export function snapshotStem(parts: StemParts): string {
  const time = parts.at.toISOString().replace(/[-:]/g, '');
  const pid = Number.isSafeInteger(parts.pid) && parts.pid >= 0 ? parts.pid : 0;
  const jobs = Number.isSafeInteger(parts.jobsDone) && parts.jobsDone >= 0 ? parts.jobsDone : 0;
  const stem = [sanitizePart(parts.daemonId) || 'daemon', sanitizePart(parts.workerId) || 'process', String(pid), time, `${jobs}jobs`];
  const label = parts.label === undefined ? '' : sanitizePart(parts.label, MAX_LABEL);
  if (label !== '') stem.push(label);
  return stem.join('_');
}

export const ARTIFACT_EXTENSIONS = ['.heapsnapshot', '.heapprofile', '.cpuprofile'] as const;
export type ArtifactExtension = (typeof ARTIFACT_EXTENSIONS)[number];

const ARTIFACT = /^[A-Za-z0-9.-]+_[A-Za-z0-9.-]+_\d+_\d{8}T\d{6}(?:\.\d{3})?Z_\d+jobs(?:_[A-Za-z0-9.-]{1,40})?\.(?:heapsnapshot|heapprofile|cpuprofile)$/;

/** True for a file name spiderd wrote (and so may delete to stay within the disk budget). */
export function isSpiderdArtifact(fileName: string): boolean {
  return ARTIFACT.test(fileName);
}

/**
 * Node's own name for a heap snapshot written by --heapsnapshot-near-heap-limit into
 * --diagnostic-dir (crawler processes that run out of heap): `Heap.<date>.<time>.<pid>.<thread>.<seq>.heapsnapshot`.
 */
const NODE_DIAGNOSTIC = /^Heap\.\d{8}\.\d{6}\.\d+\.\d+\.\d+\.heapsnapshot$/;

export function isNodeHeapSnapshot(fileName: string): boolean {
  return NODE_DIAGNOSTIC.test(fileName);
}

/** Every file the snapshot directory's disk budget counts: spiderd's own, and Node's out-of-memory snapshots. */
export function isBudgetedFile(fileName: string): boolean {
  return isSpiderdArtifact(fileName) || isNodeHeapSnapshot(fileName);
}

/**
 * Files that belong together in the budget: a leak investigation's snapshots (label
 * `leak-<n>-a`, `leak-<n>-b`, ...) of one process are kept or evicted together; any other
 * file stands alone.
 */
export function budgetGroup(fileName: string): string {
  const m = /^([A-Za-z0-9.-]+_[A-Za-z0-9.-]+_\d+)_[^_]+_\d+jobs_(leak-\d+)-[A-Za-z0-9.-]*\.[a-z]+$/.exec(fileName);
  return m ? `${m[1]}/${m[2]}` : fileName;
}

/** A stem received from elsewhere (IPC) is checked again before it becomes a file name. */
export function assertSafeStem(fileStem: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,250}$/.test(fileStem) || fileStem.includes('..')) {
    throw new SpiderdError('SPIDERD_SNAPSHOT_FAILED', `refusing unsafe snapshot file name ${JSON.stringify(fileStem)}`);
  }
}
