/** `--help` shows every default with its unit, generated from the config defaults. */
import assert from 'node:assert/strict';
import os from 'node:os';
import { test } from 'node:test';
import { runCli } from '../helpers/spiderd.js';

const env = { databaseUrl: 'postgresql://postgres@127.0.0.1:5432/unused', prefix: 'spt-help' };

/** commander wraps help at 80 columns; join the lines so each option reads as one. */
const flat = (text: string) => text.replace(/\s*\n\s+/g, ' ');

test('spiderd start --help shows the defaults with their units', async () => {
  const r = await runCli(env, ['start', '--help']);
  assert.equal(r.code, 0, r.stderr);
  const help = flat(r.stdout);
  assert.match(help, /--grace <seconds> .*a bare number is seconds \(default: 30s\) \[env SPIDERD_GRACE_MS, where a bare number is milliseconds\]/);
  assert.match(help, /--fetch-deadline <seconds> .*\(default: 1m\)/);
  assert.match(help, /--sample-interval <seconds> .*\(default: 5s\)/);
  assert.match(help, /--heap-cap <MB> .*\(default: 1900 MB\)/);
  assert.match(help, new RegExp(`--workers <n>\\s+crawler processes \\(default: one per CPU \\(${os.availableParallelism()} here\\)\\)`));
  assert.match(help, /--concurrency <n> .*\(default: auto\)/);
  assert.match(help, /--max-worker-memory <MB> .*\(default: 0 \(off\)\)/);
});

test('spiderd enqueue --help shows the crawl defaults from the stored schema', async () => {
  const r = await runCli(env, ['enqueue', '--help']);
  assert.equal(r.code, 0, r.stderr);
  const help = flat(r.stdout);
  assert.match(help, /--per-host-delay <ms> .*\(default: 1s\)/);
  assert.match(help, /--max-depth <n> .*\(default: 10\)/);
  assert.match(help, /--scope <scope> .*\(default: host\)/);
  assert.match(help, /--max-pages <n> .*\(default: 0 \(no limit\)\)/);
});

test('a bad --concurrency is named with what is expected, exit 2', async () => {
  const r = await runCli(env, ['start', '--concurrency', 'many']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--concurrency: expected a whole number 1-1000, or auto; got "many"/);
});
