/** When the sentinel may force full GCs (each an exact point): a first look of two points, then often only for a process that may be leaking, and from the steady budget for a quiet one. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assessGrowth, type GrowthPoint } from '../../src/shared/mem/leak-analysis.js';
import { forceMode } from '../../src/workers/memory/force-mode.js';

const MB = 1024 * 1024;
const O = { warmupJobs: 1000, pointEveryJobs: 200, thresholdMbPer1kJobs: 5 };
/** An exact point (a forced quiet or atomic GC), or one from a GC V8 ran by itself (`natural`: floating garbage). */
const point = (jobs: number, heapMb: number): GrowthPoint => ({ jobs, at: jobs, heap: heapMb * MB, external: 6 * MB, rss: 200 * MB, heapCommitted: 60 * MB, exact: true });
const natural = (jobs: number, heapMb: number): GrowthPoint => ({ ...point(jobs, heapMb), exact: false });
const mode = (points: GrowthPoint[], investigating = false) => forceMode(points, assessGrowth(points, O), investigating, O);

test('before the first point after the warm-up: due at once; then the second 400 jobs later', () => {
  assert.deepEqual(mode([point(400, 38)]), { mode: 'urgent', spacingJobs: 200 });
  assert.deepEqual(mode([point(1000, 38)]), { mode: 'urgent', spacingJobs: 400, fromJobs: 1000 });
});

test('only exact points make the first look: V8\'s own GCs in between (floating garbage, seen on the bench) neither decide it nor delay its second point', () => {
  // A clean process on the bench: 27.6 MB at job 800 (exact), 29.2 MB at 1,150 from V8's own
  // GC, 28.5 MB at 1,200 (exact). With the natural point in the look, it read as growth.
  const o = { ...O, warmupJobs: 800 };
  const m = (pts: GrowthPoint[]) => forceMode(pts, assessGrowth(pts, o), false, o);
  assert.deepEqual(m([point(800, 27.6), natural(1075, 28.9), natural(1250, 32.3)]), { mode: 'urgent', spacingJobs: 400, fromJobs: 800 });
  assert.deepEqual(m([point(800, 27.6), natural(1150, 29.2), point(1200, 28.5)]), { mode: 'steady', spacingJobs: 200 });
  assert.deepEqual(m([natural(900, 27.6), natural(1400, 32)]), { mode: 'urgent', spacingJobs: 200 });
  // A leak still shows in the exact points: 10 KB per page.
  assert.deepEqual(m([point(800, 27.6), natural(1000, 30.5), point(1200, 31.6)]), { mode: 'urgent', spacingJobs: 200 });
});

test('a flat first look makes the process quiet: the steady budget only', () => {
  assert.deepEqual(mode([point(1000, 38), point(1400, 38.2)]), { mode: 'steady', spacingJobs: 200 });
});

test('a young process filling its caches and its code (3.3 MB per 1,000 jobs against a threshold of 5, seen on the bench) is quiet after its first look', () => {
  assert.deepEqual(mode([point(1000, 30.5), point(1400, 31.8)]), { mode: 'steady', spacingJobs: 200 });
});

test('growth in the first look, or a growing verdict at 0.8 of the threshold, keeps forced points coming', () => {
  assert.deepEqual(mode([point(1000, 38), point(1400, 42)]), { mode: 'urgent', spacingJobs: 200 });
  const growing = [1000, 1200, 1400, 1600, 1800, 2000].map((j) => point(j, 38 + (4.2 * j) / 1000));
  assert.equal(assessGrowth(growing, O).verdict, 'growing');
  assert.deepEqual(mode(growing), { mode: 'urgent', spacingJobs: 200 });
});

test('slow growth (a cache filling, 2 MB per 1,000 jobs against a threshold of 5) after a quiet first look waits for the steady budget', () => {
  const filling = [1000, 1200, 1400, 1600, 1800, 2000].map((j) => point(j, 38 + (2 * j) / 1000));
  assert.equal(assessGrowth(filling, O).verdict, 'growing');
  assert.deepEqual(mode(filling), { mode: 'steady', spacingJobs: 200 });
});

test('after a first look that grew, a slow "growing" verdict (natural GCs\' floating garbage blurred it) still gets forced points', () => {
  const blurred = [point(1000, 38), point(1400, 41), point(1600, 40.5), point(1800, 41.5), point(2000, 42)];
  assert.equal(assessGrowth(blurred, O).verdict, 'growing');
  assert.deepEqual(mode(blurred), { mode: 'urgent', spacingJobs: 200 });
});

test('never during an investigation', () => {
  assert.equal(mode([point(1000, 38)], true).mode, 'never');
});
