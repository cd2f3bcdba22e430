import assert from 'node:assert/strict';
import { chmod, mkdtemp, mkdir, readdir, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { diffHeapSnapshotsInProcess } from '../../src/shared/heap/diff.js';
import { assertRoom } from '../../src/shared/heap/snapshot-dir.js';
import { SnapshotPin } from '../../src/shared/heap/snapshot-pins.js';
import { snapshotStem, writeHeapSnapshot } from '../../src/shared/heap/write-snapshot.js';

const big = { maxFiles: 100, maxBytes: 100 * 1024 ** 3 };
let root: string;

before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'spiderd-heap-write-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

const stem = (jobs: number, label?: string) => snapshotStem({ daemonId: 'test', workerId: 'w1', pid: process.pid, at: new Date(), jobsDone: jobs, label });

/** A fake older spiderd file of `bytes` bytes, `ageS` seconds old. */
async function oldArtifact(dir: string, jobs: number, ageS: number, bytes = 10): Promise<string> {
  const name = `${snapshotStem({ daemonId: 'test', workerId: 'w1', pid: 1, at: new Date(Date.now() - ageS * 1000), jobsDone: jobs })}.heapsnapshot`;
  await writeFile(path.join(dir, name), Buffer.alloc(bytes));
  const t = new Date(Date.now() - ageS * 1000);
  await utimes(path.join(dir, name), t, t);
  return name;
}

describe('writeHeapSnapshot', () => {
  it('creates the directory 0700 and a 0600 snapshot that parses', async () => {
    const dir = path.join(root, 'fresh', 'snapshots');
    const file = await writeHeapSnapshot(dir, stem(12, 'manual'), big);
    assert.equal(path.dirname(file.path), dir);
    assert.match(path.basename(file.path), /^test_w1_\d+_\d{8}T\d{6}\.\d{3}Z_12jobs_manual\.heapsnapshot$/);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    const info = await stat(file.path);
    assert.equal(info.mode & 0o777, 0o600);
    assert.equal(info.size, file.bytes);
    const diff = await diffHeapSnapshotsInProcess(file.path, file.path, { top: 3 });
    assert.ok(diff.b.nodes > 1000, `a real heap has many objects, got ${diff.b.nodes}`);
  });

  it("keeps within maxFiles by deleting the oldest snapshots, Node's out-of-memory ones included, never other files", async () => {
    const dir = path.join(root, 'budget-files');
    await mkdir(dir, { mode: 0o700 });
    const oom = 'Heap.20250101.000000.1.0.001.heapsnapshot';
    await writeFile(path.join(dir, oom), 'an old out-of-memory snapshot');
    const t = new Date(Date.now() - 400_000);
    await utimes(path.join(dir, oom), t, t);
    const oldest = await oldArtifact(dir, 1, 300);
    const older = await oldArtifact(dir, 2, 200);
    const newer = await oldArtifact(dir, 3, 100);
    await writeFile(path.join(dir, 'notes.txt'), 'keep me');
    const file = await writeHeapSnapshot(dir, stem(4), { maxFiles: 2, maxBytes: 100 * 1024 ** 3 });
    const left = await readdir(dir);
    assert.deepEqual(left.sort(), ['notes.txt', newer, path.basename(file.path)].sort());
    assert.ok(!left.includes(oldest) && !left.includes(older) && !left.includes(oom));
  });

  it('never deletes the files of a running investigation (pinned), and refuses a snapshot that would need them', async () => {
    const dir = path.join(root, 'budget-pinned');
    await mkdir(dir, { mode: 0o700 });
    const a = await oldArtifact(dir, 1, 300);
    const pin = new SnapshotPin(dir);
    await pin.add(a);
    const other = await oldArtifact(dir, 2, 200);
    await assert.rejects(writeHeapSnapshot(dir, stem(3), { maxFiles: 1, maxBytes: 100 * 1024 ** 3 }), { code: 'SPIDERD_SNAPSHOT_BUDGET_IN_USE' });
    assert.deepEqual((await readdir(dir)).filter((n) => n.endsWith('.heapsnapshot')).sort(), [a].sort(), 'the unpinned older file went, the pinned one stayed');
    assert.ok(!(await readdir(dir)).includes(other));
    await pin.release();
    const file = await writeHeapSnapshot(dir, stem(4), { maxFiles: 1, maxBytes: 100 * 1024 ** 3 });
    assert.deepEqual((await readdir(dir)).sort(), [path.basename(file.path)], 'released: evictable again');
  });

  it('evicts an investigation whole (its snapshots together), oldest investigation first', async () => {
    const dir = path.join(root, 'budget-groups');
    await mkdir(dir, { mode: 0o700 });
    const inv = async (n: number, label: string, ageS: number) => {
      const name = `${snapshotStem({ daemonId: 'test', workerId: 'w1', pid: 7, at: new Date(Date.now() - ageS * 1000), jobsDone: n, label })}.heapsnapshot`;
      await writeFile(path.join(dir, name), 'x');
      const t = new Date(Date.now() - ageS * 1000);
      await utimes(path.join(dir, name), t, t);
      return name;
    };
    await inv(1, 'leak-1-a', 500);
    await inv(2, 'leak-1-b', 400);
    const a2 = await inv(3, 'leak-2-a', 300);
    const b2 = await inv(4, 'leak-2-b', 200);
    const file = await writeHeapSnapshot(dir, stem(5), { maxFiles: 3, maxBytes: 100 * 1024 ** 3 });
    assert.deepEqual((await readdir(dir)).sort(), [a2, b2, path.basename(file.path)].sort());
  });

  it('narrows an existing snapshot directory to 0700', async () => {
    const dir = path.join(root, 'too-open');
    await mkdir(dir, { mode: 0o755 });
    await chmod(dir, 0o755);
    await writeHeapSnapshot(dir, stem(1), big);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
  });

  it('keeps within maxBytes, but always keeps the snapshot it just wrote', async () => {
    const dir = path.join(root, 'budget-bytes');
    await mkdir(dir, { mode: 0o700 });
    await oldArtifact(dir, 1, 300, 4096);
    await oldArtifact(dir, 2, 200, 4096);
    const file = await writeHeapSnapshot(dir, stem(3), { maxFiles: 100, maxBytes: 1024 });
    assert.deepEqual(await readdir(dir), [path.basename(file.path)]);
  });

  it('refuses a file stem that would leave the directory', async () => {
    const dir = path.join(root, 'unsafe');
    await assert.rejects(writeHeapSnapshot(dir, '../escaped', big), { code: 'SPIDERD_SNAPSHOT_FAILED' });
    assert.ok(!(await readdir(root)).some((n) => n.startsWith('escaped')));
  });

  it('refuses a snapshot directory that is a symlink', async () => {
    const real = path.join(root, 'real');
    await mkdir(real);
    const link = path.join(root, 'link');
    await symlink(real, link);
    await assert.rejects(writeHeapSnapshot(link, stem(0), big), { code: 'SPIDERD_SNAPSHOT_FAILED' });
    assert.deepEqual(await readdir(real), []);
  });

  it('refuses with SPIDERD_SNAPSHOT_NO_SPACE when the disk lacks room for about twice the heap', async () => {
    await assert.rejects(assertRoom(root, Number.MAX_SAFE_INTEGER / 4, 'a heap snapshot'), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'SPIDERD_SNAPSHOT_NO_SPACE');
      assert.match(err.message, /needs about .* MB free in .*, only .* MB is free/);
      return true;
    });
  });
});
