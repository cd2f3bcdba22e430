/**
 * Writes a heap snapshot of THIS process (loadable in Chrome DevTools). Synchronous inside:
 * v8.writeHeapSnapshot blocks the event loop for as long as it takes, so a crawler process
 * pauses its jobs first (src/workers/control.ts). The directory and the file stem are chosen
 * by the daemon, never by a requester; the file is readable only by its owner.
 */
import { chmod, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import v8 from 'node:v8';
import { SpiderdError, wrapError } from '../errors.js';
import { assertRoom, enforceBudget, ensureSnapshotDir, type SnapshotLimits } from './snapshot-dir.js';
import { assertSafeStem } from './snapshot-stem.js';

export { snapshotStem, type StemParts } from './snapshot-stem.js';
export type { SnapshotLimits } from './snapshot-dir.js';

export interface SnapshotFile {
  path: string;
  bytes: number;
}

export async function writeHeapSnapshot(dir: string, fileStem: string, limits: SnapshotLimits): Promise<SnapshotFile> {
  assertSafeStem(fileStem);
  const abs = await ensureSnapshotDir(dir);
  const { heapTotal, heapUsed } = process.memoryUsage();
  // Writing needs roughly twice the heap while it serializes (the file itself is about heapUsed or more).
  await assertRoom(abs, 2 * heapTotal, 'a heap snapshot');
  await enforceBudget(abs, limits, { files: 1, bytes: heapUsed });
  const file = path.join(abs, `${fileStem}.heapsnapshot`);
  try {
    v8.writeHeapSnapshot(file);
    await chmod(file, 0o600);
  } catch (err) {
    await unlink(file).catch(() => undefined);
    if (isNoSpace(err)) throw new SpiderdError('SPIDERD_SNAPSHOT_NO_SPACE', `the disk filled up while writing ${file}`, { cause: err });
    throw wrapError('SPIDERD_SNAPSHOT_FAILED', `writing heap snapshot ${file} failed`, err);
  }
  const bytes = (await stat(file)).size;
  await enforceBudget(abs, limits, { files: 0, bytes: 0, keep: path.basename(file) });
  return { path: file, bytes };
}

function isNoSpace(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'ENOSPC';
}
