import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderMemChart } from '../../src/cli/mem/svg-chart.js';
import type { MemSample } from '../../src/shared/mem-sample.js';

const MB = 1024 * 1024;

function samples(n: number, rssMb: number, heapMb: number, growPerSample: number): MemSample[] {
  const t0 = Date.UTC(2025, 0, 1, 12);
  return Array.from({ length: n }, (_, i) => ({
    at: t0 + i * 5000,
    rss: (rssMb + i * growPerSample) * MB,
    heapUsed: heapMb * MB,
    heapTotal: heapMb * 2 * MB,
    external: MB,
    arrayBuffers: MB,
    postGcHeap: i === 0 ? null : (heapMb + i * growPerSample) * MB,
    loopDelayMeanMs: 1,
    loopDelayP99Ms: 2,
    jobsDone: i * 10,
  }));
}

/** Checks that every tag is closed in order and attribute values are quoted (a small well-formedness check). */
function assertWellFormed(svg: string): void {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g)) {
    const [, closing, name, , selfClosing] = m;
    if (selfClosing) continue;
    if (closing) assert.equal(stack.pop(), name, `unbalanced </${name}>`);
    else stack.push(name!);
  }
  assert.deepEqual(stack, [], 'every element is closed');
  const tagCount = (svg.match(/</g) ?? []).length;
  const parsed = [...svg.matchAll(/<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g)].length;
  assert.equal(parsed, tagCount, 'every "<" starts a well-formed tag');
}

test('the chart is a well-formed SVG with one line per process for rss and for the post-GC heap', () => {
  const svg = renderMemChart([
    { label: 'host-a w1 pid 101', samples: samples(40, 150, 60, 1) },
    { label: 'host-a w2 pid 102', samples: samples(40, 140, 55, 0) },
  ], { title: 'spiderd memory <test> & co' });
  assert.ok(svg.startsWith('<svg'), 'starts with <svg');
  assert.ok(svg.trimEnd().endsWith('</svg>'));
  assertWellFormed(svg);
  assert.equal((svg.match(/<polyline /g) ?? []).length, 4, 'two series per process');
  assert.equal((svg.match(/stroke-dasharray="6 4" points=/g) ?? []).length, 2, 'post-GC heap lines are dashed');
  const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
  assert.ok(texts.some((t) => /^\d+(\.\d)? MB$/.test(t!)), 'y axis labelled in MB');
  assert.ok(texts.some((t) => /^\d\d:\d\d:\d\d$/.test(t!)), 'x axis labelled with clock time');
  assert.ok(texts.includes('host-a w1 pid 101 rss') && texts.includes('host-a w2 pid 102 post-GC heap'), 'legend names each line');
  assert.ok(texts.includes('spiderd memory &lt;test&gt; &amp; co'), 'text is escaped');
});

test('a process with no post-GC figure yet gets only its rss line; no processes -> an empty chart saying so', () => {
  const one = samples(3, 100, 50, 0).map((s) => ({ ...s, postGcHeap: null }));
  const svg = renderMemChart([{ label: 'w1', samples: one }]);
  assertWellFormed(svg);
  assert.equal((svg.match(/<polyline /g) ?? []).length, 1);
  const empty = renderMemChart([]);
  assertWellFormed(empty);
  assert.match(empty, />no samples</);
});
