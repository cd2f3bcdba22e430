/**
 * A short-lived child process that diffs two heap snapshots and sends the result back over
 * IPC, so the leaking crawler process never holds two parsed snapshots, nor the wasm parser's
 * memory (which would count against its RSS and its --max-worker-memory limit).
 * The classes come back culprit first (rank-growers.ts), the first few with a retainer path.
 * argv: <snapshot A> <snapshot B> <top>
 */
import { diffHeapSnapshotsInProcess } from '../../shared/heap/diff.js';
import { coerceError, errorCode } from '../../shared/errors.js';
import { addCulpritPaths } from './culprit-paths.js';
import { rankGrowers } from './rank-growers.js';

export type DiffChildReply =
  | { ok: true; diff: Awaited<ReturnType<typeof diffHeapSnapshotsInProcess>>; pathError: string | null }
  | { ok: false; code: string; message: string };

/** Culprits (first in the ranking) that get a retainer path. */
const CULPRIT_PATHS = 3;

const [pathA, pathB, topRaw] = process.argv.slice(2);
let reply: DiffChildReply;
try {
  if (!pathA || !pathB) throw new Error('usage: diff-child <snapshot A> <snapshot B> <top>');
  const diff = await diffHeapSnapshotsInProcess(pathA, pathB, { top: Number(topRaw ?? 10) || 10 });
  diff.classes = rankGrowers(diff.classes);
  let pathError: string | null = null;
  try {
    await addCulpritPaths(pathB, diff.classes.slice(0, CULPRIT_PATHS));
  } catch (thrown) {
    pathError = coerceError(thrown).message; // the report is still worth storing without them
  }
  reply = { ok: true, diff, pathError };
} catch (thrown) {
  reply = { ok: false, code: errorCode(thrown), message: coerceError(thrown).message };
}
if (process.send) process.send(reply, () => process.disconnect());
