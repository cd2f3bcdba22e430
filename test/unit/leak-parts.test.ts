/**
 * The pure parts of leak hunting: the forced-GC budget, the confirmation on clean
 * measurements, the choice between snapshots and a sampling profile, the culprit ranking, the
 * allocation sites of a sampling profile and how the report names the culprit.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { codeOrigin } from '../../src/shared/heap/code-origin.js';
import type { ClassDelta } from '../../src/shared/heap/diff.js';
import type { SamplingProfile } from '../../src/shared/heap/heap-session.js';
import { sitesFromProfile } from '../../src/shared/heap/profile-sites.js';
import { rankGrowers } from '../../src/shared/heap/rank-growers.js';
import type { GrowthAssessment } from '../../src/shared/mem/leak-analysis.js';
import { confirmGrowth } from '../../src/workers/memory/confirm-growth.js';
import { investigationBudget, planEvidence, planSecondSnapshot, snapshotCostBytes } from '../../src/workers/memory/evidence-plan.js';
import { gapJobs, samplingInterval, suspicionOf } from '../../src/workers/memory/investigation-gap.js';
import { GcBudget } from '../../src/workers/memory/gc-probe.js';
import { nameCulprit } from '../../src/workers/memory/leak-report.js';

const MB = 1024 * 1024;
const SPIDERD_FILE = pathToFileURL(fileURLToPath(new URL('../../src/workers/fetch/decode-html.js', import.meta.url))).href;
const HANDLER_FILE = 'file:///srv/handlers/extract.mjs';

describe('GcBudget', () => {
  const options = { warmupJobs: 1000, pointEveryJobs: 200, budgetPercent: 1, startAllowanceGcs: 2 };

  it('forces nothing before the warm-up, then one GC per pointEveryJobs at most', () => {
    const b = new GcBudget(options, 0);
    assert.equal(b.due(900, null, true, 0), false);
    assert.equal(b.due(1000, null, true, 0), true);
    assert.equal(b.due(1150, 1000, true, 0), false);
    assert.equal(b.due(1200, 1000, true, 0), true);
  });

  it('spends the start allowance (counted in GCs) only while the evidence is short or suspicious, then charges each forced GC its pause plus the after-effect against budgetPercent of wall time', () => {
    const b = new GcBudget(options, 0);
    assert.equal(b.due(1000, null, false, 0), false, 'not urgent: nothing saved up yet');
    b.spent(40, 0);
    b.spent(40, 0); // the two GCs of the allowance
    assert.equal(b.due(1400, 1200, true, 0), false, 'the allowance is spent');
    assert.equal(b.due(1400, 1200, false, 10_000), false, '10 s of wall time buys 100 ms only, a GC costs 540');
    assert.equal(b.due(1400, 1200, false, 50_000), false, '50 s buy 500 ms, not yet enough');
    assert.equal(b.due(1400, 1200, false, 55_000), true, 'after 54 s the steady budget pays for one');
    assert.equal(b.forced, 2);
    assert.equal(b.forcedMs, 80, 'the pauses');
  });
});

describe('confirmGrowth', () => {
  const fast = { rate: 5, slow: false };
  const at = (jobs: number, heapMb: number, externalMb = 5, offHeapMb = 100) => ({ jobs, heap: heapMb * MB, external: externalMb * MB, offHeapRss: offHeapMb * MB, offHeapRssAfter: offHeapMb * MB });

  it('confirms heap growth of at least half the threshold per 1,000 jobs between the clean measurements', () => {
    const g = confirmGrowth(at(1600, 50), at(1800, 52), ['heap'], fast);
    assert.equal(g.heapMbPer1kJobs, 10);
    assert.equal(g.confirmed, true);
  });

  it('does not confirm a cache that has just filled (flat between A and B)', () => {
    assert.equal(confirmGrowth(at(1600, 50), at(1800, 50.1), ['heap'], fast).confirmed, false);
  });

  it('lets a slow leak stand on the long window when spiderd\'s own heap moves more than the leak between A and B', () => {
    const g = confirmGrowth(at(27_874, 60), at(29_337, 56.7), ['heap'], { rate: 0.77, slow: true });
    assert.equal(g.confirmed, true);
    assert.match(g.note, /-2\.26 MB heap.*; a slow leak: the long window decides/);
    assert.equal(confirmGrowth(at(27_874, 60), at(29_337, 56.7), ['heap'], { rate: 0.77, slow: false }).confirmed, false);
  });

  it('confirms native growth on external memory, not on a flat heap', () => {
    assert.equal(confirmGrowth(at(1600, 20, 10), at(1800, 20, 12), ['native'], fast).confirmed, true);
    assert.equal(confirmGrowth(at(1600, 20, 10), at(1800, 22, 10), ['native'], fast).confirmed, false);
  });

  it("compares off-heap RSS from after snapshot A's write (which leaves RSS higher) to before B's", () => {
    const a = { ...at(1600, 20), offHeapRss: 100 * MB, offHeapRssAfter: 180 * MB };
    assert.equal(confirmGrowth(a, at(1800, 20, 5, 180.5), ['native'], fast).confirmed, false, 'the snapshot, not a leak');
    assert.equal(confirmGrowth(a, at(2600, 20, 5, 200), ['native'], fast).confirmed, true, '+20 MB per 1,000 jobs outside the heap, 20 MB in all');
  });

  it('does not confirm a native leak on a few MB of off-heap RSS, whatever its rate over a short gap', () => {
    const a = { ...at(22_982, 37.89, 4.83), offHeapRss: 100 * MB, offHeapRssAfter: 230 * MB };
    const g = confirmGrowth(a, at(23_213, 37.85, 4.7, 232.8), ['native'], fast);
    assert.equal(g.rssMbPer1kJobs, 12.12, 'the rate alone is over the threshold');
    assert.equal(g.confirmed, false);
    assert.match(g.note, /or off-heap rss under 8 MB in all/);
  });
});

describe('planEvidence', () => {
  const base = { heapUsed: 100 * MB, rss: 180 * MB, maxPauseMs: 15_000, freeMem: 8 * 1024 * MB };
  const budget = investigationBudget(100 * MB, 0, 300);

  it('snapshots a heap whose objects fit the budget: heap + 300 MB, or --max-worker-memory when set', () => {
    assert.equal(budget.bytes, 400 * MB);
    assert.equal(investigationBudget(100 * MB, 1024, 300).bytes, 1024 * MB);
    const plan = planEvidence({ ...base, objects: 100_000, budget });
    assert.equal(plan.kind, 'heap snapshots');
    assert.equal(plan.kind === 'heap snapshots' ? plan.predictedRss : 0, 180 * MB + snapshotCostBytes(100_000));
  });

  it('a heap of many objects (kept DOM trees) gets the sampling profile alone, with the predicted RSS and the budget in the reason', () => {
    const plan = planEvidence({ ...base, objects: 500_000, budget });
    assert.equal(plan.kind, 'sampling profile');
    assert.match(plan.kind === 'sampling profile' ? plan.why : '', /would take RSS to about 571 MB, over the investigation's budget of 400 MB \(heap 100 MB \+ 300 MB headroom\)/);
  });

  it('a heap too big to write within the pause limit, or to diff in the free RAM, gets the sampling profile', () => {
    const slow = planEvidence({ ...base, heapUsed: 600 * MB, objects: 1000, budget: investigationBudget(600 * MB, 0, 300) });
    assert.match(slow.kind === 'sampling profile' ? slow.why : '', /600 MB heap would take about 31\.5 s to snapshot, above SPIDERD_LEAK_MAX_PAUSE_MS \(15\.0 s\)/);
    const tight = planEvidence({ ...base, freeMem: 512 * MB, objects: 1000, budget });
    assert.match(tight.kind === 'sampling profile' ? tight.why : '', /needs about 1200 MB of RAM/);
  });

  it('snapshot B is scaled from what snapshot A cost, by the heap it gained', () => {
    const fits = planSecondSnapshot({ rss: 300 * MB, costA: 60 * MB, heapA: 100 * MB, heapB: 104 * MB, budget });
    assert.equal(fits.kind, 'heap snapshots');
    const over = planSecondSnapshot({ rss: 300 * MB, costA: 60 * MB, heapA: 100 * MB, heapB: 300 * MB, budget });
    assert.equal(over.kind, 'sampling profile');
  });
});

describe('investigation gap', () => {
  it('is the configured gap for a fast leak, and long enough for a slow one to show 1 MB (at most 4,000 jobs)', () => {
    assert.equal(gapJobs({ rate: 5, slow: false }, 200), 200);
    assert.equal(gapJobs({ rate: 100, slow: false }, 200), 200);
    assert.equal(gapJobs({ rate: 0.77, slow: true }, 200), 1299);
    assert.equal(gapJobs({ rate: 0.3, slow: true }, 200), 3334);
    assert.equal(gapJobs({ rate: 0.05, slow: true }, 200), 4000);
    assert.equal(gapJobs({ rate: 5, slow: false, offHeapRate: 14 }, 200), 1143, 'off-heap RSS alone: 16 MB at its rate');
    assert.equal(gapJobs({ rate: 5, slow: false, offHeapRate: 200 }, 200), 200);
  });

  it('takes the off-heap rate of a native suspicion on RSS alone, and none when external memory leaks', () => {
    const fit = (mbPer1kJobs: number) => ({ mbPer1kJobs, lowerMbPer1kJobs: mbPer1kJobs / 2, recentMbPer1kJobs: mbPer1kJobs, noiseMb: 1, mbPerHour: null });
    const native: GrowthAssessment = { verdict: 'suspected leak', kinds: ['native'], note: '', points: 16, jobsSpan: 6860, heap: fit(0.1), external: fit(-0.18), rss: fit(14.12) };
    assert.deepEqual(suspicionOf(native, 5), { rate: 5, slow: false, offHeapRate: 14.12 });
    assert.deepEqual(suspicionOf({ ...native, external: fit(9) }, 5), { rate: 5, slow: false });
  });

  it('samples the heap every 512 bytes over the configured gap, and proportionally less often over a longer one (at most every 16 KiB)', () => {
    assert.equal(samplingInterval(200, 200), 512);
    assert.equal(samplingInterval(100, 100), 512);
    assert.equal(samplingInterval(1299, 200), 6 * 1024);
    assert.equal(samplingInterval(4000, 200), 16 * 1024);
    assert.equal(samplingInterval(8000, 200), 16 * 1024);
  });
});

function delta(name: string, over: Partial<ClassDelta>): ClassDelta {
  return { name, countA: 0, countB: 0, countDelta: 0, selfSizeA: 0, selfSizeB: 0, selfSizeDelta: 0, retainedSizeB: 0, retainedSizeDelta: 0, heldByNew: null, holderDepth: null, retainerPath: null, ...over };
}

describe('rankGrowers', () => {
  it("one process's pair: the outermost class among those holding about the most new memory comes first, payload after", () => {
    const ranked = rankGrowers([
      delta('(string)', { countDelta: 400, selfSizeDelta: 9 * MB, heldByNew: 0 }),
      delta('Element', { countDelta: 9000, selfSizeDelta: MB, heldByNew: 6 * MB, holderDepth: null }),
      delta('Cheerio', { countDelta: 200, heldByNew: 16.9 * MB, holderDepth: 1 }),
      delta('RetainedPage', { countDelta: 200, heldByNew: 17 * MB, holderDepth: 0 }),
      delta('system / Context', { countDelta: 10, heldByNew: 17.1 * MB, holderDepth: 0 }),
    ]);
    // system / Context holds a little more, at the same depth: a named class still names the culprit better.
    assert.deepEqual(ranked.map((c) => c.name), ['RetainedPage', 'system / Context', 'Cheerio', 'Element', '(string)']);
  });

  it('typed arrays kept per page (native bytes): the view that holds them is named, not its ArrayBuffers', () => {
    const ranked = rankGrowers([
      delta('system / JSArrayBufferData', { countDelta: 200, heldByNew: 0 }),
      delta('ArrayBuffer', { countDelta: 200, heldByNew: 2 * MB, holderDepth: 1 }),
      delta('Uint8Array', { countDelta: 200, heldByNew: 2 * MB, holderDepth: 0 }),
      delta('Object', { countDelta: 30, heldByNew: 0.1 * MB }),
    ]);
    assert.deepEqual(ranked.map((c) => c.name).slice(0, 2), ['Uint8Array', 'ArrayBuffer']);
  });

  it('snapshots of unknown origin: user-level classes by retained growth first', () => {
    const ranked = rankGrowers([
      delta('(string)', { countDelta: 400, selfSizeDelta: 9 * MB }),
      delta('Array', { countDelta: 50, retainedSizeDelta: 20 * MB }),
      delta('LeakyThing', { countDelta: 20_000, retainedSizeDelta: 2 * MB }),
    ]);
    assert.equal(ranked[0]!.name, 'LeakyThing');
  });
});

describe('allocation sites from a sampling profile', () => {
  const frame = (functionName: string, url: string, lineNumber: number) => ({ functionName, url, lineNumber, columnNumber: 0, scriptId: '1' });
  const node = (f: ReturnType<typeof frame>, selfSize: number, children: unknown[] = []) => ({ callFrame: f, selfSize, id: 0, children });
  const profile = {
    head: node(frame('(root)', '', -1), 0, [
      node(frame('processPage', SPIDERD_FILE, 10), 0, [
        node(frame('decodeHtml', SPIDERD_FILE, 40), 3 * MB),
        node(frame('handle', HANDLER_FILE, 18), 2048, [node(frame('from', 'node:buffer', 300), 40 * 1024, [node(frame('', '', -1), 1024)])]),
      ]),
    ]),
  } as unknown as SamplingProfile;

  it('charges each sample to the innermost user frame on its stack, else to the innermost frame with a script', () => {
    const { sites, sampledBytes } = sitesFromProfile(profile);
    assert.equal(sampledBytes, 3 * MB + 2048 + 41 * 1024);
    assert.deepEqual(sites.map((s) => [s.site, s.origin, s.bytes]), [
      [`decodeHtml (${SPIDERD_FILE}:41)`, 'spiderd', 3 * MB],
      [`handle (${HANDLER_FILE}:19)`, 'user', 2048 + 41 * 1024],
    ]);
  });

  it('the report names the user site even when spiderd allocated most of what it keeps', () => {
    const { sites, sampledBytes } = sitesFromProfile(profile);
    const c = nameCulprit([delta('(sliced string)', { retainerPath: ['Map (internal table)', 'system / Context (variable `snippets`) in /srv/handlers/extract.mjs'] })], sites, sampledBytes);
    assert.equal(c.growingClass, '(sliced string)');
    assert.equal(c.allocationSite, `handle (${HANDLER_FILE}:19) [user]`);
    assert.match(c.allocatedBy, /^spiderd 99%, user 1%$/);
  });

  it('tells user code from spiderd, libraries, Node and native frames', () => {
    assert.equal(codeOrigin(HANDLER_FILE), 'user');
    assert.equal(codeOrigin('/srv/handlers/extract.cjs'), 'user');
    assert.equal(codeOrigin(SPIDERD_FILE), 'spiderd');
    assert.equal(codeOrigin('file:///app/node_modules/cheerio/dist/esm/load.js'), 'library');
    assert.equal(codeOrigin('node:internal/timers'), 'node');
    assert.equal(codeOrigin(''), 'native');
    assert.equal(codeOrigin('/srv/harness.js', [path.resolve('/srv/harness.js')]), 'spiderd');
  });
});
