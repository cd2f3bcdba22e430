/**
 * heap diff on real snapshots of a deliberately leaky process (test/fixtures/leaky-heap.ts),
 * through the function and through the `spiderd heap diff` command.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { diffHeapSnapshots, type HeapDiff } from '../../src/shared/heap/diff.js';
import { runCli } from '../helpers/spiderd.js';

const run = promisify(execFile);
const FIXTURE = fileURLToPath(new URL('../fixtures/leaky-heap.js', import.meta.url));
const ADDED = 20_000;

/** Runs the heap commands as the CLI does (commander root + registerHeapCommands). */
/** Runs the real `spiderd heap ...` (heap diff needs neither Redis nor PostgreSQL). */
async function heapCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runCli({ databaseUrl: 'postgresql://127.0.0.1:5432/unused', prefix: 'unused' }, args);
}

let dir: string;
let snapshots: { a: string; b: string; leaked: number };

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'spiderd-heap-diff-'));
  const { stdout } = await run(process.execPath, [FIXTURE, dir, '1000', String(ADDED)]);
  snapshots = JSON.parse(stdout) as typeof snapshots;
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('diffHeapSnapshots', () => {
  let diff: HeapDiff;
  before(async () => {
    diff = await diffHeapSnapshots(snapshots.a, snapshots.b, { top: 10 });
  });

  it('ranks the leaking class first with at least the instances added', () => {
    const first = diff.classes[0]!;
    assert.equal(first.name, 'LeakyThing');
    assert.ok(first.countDelta >= ADDED, `countDelta ${first.countDelta}`);
    assert.ok(first.selfSizeDelta > 0 && first.retainedSizeB >= first.selfSizeB);
    assert.ok(diff.b.nodes > diff.a.nodes && diff.b.totalSelfSize > diff.a.totalSelfSize);
    assert.equal(diff.classes.length, 10);
  });

  it('names what keeps the leak alive: the module-level array `leaked`', () => {
    const pathToRoot = diff.classes[0]!.retainerPath;
    assert.ok(pathToRoot !== null && pathToRoot.length > 0);
    assert.match(pathToRoot[0]!, /^Array \(element \[\d+\]\)$/);
    assert.ok(pathToRoot.some((step) => step.includes('variable `leaked`')), pathToRoot.join(' <- '));
  });
});

describe('spiderd heap diff', () => {
  it('prints a table led by the leaking class, and its retainer path', async () => {
    const r = await heapCli(['heap', 'diff', snapshots.a, snapshots.b, '--top', '5']);
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout.split('\n');
    const header = rows.findIndex((l) => l.startsWith('class'));
    assert.match(rows[header + 1]!, /^LeakyThing\s+\d+\s+\+\d+\s+\+[\d.]+ [KM]?B/);
    assert.match(r.stdout, /LeakyThing\n\s+<- Array \(element \[\d+\]\)\n\s+<- system \/ Context \(variable `leaked`\)/);
  });

  it('--json prints the HeapDiff', async () => {
    const r = await heapCli(['heap', 'diff', snapshots.a, snapshots.b, '--top', '3', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const diff = JSON.parse(r.stdout) as HeapDiff;
    assert.equal(diff.classes[0]!.name, 'LeakyThing');
    assert.equal(diff.classes.length, 3);
  });

  it('a file that is not a heap snapshot: exit 2, SPIDERD_HEAP_PARSE_FAILED naming the file', async () => {
    const text = path.join(dir, 'notes.txt');
    await writeFile(text, 'hello, this is not a heap snapshot\n');
    const r = await heapCli(['heap', 'diff', snapshots.a, text]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^spiderd: SPIDERD_HEAP_PARSE_FAILED: .*notes\.txt/m);
    assert.equal(r.stdout, '');
  });

  it('a truncated snapshot or a missing file: exit 2, SPIDERD_HEAP_PARSE_FAILED', async () => {
    const broken = path.join(dir, 'broken.heapsnapshot');
    await writeFile(broken, '{"snapshot":{"meta":{"node_fields":["type"');
    for (const file of [broken, path.join(dir, 'missing.heapsnapshot')]) {
      const r = await heapCli(['heap', 'diff', file, snapshots.b]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`SPIDERD_HEAP_PARSE_FAILED: .*${path.basename(file)}`));
    }
  });
});
