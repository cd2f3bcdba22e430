import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { GrowthPoint } from '../../src/shared/mem/growth-point.js';
import { withSlowGrowth, assessGrowth } from '../../src/shared/mem/leak-analysis.js';
import { assessSlowGrowth, SlowHistory } from '../../src/shared/mem/slow-growth.js';

const MB = 1024 * 1024;
const HOUR = 3_600_000;

/** A process at `pagesPerSecond`, its post-GC heap `base` MB + `bytesPerPage` per page, with floating garbage of up to `noiseMb` on top. */
function run(jobs: number, bytesPerPage: number, o: { every?: number; pagesPerSecond?: number; noiseMb?: number; base?: number; seed?: number } = {}): GrowthPoint[] {
  const every = o.every ?? 1700;
  const pps = o.pagesPerSecond ?? 500;
  let seed = o.seed ?? 7;
  const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const points: GrowthPoint[] = [];
  for (let j = every; j <= jobs; j += every) {
    const heap = ((o.base ?? 38) + random() * (o.noiseMb ?? 2)) * MB + bytesPerPage * j;
    points.push({ jobs: j, at: (j / pps) * 1000, heap, external: 2 * MB, rss: heap + 100 * MB, heapCommitted: heap * 1.1 });
  }
  return points;
}

function history(points: GrowthPoint[], windowJobs = 12_000): GrowthPoint[] {
  const h = new SlowHistory(windowJobs);
  for (const p of points) h.add(p);
  return h.points;
}

const options = { warmupJobs: 15_000, windowJobs: 12_000, limitBytes: 1900 * MB, horizonMs: 7 * 24 * HOUR };

describe('slow growth', () => {
  it('a leak of 300 bytes per page is a slow leak well within 40,000 jobs, with its time to the heap limit', () => {
    const slow = assessSlowGrowth(history(run(36_000, 300)), options);
    assert.equal(slow.ready, true);
    assert.equal(slow.suspected, true, slow.note);
    assert.ok(Math.abs(slow.mbPer1kJobs! - 0.286) < 0.1, `slope ${slow.mbPer1kJobs}`);
    // 0.29 MB per 1,000 pages at 500 pages/s: ~515 MB per hour, ~12.4 GB per day: the 1,900 MB cap in about 3.6 h.
    assert.ok(slow.hoursToLimit! > 2 && slow.hoursToLimit! < 5, `hours ${slow.hoursToLimit}`);
    assert.ok(slow.mbPerDay! > 8000, `per day ${slow.mbPerDay}`);
    assert.match(slow.note, /^slow leak: post-GC heap \+0\.\d+ MB\/1k jobs .*reaches its 1900 MB heap limit in \d\.\d h at this pace$/);
  });

  it("spiderd's own flat heap (under 50 bytes per page), a bounded cache that filled, and noise raise nothing", () => {
    assert.equal(assessSlowGrowth(history(run(100_000, 40)), options).suspected, false);
    const filled = run(100_000, 0).map((p) => ({ ...p, heap: p.heap + Math.min(p.jobs, 20_000) * 1000 }));
    assert.equal(assessSlowGrowth(history(filled), options).suspected, false, 'an LRU of 20,000 pages of 1 KB, full by the warm-up');
    for (let seed = 1; seed < 20; seed++) assert.equal(assessSlowGrowth(history(run(100_000, 0, { noiseMb: 5, seed })), options).suspected, false, `seed ${seed}`);
  });

  it('growth that reaches the limit only after the horizon is reported as growth with its time to the limit, not as a leak', () => {
    // 300 bytes per page at 2 pages/s: about 52 MB per day, 36 days to the cap.
    const slow = assessSlowGrowth(history(run(200_000, 300, { pagesPerSecond: 2, every: 4000 })), options);
    assert.equal(slow.suspected, false);
    assert.ok(slow.hoursToLimit! > 7 * 24, `hours ${slow.hoursToLimit}`);
    assert.match(slow.note, /^slow growth: .*days at this pace$/);
  });

  it('waits for the long window: nothing before the warm-up plus the window', () => {
    const early = assessSlowGrowth(history(run(20_000, 3000)), options);
    assert.equal(early.ready, false);
    assert.equal(early.suspected, false);
  });

  it('thins a long life into a bounded history that still spans it', () => {
    const h = history(run(2_000_000, 0, { every: 500 }));
    assert.ok(h.length <= 96, `${h.length} buckets`);
    assert.ok(h[0]!.jobs < 100_000 && h[h.length - 1]!.jobs > 1_900_000);
  });

  it("makes a slow leak the sentinel's suspected heap leak, and leaves a fast verdict alone", () => {
    const points = run(36_000, 300);
    const short = assessGrowth(points, { warmupJobs: 800, thresholdMbPer1kJobs: 5 });
    assert.notEqual(short.verdict, 'suspected leak');
    const both = withSlowGrowth(short, assessSlowGrowth(history(points), options));
    assert.equal(both.verdict, 'suspected leak');
    assert.deepEqual(both.kinds, ['heap']);
    assert.match(both.note, /^slow leak/);
  });

  it("gives a fast leak its time to the limit before the long window is ready, and a young clean process none", () => {
    // 100 KB per page at 500 pages/s: 95 MB per 1,000 pages, about 170 GB an hour: the 1,900 MB cap within a minute.
    const fast = run(3_400, 100_000, { every: 200 });
    const short = assessGrowth(fast, { warmupJobs: 800, thresholdMbPer1kJobs: 5 });
    assert.equal(short.verdict, 'suspected leak');
    const slow = assessSlowGrowth(history(fast), options);
    assert.equal(slow.ready, false);
    const both = withSlowGrowth(short, slow, fast[fast.length - 1]!.heap);
    const left = 1900 - fast[fast.length - 1]!.heap / MB;
    const mbPerHour = (100_000 * 500 * 3600) / MB;
    assert.ok(Math.abs(both.slow!.hoursToLimit! - left / mbPerHour) < 0.2 * (left / mbPerHour), `hours ${both.slow!.hoursToLimit}`);
    const clean = run(3_400, 0, { every: 200 });
    const cleanBoth = withSlowGrowth(assessGrowth(clean, { warmupJobs: 800, thresholdMbPer1kJobs: 5 }), assessSlowGrowth(history(clean), options), clean[clean.length - 1]!.heap);
    assert.equal(cleanBoth.slow!.hoursToLimit, null);
  });
});
