/**
 * The leak analysis on synthetic post-GC series shaped like the ones measured on real crawls
 * (README "Hunting a leak"): a clean crawler's forced-GC points spread about 0.3 MB with 16 pages
 * in flight and about 1 MB with 128; each series is evaluated point after point, as the sentinel
 * does, over a long crawl.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assessGrowth, type GrowthPoint } from '../../src/shared/mem/leak-analysis.js';

const MB = 1024 * 1024;
const OPTIONS = { warmupJobs: 1000, thresholdMbPer1kJobs: 5 };

/** Deterministic noise in [-1, 1). */
function noise(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return (x / 2147483648) * 2 - 1;
  };
}

/** Points every `every` jobs from `from` to `to`; heap, external and rss in MB as functions of jobs. */
function series(to: number, every: number, heapMb: (jobs: number) => number, extra: { externalMb?: (jobs: number) => number; rssMb?: (jobs: number) => number; from?: number } = {}): GrowthPoint[] {
  const points: GrowthPoint[] = [];
  for (let jobs = extra.from ?? every; jobs <= to; jobs += every) {
    const heap = heapMb(jobs);
    const committed = heap * 1.25;
    points.push({ jobs, at: Date.UTC(2026, 10, 30) + jobs * 4, heap: heap * MB, external: (extra.externalMb?.(jobs) ?? 6) * MB, heapCommitted: committed * MB, rss: (extra.rssMb?.(jobs) ?? committed + 110) * MB });
  }
  return points;
}

/** The first point at which the verdict is 'suspected leak', evaluating as points arrive; null if never. */
function firstAlarm(points: GrowthPoint[]): { jobs: number; kinds: string[] } | null {
  for (let i = 1; i <= points.length; i++) {
    const a = assessGrowth(points.slice(0, i), OPTIONS);
    if (a.verdict === 'suspected leak') return { jobs: points[i - 1]!.jobs, kinds: a.kinds };
  }
  return null;
}

test('nothing before the warm-up: the verdict is warming up', () => {
  const a = assessGrowth(series(900, 100, (j) => 40 + j / 10), OPTIONS);
  assert.equal(a.verdict, 'warming up');
  assert.match(a.note, /warm-up/);
});

test('a clean crawler over 40,000 jobs raises no alarm, quiet or busy (0.3 MB and 1 MB of noise, slow warm-up drift)', () => {
  for (const [seed, spread] of [[1, 0.3], [2, 1], [3, 1], [4, 0.3]] as const) {
    const r = noise(seed);
    const points = series(40_000, 200, (j) => 36 + 1.5 * Math.min(1, j / 3000) + spread * r());
    assert.equal(firstAlarm(points), null, `seed ${seed}, spread ${spread}`);
  }
});

test('a clean crawler with in-flight spikes (one point in five 8 MB high) raises no alarm', () => {
  const r = noise(5);
  const points = series(40_000, 200, (j) => 38 + 0.5 * r() + (Math.floor(j / 200) % 5 === 3 ? 8 * Math.abs(r()) : 0));
  assert.equal(firstAlarm(points), null);
});

test('a leak of 10 KB per page is suspected after four points past the warm-up (1,600 jobs with a point every 200)', () => {
  const r = noise(6);
  const alarm = firstAlarm(series(6000, 200, (j) => 36 + (10 * j) / 1024 + 0.3 * r()));
  assert.deepEqual(alarm, { jobs: 1600, kinds: ['heap'] });
});

test('a steep leak on unevenly spaced points (725, 200, 400 and 200 jobs apart) is suspected at once', () => {
  // Post-GC heaps a process measured on Node 24 with a 47 MB-per-1,000-pages leak, warm-up 800:
  // raw steps differ by the trend itself, which once read as 9.3 MB of noise and an 'ok'.
  const at = (jobs: number, heapMb: number): GrowthPoint => ({ jobs, at: Date.UTC(2026, 11, 1) + jobs, heap: heapMb * MB, external: 6 * MB, heapCommitted: heapMb * 1.25 * MB, rss: (heapMb * 1.25 + 110) * MB });
  const points = [at(25, 17.17), at(750, 61.65), at(950, 59.15), at(1350, 77.98), at(1556, 87.93), at(1756, 97.02)];
  const a = assessGrowth(points, { warmupJobs: 800, thresholdMbPer1kJobs: 5 });
  assert.equal(a.verdict, 'suspected leak', a.note);
});

test('with more noise the same leak needs more points, and is still caught', () => {
  const r = noise(7);
  const alarm = firstAlarm(series(6000, 200, (j) => 36 + (10 * j) / 1024 + 3 * r()));
  assert.ok(alarm !== null && alarm.jobs > 1600 && alarm.jobs <= 3000, `alarm at ${alarm?.jobs}`);
});

test('a bounded cache that fills during the first 1,200 jobs and stays flat is never suspected, with sparse or dense points', () => {
  for (const every of [200, 100, 50]) {
    const r = noise(8);
    const cacheMb = (j: number) => 17 * Math.min(j, 1180) / 1000;
    assert.equal(firstAlarm(series(40_000, every, (j) => 36 + cacheMb(j) + 0.3 * r())), null, `points every ${every} jobs`);
  }
});

test('Buffers kept per page: external memory grows while the heap stays flat: native growth', () => {
  const r = noise(9);
  const points = series(4000, 200, () => 15 + 0.2 * r(), { externalMb: (j) => 6 + (10 * j) / 1024 + 0.2 * r() });
  const alarm = firstAlarm(points);
  assert.deepEqual(alarm, { jobs: 1600, kinds: ['native'] });
  assert.match(assessGrowth(points.slice(0, 4 + 4), OPTIONS).note, /native \(external\) memory/);
});

test('off-heap RSS growing while heap and external stay flat (a native addon, malloc): native growth, on a full window of evidence', () => {
  const r = noise(10);
  const alarm = firstAlarm(series(8000, 200, () => 40 + 0.2 * r(), { rssMb: (j) => 160 + (20 * j) / 1024 + r() }));
  assert.ok(alarm !== null && alarm.kinds.join() === 'native' && alarm.jobs >= 4000, JSON.stringify(alarm));
});

test('a noisy off-heap RSS that rises early in a process (allocator arenas settling) is not native growth', () => {
  const r = noise(13);
  const settle = (j: number) => 40 * (1 - Math.exp(-j / 1500)) + 6 * r();
  assert.equal(firstAlarm(series(20_000, 200, () => 38 + 0.25 * r(), { rssMb: (j) => 38 * 1.25 + 110 + settle(j) })), null);
});

test('RSS that follows the heap, with a lag, as a bounded cache fills is not native growth', () => {
  const r = noise(12);
  const cacheMb = (j: number) => 17 * Math.min(j, 1180) / 1000;
  const lagged = (j: number) => 1.25 * (36 + cacheMb(Math.max(0, j - 1500))) + 110 + r();
  assert.equal(firstAlarm(series(40_000, 200, (j) => 36 + cacheMb(j) + 0.3 * r(), { rssMb: (j) => lagged(j) + 1.25 * (cacheMb(j) - cacheMb(Math.max(0, j - 1500))) })), null);
});

test('slow growth below the threshold is "growing", not a leak', () => {
  const r = noise(11);
  const points = series(8000, 200, (j) => 36 + (2 * j) / 1000 + 0.1 * r());
  assert.equal(firstAlarm(points), null);
  assert.equal(assessGrowth(points, OPTIONS).verdict, 'growing');
});
