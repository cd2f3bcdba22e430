import { test } from 'node:test';
import assert from 'node:assert/strict';
import { recrawlPolicyFromFlags } from '../../src/cli/recrawl-flags.js';
import { firstInterval, nextInterval, type RecrawlPolicy } from '../../src/shared/recrawl/policy.js';

const adaptive: RecrawlPolicy = { mode: 'adaptive', minS: 3_600, maxS: 7 * 86_400 };

test('adaptive: a changed page comes back sooner, an unchanged one later, within the bounds', () => {
  const first = firstInterval(adaptive);
  assert.equal(first, Math.round(Math.sqrt(3_600 * 7 * 86_400))); // 24,690 s, about 6.9 h
  assert.equal(nextInterval(adaptive, first, 'changed'), Math.round(first * 0.5));
  assert.equal(nextInterval(adaptive, first, 'unchanged'), Math.round(first * 1.5));
  let s = first;
  for (let i = 0; i < 30; i++) s = nextInterval(adaptive, s, 'unchanged');
  assert.equal(s, 7 * 86_400, 'a page that never changes settles at the maximum');
  for (let i = 0; i < 30; i++) s = nextInterval(adaptive, s, 'changed');
  assert.equal(s, 3_600, 'a page that always changes settles at the minimum');
  assert.equal(nextInterval(adaptive, null, 'unchanged'), Math.round(first * 1.5), 'a page with no interval yet starts from the first one');
});

test('fixed: the interval never moves', () => {
  const fixed: RecrawlPolicy = { mode: 'fixed', everyS: 21_600 };
  assert.equal(firstInterval(fixed), 21_600);
  assert.equal(nextInterval(fixed, 21_600, 'changed'), 21_600);
  assert.equal(nextInterval(fixed, 21_600, 'unchanged'), 21_600);
});

test('recrawl flags: durations with units, defaults for the adaptive bounds, one message per bad flag', () => {
  const problems: string[] = [];
  assert.deepEqual(recrawlPolicyFromFlags({ recrawlEvery: '6h' }, problems), { mode: 'fixed', everyS: 21_600 });
  assert.deepEqual(recrawlPolicyFromFlags({ recrawlEvery: '90' }, problems), { mode: 'fixed', everyS: 90 }, 'a bare number is in seconds');
  assert.deepEqual(recrawlPolicyFromFlags({ recrawl: 'adaptive', recrawlMin: '30m', recrawlMax: '7d' }, problems), { mode: 'adaptive', minS: 1_800, maxS: 604_800 });
  assert.deepEqual(recrawlPolicyFromFlags({ recrawl: 'adaptive' }, problems), { mode: 'adaptive', minS: 3_600, maxS: 30 * 86_400 });
  assert.equal(recrawlPolicyFromFlags({ recrawl: 'off' }, problems), null);
  assert.equal(recrawlPolicyFromFlags({}, problems), undefined);
  assert.deepEqual(problems, []);

  const bad: string[] = [];
  recrawlPolicyFromFlags({ recrawlEvery: 'soon' }, bad);
  recrawlPolicyFromFlags({ recrawl: 'adaptive', recrawlMin: '7d', recrawlMax: '1h' }, bad);
  recrawlPolicyFromFlags({ recrawlEvery: '1h', recrawl: 'adaptive' }, bad);
  recrawlPolicyFromFlags({ recrawlMin: '1h' }, bad);
  assert.equal(bad.length, 4, bad.join('\n'));
  assert.match(bad[0]!, /--recrawl-every "soon": must be a duration such as/);
  assert.match(bad[1]!, /--recrawl-min\/--recrawl-max: the minimum interval is longer than the maximum/);
  assert.match(bad[2]!, /not both/);
  assert.match(bad[3]!, /need --recrawl adaptive/);
});
