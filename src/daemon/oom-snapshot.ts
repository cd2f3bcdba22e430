/**
 * Crawler processes run with --heapsnapshot-near-heap-limit=1 --diagnostic-dir=<snapshotDir>,
 * so a process that runs out of heap leaves `Heap.<date>.<time>.<pid>.<thread>.<seq>.heapsnapshot`
 * behind. When a process dies, this finds that file so its path is logged with the death, makes
 * it readable by its owner only (Node writes it with the process's umask; crawler processes set
 * 077, a process that died too early may not have) and keeps the directory within its budget,
 * which counts these files too.
 */
import { chmod, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { enforceBudget, type SnapshotLimits } from '../shared/heap/snapshot-dir.js';

/** Node's diagnostic file name for a heap snapshot of process `pid`. */
export function isOomSnapshotOf(fileName: string, pid: number): boolean {
  return new RegExp(`^Heap\\.\\d{8}\\.\\d{6}\\.${pid}\\.\\d+\\.\\d+\\.heapsnapshot$`).test(fileName);
}

/**
 * The newest near-heap-limit snapshot of `pid` in dir written at or after `since` (epoch ms;
 * an older one belongs to an earlier process that had the same pid), or null. With `limits`,
 * the file is set to mode 0600 and the budget enforced (keeping it).
 */
export async function findOomSnapshot(dir: string, pid: number, since = 0, limits?: SnapshotLimits): Promise<{ path: string; bytes: number } | null> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return null;
  }
  let newest: { path: string; bytes: number; mtimeMs: number } | null = null;
  for (const name of names) {
    if (!isOomSnapshotOf(name, pid)) continue;
    const file = path.resolve(dir, name);
    const info = await stat(file).catch(() => null);
    if (info && info.mtimeMs >= since && (!newest || info.mtimeMs > newest.mtimeMs)) newest = { path: file, bytes: info.size, mtimeMs: info.mtimeMs };
  }
  if (newest && limits) {
    await chmod(newest.path, 0o600).catch(() => undefined);
    await enforceBudget(path.resolve(dir), limits, { files: 0, bytes: 0, protect: [path.basename(newest.path)] }).catch(() => undefined);
  }
  return newest && { path: newest.path, bytes: newest.bytes };
}
