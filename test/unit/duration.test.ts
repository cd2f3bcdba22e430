import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, parseDuration } from '../../src/shared/duration.js';

test('durations take units; a bare number keeps the documented unit', () => {
  assert.equal(parseDuration('500ms', 's'), 500);
  assert.equal(parseDuration('30s', 'ms'), 30_000);
  assert.equal(parseDuration('6h', 's'), 6 * 3_600_000);
  assert.equal(parseDuration('7d', 's'), 7 * 86_400_000);
  assert.equal(parseDuration('1h30m', 's'), 5_400_000);
  assert.equal(parseDuration('30', 'ms'), 30);
  assert.equal(parseDuration('30', 's'), 30_000);
  assert.equal(parseDuration('1.5', 's'), 1_500);
});

test('text that is not a duration is refused, not misread', () => {
  for (const bad of ['', 'soon', '5 minutes', '-5s', '5x', 'h', '1h-', '10ss']) assert.equal(parseDuration(bad, 's'), undefined, bad);
});

test('formatDuration gives the shortest exact form', () => {
  assert.equal(formatDuration(90_000), '1m30s');
  assert.equal(formatDuration(500), '500ms');
  assert.equal(formatDuration(7 * 86_400_000), '7d');
  assert.equal(formatDuration(0), '0s');
});
