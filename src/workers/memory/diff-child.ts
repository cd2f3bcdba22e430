/**
 * A short-lived child process that diffs two heap snapshots and sends the result back over
 * IPC, so the leaking crawler process never holds two parsed snapshots, nor the wasm parser's
 * memory (which would count against its RSS and its --max-worker-memory limit).
 * The classes come back culprit first, the first few with a retainer path.
 * argv: <snapshot A> <snapshot B> <DiffOptions as JSON>
 */
import { diffHeapSnapshotsInProcess, type DiffOptions } from '../../shared/heap/diff.js';
import { coerceError, errorCode } from '../../shared/errors.js';

export type DiffChildReply =
  | { ok: true; diff: Awaited<ReturnType<typeof diffHeapSnapshotsInProcess>> }
  | { ok: false; code: string; message: string };

const [pathA, pathB, optionsRaw] = process.argv.slice(2);
let reply: DiffChildReply;
try {
  if (!pathA || !pathB) throw new Error('usage: diff-child <snapshot A> <snapshot B> <options JSON>');
  const diff = await diffHeapSnapshotsInProcess(pathA, pathB, JSON.parse(optionsRaw ?? '{"top":10}') as DiffOptions);
  reply = { ok: true, diff };
} catch (thrown) {
  reply = { ok: false, code: errorCode(thrown), message: coerceError(thrown).message };
}
if (process.send) process.send(reply, () => process.disconnect());
