/**
 * Runs diffHeapSnapshotsInProcess in a worker thread (see diff.ts): the wasm parser's memory
 * grows to fit the largest snapshot and never shrinks, so it lives in a thread that ends.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { coerceError, errorCode } from '../errors.js';
import { diffHeapSnapshotsInProcess } from './diff-core.js';
import type { DiffOptions } from './diff-types.js';

const { pathA, pathB, opts } = workerData as { pathA: string; pathB: string; opts: DiffOptions };
try {
  parentPort!.postMessage({ ok: true, diff: await diffHeapSnapshotsInProcess(pathA, pathB, opts) });
} catch (thrown) {
  const err = coerceError(thrown);
  parentPort!.postMessage({ ok: false, code: errorCode(err), message: err.message });
}
