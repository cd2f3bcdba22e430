/**
 * The snapshot directory: created 0700, checked to be a real directory this user owns,
 * checked for free room before a snapshot, and kept within the disk budget by deleting the
 * oldest spiderd files (never any other file).
 */
import { lstat, mkdir, readdir, stat, statfs, unlink } from 'node:fs/promises';
import path from 'node:path';
import { SpiderdError, wrapError } from '../errors.js';
import { isSpiderdArtifact } from './snapshot-stem.js';

export interface SnapshotLimits {
  maxFiles: number;
  maxBytes: number;
}

/** Extra room kept free on top of the estimate (other writers, filesystem overhead). */
export const SPACE_MARGIN_BYTES = 64 * 1024 * 1024;

export async function ensureSnapshotDir(dir: string): Promise<string> {
  const abs = path.resolve(dir);
  try {
    await mkdir(abs, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw wrapError('SPIDERD_SNAPSHOT_FAILED', `cannot create snapshot directory ${abs}`, err);
  }
  const info = await lstat(abs);
  if (!info.isDirectory()) throw new SpiderdError('SPIDERD_SNAPSHOT_FAILED', `snapshot directory ${abs} is not a directory (or is a symlink)`);
  const uid = process.getuid?.();
  if (uid !== undefined && info.uid !== uid) {
    throw new SpiderdError('SPIDERD_SNAPSHOT_FAILED', `snapshot directory ${abs} belongs to uid ${info.uid}, not to this user (uid ${uid})`);
  }
  return abs;
}

/** Free bytes for this user on the filesystem holding dir. */
export async function freeBytes(dir: string): Promise<number> {
  const fsInfo = await statfs(dir);
  return Number(fsInfo.bavail) * Number(fsInfo.bsize);
}

/** Refuses (SPIDERD_SNAPSHOT_NO_SPACE) unless dir has room for needBytes plus the margin. */
export async function assertRoom(dir: string, needBytes: number, what: string): Promise<void> {
  const free = await freeBytes(dir);
  const need = needBytes + SPACE_MARGIN_BYTES;
  if (free < need) {
    throw new SpiderdError('SPIDERD_SNAPSHOT_NO_SPACE', `${what} needs about ${mb(need)} free in ${dir}, only ${mb(free)} is free`, {
      details: { dir, freeBytes: free, needBytes: need },
    });
  }
}

interface Artifact {
  name: string;
  bytes: number;
  mtimeMs: number;
}

async function listArtifacts(dir: string): Promise<Artifact[]> {
  const found: Artifact[] = [];
  for (const name of await readdir(dir)) {
    if (!isSpiderdArtifact(name)) continue;
    try {
      const s = await stat(path.join(dir, name));
      if (s.isFile()) found.push({ name, bytes: s.size, mtimeMs: s.mtimeMs });
    } catch {
      // removed meanwhile by another process
    }
  }
  return found.sort((a, b) => a.mtimeMs - b.mtimeMs || a.name.localeCompare(b.name));
}

/**
 * Deletes the oldest spiderd files in dir until at most maxFiles - reserveFiles remain and
 * they take at most maxBytes - reserveBytes. `keep` is never deleted. Returns deleted names.
 */
export async function enforceBudget(dir: string, limits: SnapshotLimits, reserve: { files: number; bytes: number; keep?: string }): Promise<string[]> {
  const files = await listArtifacts(dir);
  let count = files.length;
  let bytes = files.reduce((sum, f) => sum + f.bytes, 0);
  const deleted: string[] = [];
  for (const f of files) {
    const overCount = count + reserve.files > limits.maxFiles;
    const overBytes = bytes + reserve.bytes > limits.maxBytes;
    if (!overCount && !overBytes) break;
    if (f.name === reserve.keep) continue;
    try {
      await unlink(path.join(dir, f.name));
      deleted.push(f.name);
    } catch {
      // already gone
    }
    count--;
    bytes -= f.bytes;
  }
  return deleted;
}

export function mb(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
