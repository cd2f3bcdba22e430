/**
 * The snapshot directory: created 0700 (an existing one is narrowed to 0700), checked to be a
 * real directory this user owns, checked for free room before a snapshot, and kept within the
 * disk budget by deleting the oldest files first: spiderd's snapshots and profiles and Node's
 * out-of-memory snapshots, never any other file. A leak investigation's files go together,
 * and the files of a running investigation (pinned, snapshot-pins.ts) are never deleted.
 */
import { chmod, lstat, mkdir, readdir, stat, statfs, unlink } from 'node:fs/promises';
import path from 'node:path';
import { SpiderdError, wrapError } from '../errors.js';
import { pinnedNames } from './snapshot-pins.js';
import { budgetGroup, isBudgetedFile } from './snapshot-stem.js';

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
  if ((info.mode & 0o077) !== 0) {
    try {
      await chmod(abs, 0o700); // ours: heap snapshots hold every secret the process saw
    } catch (err) {
      throw wrapError('SPIDERD_SNAPSHOT_FAILED', `cannot restrict snapshot directory ${abs} to its owner (mode 0700)`, err);
    }
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
    if (!isBudgetedFile(name)) continue;
    try {
      const s = await stat(path.join(dir, name));
      if (s.isFile()) found.push({ name, bytes: s.size, mtimeMs: s.mtimeMs });
    } catch {
      // removed meanwhile by another process
    }
  }
  return found;
}

export interface BudgetReserve {
  /** Room to make for a file about to be written. */
  files: number;
  bytes: number;
  /** Never deleted (the caller's own files; pinned files of live processes are kept too). */
  protect?: readonly string[];
}

export interface BudgetOutcome {
  deleted: string[];
  /** Still over the budget because of files in use (protected or pinned) that were kept. */
  over: boolean;
}

/**
 * Deletes the oldest groups of files (an investigation's snapshots together, by their newest
 * file) until at most maxFiles - reserve.files remain and they take at most
 * maxBytes - reserve.bytes. Protected and pinned files, and their groups, stay.
 */
export async function enforceBudget(dir: string, limits: SnapshotLimits, reserve: BudgetReserve): Promise<BudgetOutcome> {
  const files = await listArtifacts(dir);
  const keep = new Set([...(reserve.protect ?? []), ...(await pinnedNames(dir))]);
  const groups = new Map<string, { files: Artifact[]; newest: number; kept: boolean }>();
  for (const f of files) {
    const key = budgetGroup(f.name);
    const g = groups.get(key) ?? { files: [], newest: 0, kept: false };
    g.files.push(f);
    g.newest = Math.max(g.newest, f.mtimeMs);
    g.kept ||= keep.has(f.name);
    groups.set(key, g);
  }
  let count = files.length;
  let bytes = files.reduce((sum, f) => sum + f.bytes, 0);
  const over = () => count + reserve.files > limits.maxFiles || bytes + reserve.bytes > limits.maxBytes;
  const deleted: string[] = [];
  const order = [...groups.values()].sort((a, b) => a.newest - b.newest);
  for (const g of order) {
    if (!over()) break;
    if (g.kept) continue;
    for (const f of g.files) {
      await unlink(path.join(dir, f.name)).catch(() => undefined); // already gone: fine
      deleted.push(f.name);
      count--;
      bytes -= f.bytes;
    }
  }
  // A file bigger than the whole budget on its own is still written (and kept); files in use are what can block.
  return { deleted, over: over() && count > 0 };
}

/** Makes room for a file about to be written, or refuses (SPIDERD_SNAPSHOT_BUDGET_IN_USE). */
export async function makeRoom(dir: string, limits: SnapshotLimits, reserve: BudgetReserve, what: string): Promise<void> {
  if ((await enforceBudget(dir, limits, reserve)).over) {
    throw new SpiderdError('SPIDERD_SNAPSHOT_BUDGET_IN_USE', `no room for ${what} in ${dir}: its budget (${limits.maxFiles} files, ${mb(limits.maxBytes)}) is taken by files in use`);
  }
}

export function mb(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
