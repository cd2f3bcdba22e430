/** The pages/s `status` shows: a finished crawl's whole-crawl rate does not decay after its end. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rate, wholeCrawlRate } from '../../src/cli/crawl-status.js';

test("a finished crawl's rate is its fetched pages over first-to-last fetch, whenever it is asked", () => {
  const first = new Date('2026-01-01T00:00:00Z');
  const last = new Date('2026-01-01T00:00:20Z');
  assert.equal(wholeCrawlRate(100, first, last), 5);
  assert.equal(wholeCrawlRate(3, first, first), 3, 'a span under a second counts as one second');
  assert.equal(wholeCrawlRate(0, null, null), 0);
  // The live rate of the same crawl, an hour later, has nothing in its window.
  assert.equal(rate(0, first, new Date('2026-01-01T01:00:00Z')), 0);
});
