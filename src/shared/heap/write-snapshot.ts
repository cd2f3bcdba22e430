/**
 * Writes a heap snapshot of THIS process (loadable in Chrome DevTools). Synchronous inside:
 * v8.writeHeapSnapshot blocks the event loop for as long as it takes (about 1 s per 20 MB of
 * heap on the dev machine), so a crawler process pauses its jobs first and announces the block
 * (beforeBlock). The directory and the file stem are chosen by the daemon, never by a
 * requester; the file is readable only by its owner and counts in the directory's budget.
 */
import { chmod, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import v8 from 'node:v8';
import { SpiderdError, wrapError } from '../errors.js';
import { assertRoom, enforceBudget, ensureSnapshotDir, makeRoom, type SnapshotLimits } from './snapshot-dir.js';
import type { SnapshotPin } from './snapshot-pins.js';
import { assertSafeStem } from './snapshot-stem.js';

export { snapshotStem, type StemParts } from './snapshot-stem.js';
export type { SnapshotLimits } from './snapshot-dir.js';

export interface SnapshotFile {
  path: string;
  bytes: number;
}

export interface WrittenSnapshot extends SnapshotFile {
  /** How long V8 blocked the event loop writing it. */
  writeMs: number;
}

export interface WriteSnapshotOptions {
  /** Names the budget pass must not delete (an investigation's earlier files). */
  protect?: readonly string[];
  /** Pinned before it is written, so no other process's budget pass deletes it. */
  pin?: SnapshotPin;
  /** Called right before the event loop blocks, with the pause expected (ms). */
  beforeBlock?: (expectedMs: number) => void;
}

/** Bytes of heap written per ms: about 1 s per 20 MB of heap on a node-svc machine; slower machines get the margin of expectedSnapshotMs. */
export const SNAPSHOT_BYTES_PER_MS = 20_000;

/**
 * The pause to announce to the supervisor's watchdog for a heap of this size: 4x the usual
 * rate, at least 1 s. A heap of many small objects (kept DOM trees) writes at a third of the
 * usual rate, and a loaded machine slows it further.
 */
export function expectedSnapshotMs(heapUsedBytes: number): number {
  return Math.max(1_000, Math.ceil((4 * heapUsedBytes) / SNAPSHOT_BYTES_PER_MS));
}

export async function writeHeapSnapshot(dir: string, fileStem: string, limits: SnapshotLimits, options: WriteSnapshotOptions = {}): Promise<WrittenSnapshot> {
  return (await prepareHeapSnapshot(dir, fileStem, limits, options)).write();
}

export interface PreparedSnapshot {
  path: string;
  /** Blocks the event loop while V8 writes the file. */
  write(): Promise<WrittenSnapshot>;
}

/**
 * Everything before the write (directory checks, free room, pin, budget), so a caller can do
 * it before it pauses its jobs, and the pause is only the write.
 */
export async function prepareHeapSnapshot(dir: string, fileStem: string, limits: SnapshotLimits, options: WriteSnapshotOptions = {}): Promise<PreparedSnapshot> {
  assertSafeStem(fileStem);
  const abs = await ensureSnapshotDir(dir);
  const name = `${fileStem}.heapsnapshot`;
  const { heapTotal, heapUsed } = process.memoryUsage();
  // Writing needs roughly twice the heap while it serializes (the file itself is about heapUsed or more).
  await assertRoom(abs, 2 * heapTotal, 'a heap snapshot');
  await options.pin?.add(name);
  await makeRoom(abs, limits, { files: 1, bytes: heapUsed, protect: options.protect ?? [] }, 'a heap snapshot');
  const file = path.join(abs, name);
  const write = async (): Promise<WrittenSnapshot> => {
    let writeMs: number;
    try {
      options.beforeBlock?.(expectedSnapshotMs(process.memoryUsage().heapUsed));
      const t0 = performance.now();
      v8.writeHeapSnapshot(file);
      writeMs = performance.now() - t0;
      await chmod(file, 0o600);
    } catch (err) {
      await unlink(file).catch(() => undefined);
      if (isNoSpace(err)) throw new SpiderdError('SPIDERD_SNAPSHOT_NO_SPACE', `the disk filled up while writing ${file}`, { cause: err });
      throw wrapError('SPIDERD_SNAPSHOT_FAILED', `writing heap snapshot ${file} failed`, err);
    }
    const bytes = (await stat(file)).size;
    await enforceBudget(abs, limits, { files: 0, bytes: 0, protect: [...(options.protect ?? []), name] });
    return { path: file, bytes, writeMs };
  };
  return { path: file, write };
}

function isNoSpace(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'ENOSPC';
}
