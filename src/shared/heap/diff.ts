/**
 * diffHeapSnapshots: per-class growth between two .heapsnapshot files (see diff-core.ts).
 * The parse runs in a worker thread that exits afterwards, so a long-running process (the
 * leak sentinel in a crawler process) does not keep the parser's memory for good.
 */
import { Worker } from 'node:worker_threads';
import { SpiderdError, type ErrorCode } from '../errors.js';
import type { DiffOptions, HeapDiff } from './diff-types.js';

export type { ClassDelta, DiffOptions, HeapDiff, SnapshotSummary } from './diff-types.js';
export { diffHeapSnapshotsInProcess } from './diff-core.js';

type ThreadAnswer = { ok: true; diff: HeapDiff } | { ok: false; code: ErrorCode; message: string };

export function diffHeapSnapshots(pathA: string, pathB: string, opts: DiffOptions): Promise<HeapDiff> {
  return new Promise((resolve, reject) => {
    // No Node flags: the parse needs none, and a parent's process-wide flags (Node 24's test
    // runner passes many to its children) are refused in a worker (ERR_WORKER_INVALID_EXEC_ARGV).
    const worker = new Worker(new URL('./diff-thread.js', import.meta.url), { workerData: { pathA, pathB, opts }, execArgv: [] });
    let answered = false;
    worker.once('message', (answer: ThreadAnswer) => {
      answered = true;
      if (answer.ok) resolve(answer.diff);
      else reject(new SpiderdError(answer.code, answer.message));
    });
    worker.once('error', (err) => {
      answered = true;
      reject(new SpiderdError('SPIDERD_HEAP_PARSE_FAILED', `the heap diff failed: ${err.message}`, { cause: err }));
    });
    worker.once('exit', (code) => {
      if (!answered) reject(new SpiderdError('SPIDERD_HEAP_PARSE_FAILED', `the heap diff thread exited with code ${code} (out of memory?)`));
    });
  });
}
