import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeTrend, postGcPoints } from '../../src/shared/mem/trend.js';
import type { MemSample } from '../../src/shared/mem-sample.js';

const MB = 1024 * 1024;
const OPTIONS = { warmupJobs: 500, leakThresholdMbPer1kJobs: 5 };

/** Deterministic noise in [-1, 1). */
function noise(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return (x / 2147483648) * 2 - 1;
  };
}

/** A crawler's samples: one every 5 s, 50 jobs apart; heap/rss in MB as functions of the index. */
function series(n: number, heapMb: (i: number, jobs: number) => number, rssMb: (i: number, jobs: number) => number, jobsPerSample = 50): MemSample[] {
  const t0 = Date.UTC(2025, 0, 1);
  return Array.from({ length: n }, (_, i) => {
    const jobs = i * jobsPerSample;
    const heap = heapMb(i, jobs) * MB;
    return {
      at: t0 + i * 5000,
      rss: rssMb(i, jobs) * MB,
      heapUsed: heap + 5 * MB,
      heapTotal: heap + 20 * MB,
      external: 2 * MB,
      arrayBuffers: MB,
      postGcHeap: heap,
      loopDelayMeanMs: 1,
      loopDelayP99Ms: 3,
      jobsDone: jobs,
    };
  });
}

test('a flat, noisy post-GC heap is ok', () => {
  const r = noise(1);
  const t = computeTrend(series(200, () => 80 + 3 * r(), () => 160 + 3 * r()), OPTIONS);
  assert.equal(t.verdict, 'ok');
  assert.equal(t.nativeGrowth, false);
  assert.ok(Math.abs(t.heap.mbPer1kJobs!) < 1, `slope ${t.heap.mbPer1kJobs}`);
});

test('linear post-GC heap growth is a suspected leak, with the slope per 1,000 jobs and per hour', () => {
  const r = noise(2);
  const t = computeTrend(series(200, (_, jobs) => 80 + (20 * jobs) / 1000 + r(), (_, jobs) => 160 + (20 * jobs) / 1000), OPTIONS);
  assert.equal(t.verdict, 'suspected leak');
  assert.ok(Math.abs(t.heap.mbPer1kJobs! - 20) < 0.5, `slope ${t.heap.mbPer1kJobs}`);
  // 50 jobs per 5 s = 36,000 jobs/h -> 720 MB/h
  assert.ok(Math.abs(t.heap.mbPerHour! - 720) < 20, `per hour ${t.heap.mbPerHour}`);
  assert.ok(t.heap.r2Jobs! > 0.95);
  assert.equal(t.nativeGrowth, false);
  assert.match(t.note, /MB\/1k jobs/);
});

test('slow steady growth below the leak threshold is "growing"', () => {
  const r = noise(3);
  const t = computeTrend(series(200, (_, jobs) => 80 + (2 * jobs) / 1000 + 0.2 * r(), () => 160), OPTIONS);
  assert.equal(t.verdict, 'growing');
});

test('a sawtooth whose minima stay flat (a cache filled and cleared) is ok', () => {
  const t = computeTrend(series(200, (i) => 80 + (i % 20) * 2, (i) => 170 + (i % 20) * 2), OPTIONS);
  assert.equal(t.verdict, 'ok', t.note);
});

test('RSS climbing while the post-GC heap stays flat is native (off-heap) growth', () => {
  const r = noise(4);
  const t = computeTrend(series(200, () => 80 + r(), (_, jobs) => 160 + (30 * jobs) / 1000 + r()), OPTIONS);
  assert.equal(t.nativeGrowth, true);
  assert.equal(t.verdict, 'ok');
  assert.match(t.note, /native \(off-heap\) growth/);
});

test('before the warm-up number of jobs there is no verdict yet', () => {
  const t = computeTrend(series(9, (_, jobs) => 80 + jobs, () => 160), OPTIONS);
  assert.equal(t.verdict, 'warming up');
  assert.match(t.note, /500 jobs/);
});

test('a process without jobs (the supervisor) is judged against time after its warm-up', () => {
  const r = noise(5);
  const s = series(200, () => 40 + r(), () => 90 + r(), 0);
  const t = computeTrend(s, OPTIONS);
  assert.equal(t.axis, 'time');
  assert.equal(t.verdict, 'ok');
  assert.equal(t.heap.mbPer1kJobs, null);
  assert.ok(t.samplesUsed < s.length, 'the first minute is warm-up');
});

test('post-GC points: samples before the first major GC are skipped, repeats are one GC', () => {
  const s = series(6, (i) => 80 + Math.floor(i / 2), () => 160);
  s[0]!.postGcHeap = null;
  assert.deepEqual(postGcPoints(s).map((p) => p.postGcHeap! / MB), [80, 81, 82]);
});
