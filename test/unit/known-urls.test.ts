import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KnownUrls } from '../../src/workers/known-urls.js';

const c = (url: string) => ({ url, depth: 1 });

test('only URLs remembered for the same crawl are known; the others are offered to PostgreSQL', () => {
  const known = new KnownUrls(100);
  known.remember(1, ['http://a/1', 'http://a/2']);
  assert.deepEqual(known.unknown(1, [c('http://a/1'), c('http://a/3')]).map((x) => x.url), ['http://a/3']);
  assert.deepEqual(known.unknown(2, [c('http://a/1')]).map((x) => x.url), ['http://a/1'], 'another crawl knows nothing yet');
});

test('when full, the least recently used go first and the recently used stay', () => {
  const known = new KnownUrls(100);
  known.remember(1, ['http://nav/home']);
  for (let i = 0; i < 300; i++) {
    known.remember(1, [`http://a/${i}`]);
    known.unknown(1, [c('http://nav/home')]); // the navigation link every page repeats
  }
  assert.ok(known.size <= 100, `${known.size} URLs kept`);
  assert.deepEqual(known.unknown(1, [c('http://nav/home'), c('http://a/0'), c('http://a/299')]).map((x) => x.url), ['http://a/0']);
});
