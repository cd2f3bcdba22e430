/**
 * Pins: the files of a running leak investigation, listed in a small file in the snapshot
 * directory, so that no disk-budget pass, in this process or in any other process sharing the
 * directory, deletes them before the investigation is done with them. A pin whose process is
 * gone no longer counts (and is removed by the next budget pass).
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

const PIN = /^\.spiderd-pin-(\d+)-[0-9a-f]{8}\.json$/;

export class SnapshotPin {
  private readonly file: string;
  private readonly names = new Set<string>();
  private released = false;

  constructor(dir: string) {
    this.file = path.join(path.resolve(dir), `.spiderd-pin-${process.pid}-${randomBytes(4).toString('hex')}.json`);
  }

  /** Pins a file name (before the file is written, so a concurrent pass cannot take it). */
  async add(name: string): Promise<void> {
    if (this.released) return;
    this.names.add(name);
    const tmp = `${this.file}.tmp`;
    await writeFile(tmp, JSON.stringify({ pid: process.pid, files: [...this.names] }), { mode: 0o600 });
    await rename(tmp, this.file);
  }

  async release(): Promise<void> {
    this.released = true;
    await unlink(this.file).catch(() => undefined);
  }
}

/** Names pinned by live processes; pins of dead processes are deleted on the way. */
export async function pinnedNames(dir: string): Promise<Set<string>> {
  const pinned = new Set<string>();
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return pinned;
  }
  for (const name of entries) {
    const m = PIN.exec(name);
    if (!m) continue;
    const file = path.join(dir, name);
    if (!isAlive(Number(m[1]))) {
      await unlink(file).catch(() => undefined);
      continue;
    }
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as { files?: unknown };
      if (Array.isArray(parsed.files)) for (const f of parsed.files) if (typeof f === 'string') pinned.add(f);
    } catch {
      // being replaced right now, or unreadable: it pins nothing
    }
  }
  return pinned;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
