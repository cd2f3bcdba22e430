/**
 * The brief full GC (src/workers/memory/brief-gc.ts) on this process's own V8: it is a full GC
 * (old garbage goes), what it leaves is close to an atomic GC's, and the sentinel's points get
 * it as a point of their own once its marking is finished.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import v8 from 'node:v8';
import { test } from 'node:test';
import { BRIEF_WINDOW_MS, finishMarking, startMarking } from '../../src/workers/memory/brief-gc.js';
import { GcBudget, loadForceGc } from '../../src/workers/memory/gc-probe.js';
import { PostGcPoints } from '../../src/workers/memory/post-gc-points.js';

const MB = 1024 * 1024;
const gc = loadForceGc();
const used = () => v8.getHeapStatistics().used_heap_size;

/** About `mb` MB of distinct strings in the old generation (they survive two scavenges), kept until `drop`. */
function oldGarbage(mb: number): { drop: () => void } {
  const holder = { kept: Array.from({ length: mb * 32 }, () => randomBytes(32 * 1024).toString('latin1')) };
  gc!({ type: 'minor' });
  gc!({ type: 'minor' });
  return { drop: () => void (holder.kept = []) };
}

test('a brief GC frees old garbage, and the heap it leaves is within 1 MB of an atomic GC right after it', { skip: gc === null && 'no gc()' }, async () => {
  gc!();
  const garbage = oldGarbage(24);
  garbage.drop();
  const before = used();
  assert.equal(startMarking(gc!), true);
  await sleep(BRIEF_WINDOW_MS);
  finishMarking(gc!);
  const brief = used();
  gc!();
  gc!({ type: 'minor' });
  const atomic = used();
  assert.ok(before - brief > 20 * MB, `the brief GC freed ${((before - brief) / MB).toFixed(1)} MB of the 24 MB of old garbage`);
  assert.ok(Math.abs(brief - atomic) < MB, `brief ${(brief / MB).toFixed(2)} MB vs atomic ${(atomic / MB).toFixed(2)} MB`);
});

test('a point asked for as brief arrives at a later collect, measured after its full GC', { skip: gc === null && 'no gc()' }, async () => {
  const budget = new GcBudget({ warmupJobs: 0, pointEveryJobs: 10, budgetPercent: 1, startAllowanceGcs: 2 }, 0);
  const points = new PostGcPoints(budget, gc, () => undefined);
  const brief = { mode: 'urgent', spacingJobs: 10, kind: 'brief' } as const;
  try {
    const garbage = oldGarbage(16);
    garbage.drop();
    const before = used();
    assert.equal(points.collect(100, brief), 0, 'nothing yet: the marking is running');
    assert.equal(points.collect(105, brief), 0, 'no second GC while the first is under way');
    await sleep(BRIEF_WINDOW_MS + 20);
    assert.equal(points.collect(110, brief), 1);
    const p = points.last!;
    assert.equal(p.jobs, 100, 'the point counts the jobs done when it was asked for');
    assert.ok(before - p.heap > 12 * MB, `the point's heap (${(p.heap / MB).toFixed(1)} MB) is after a full GC`);
    assert.equal(budget.forced, 1);
  } finally {
    points.stop();
  }
});
