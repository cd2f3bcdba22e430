/**
 * Configuration as a user meets it: flags beat environment variables beat defaults; every bad
 * value is reported at once, naming where it came from; secrets never reach the message.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { Command } from 'commander';
import { ENV_NAMES, loadConfig, type ConfigKey } from '../../src/shared/config.js';
import { FLAGS, addConfigFlags, configFlagsFrom } from '../../src/shared/config-flags.js';
import { SpiderdError } from '../../src/shared/errors.js';

const KEYS = ['redisUrl', 'databaseUrl', 'prefix', 'logLevel', 'workers', 'concurrency', 'graceMs', 'snapshotDir', 'recycleOnLeak', 'sampleIntervalMs'] as const satisfies readonly ConfigKey[];

/** Parses argv the way `spiderd start` does: commander flags -> config keys -> loadConfig. */
function configFrom(argv: string[], env: NodeJS.ProcessEnv) {
  const cmd = addConfigFlags(new Command('start').exitOverride(), KEYS);
  cmd.parse(argv, { from: 'user' });
  return loadConfig(configFlagsFrom(cmd.opts(), KEYS), env);
}

function configError(fn: () => unknown): SpiderdError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof SpiderdError, `expected a SpiderdError, got ${String(err)}`);
    assert.equal(err.code, 'SPIDERD_CONFIG_INVALID');
    return err;
  }
  assert.fail('expected SPIDERD_CONFIG_INVALID');
}

test('defaults apply when neither a flag nor an environment variable is given', () => {
  const config = configFrom([], {});
  assert.equal(config.redisUrl, 'redis://127.0.0.1:6379');
  assert.equal(config.databaseUrl, 'postgresql://postgres@127.0.0.1:5432/spiderd');
  assert.equal(config.prefix, 'spiderd');
  assert.equal(config.workers, os.availableParallelism());
  assert.equal(config.concurrency, 'auto');
  assert.equal(config.graceMs, 30_000);
  assert.equal(config.recycleOnLeak, false);
});

test('an environment variable beats the default, and a flag beats the environment variable', () => {
  const env = { SPIDERD_WORKERS: '5', SPIDERD_CONCURRENCY: '7', SPIDERD_GRACE_MS: '12000', REDIS_URL: 'redis://env-host:6379', SPIDERD_PREFIX: 'fromenv' };
  const fromEnv = configFrom([], env);
  assert.equal(fromEnv.workers, 5);
  assert.equal(fromEnv.concurrency, 7);
  assert.equal(fromEnv.graceMs, 12_000);
  assert.equal(fromEnv.redisUrl, 'redis://env-host:6379');
  assert.equal(fromEnv.prefix, 'fromenv');

  const fromFlags = configFrom(['--workers', '3', '--grace', '2.5', '--redis-url', 'redis://flag-host:6380', '--recycle-on-leak'], env);
  assert.equal(fromFlags.workers, 3);
  assert.equal(fromFlags.graceMs, 2_500, '--grace is in seconds');
  assert.equal(fromFlags.redisUrl, 'redis://flag-host:6380');
  assert.equal(fromFlags.recycleOnLeak, true);
  assert.equal(fromFlags.concurrency, 7, 'a key without a flag keeps its environment value');
  assert.equal(fromFlags.prefix, 'fromenv');
});

test('an empty environment variable counts as unset; yes/no/1/0 are booleans', () => {
  assert.equal(configFrom([], { SPIDERD_WORKERS: '' }).workers, os.availableParallelism());
  assert.equal(configFrom([], { SPIDERD_RECYCLE_ON_LEAK: 'yes' }).recycleOnLeak, true);
  assert.equal(configFrom([], { SPIDERD_RECYCLE_ON_LEAK: '0' }).recycleOnLeak, false);
});

test('the config is frozen: nothing downstream can change it', () => {
  const config = configFrom([], {});
  assert.ok(Object.isFrozen(config));
  assert.throws(() => {
    (config as { workers: number }).workers = 99;
  }, TypeError);
});

test('several bad values are reported together, each naming its flag or variable', () => {
  const err = configError(() =>
    configFrom(['--concurrency', '0', '--log-level', 'loud'], { SPIDERD_WORKERS: 'many', REDIS_URL: 'http://127.0.0.1:6379', SPIDERD_PREFIX: 'has space' }),
  );
  const lines = err.message.split('\n').filter((l) => l.trim().startsWith('-'));
  assert.equal(lines.length, 5, err.message);
  assert.match(err.message, /SPIDERD_WORKERS/);
  assert.match(err.message, /REDIS_URL.*redis:\/\//);
  assert.match(err.message, /SPIDERD_PREFIX/);
  assert.match(err.message, /^ {2}- --concurrency: expected a whole number 1-1000, or auto; got "0"$/m);
  assert.match(err.message, /^ {2}- --log-level: expected one of fatal, error, warn, info, debug, trace, silent; got "loud"$/m);
  assert.match(err.message, /^ {2}- SPIDERD_WORKERS: expected a whole number 1-256; got "many"$/m);
});

test('validation errors say what is expected, naming the flag or variable, in plain words', () => {
  const cases: [string[], NodeJS.ProcessEnv, string][] = [
    [['--concurrency', 'many'], {}, '--concurrency: expected a whole number 1-1000, or auto; got "many"'],
    [[], { SPIDERD_CONCURRENCY: '5000' }, 'SPIDERD_CONCURRENCY: expected a whole number 1-1000, or auto; got "5000"'],
    [['--grace', 'soon'], {}, '--grace: expected a duration 0s-1h, such as 500ms, 30s, 5m or 6h (a bare number is seconds); got "soon"'],
    [[], { SPIDERD_GRACE_MS: '2h' }, 'SPIDERD_GRACE_MS: expected a duration 0s-1h, such as 500ms, 30s, 5m or 6h (a bare number is milliseconds); got "2h"'],
    [[], { SPIDERD_RECYCLE_ON_LEAK: 'maybe' }, 'SPIDERD_RECYCLE_ON_LEAK: expected true or false (also yes/no, 1/0); got "maybe"'],
  ];
  for (const [argv, env, line] of cases) {
    const err = configError(() => configFrom(argv, env));
    assert.ok(err.message.split('\n').includes(`  - ${line}`), `${JSON.stringify(argv)} ${JSON.stringify(env)}:\n${err.message}`);
    assert.doesNotMatch(err.message, /Invalid input/);
  }
});

test('durations accept units in flags and environment variables; a bare number keeps its documented unit', () => {
  assert.equal(configFrom([], { SPIDERD_GRACE_MS: '30s' }).graceMs, 30_000);
  assert.equal(configFrom([], { SPIDERD_GRACE_MS: '30' }).graceMs, 30, 'an environment variable in ms stays in ms');
  assert.equal(configFrom([], { SPIDERD_SAMPLE_INTERVAL_MS: '1m30s' }).sampleIntervalMs, 90_000);
  assert.equal(configFrom(['--grace', '30'], {}).graceMs, 30_000, 'a flag in seconds stays in seconds');
  assert.equal(configFrom(['--grace', '500ms'], {}).graceMs, 500);
  assert.equal(configFrom(['--sample-interval', '2m'], {}).sampleIntervalMs, 120_000);
});

test('a password in DATABASE_URL or REDIS_URL never appears in the error text', () => {
  const secret = 'pa55-s3cret-word';
  const cases: NodeJS.ProcessEnv[] = [
    // Valid URLs with passwords, next to other bad values.
    { DATABASE_URL: `postgresql://spider:${secret}@db.internal:5432/spiderd`, REDIS_URL: `redis://:${secret}@cache:6379`, SPIDERD_WORKERS: '0' },
    // The URLs themselves are the bad values.
    { DATABASE_URL: `mysql://spider:${secret}@db.internal:3306/spiderd`, REDIS_URL: `http://:${secret}@cache:6379` },
    { DATABASE_URL: `postgresql://spider:${secret}@db internal/spiderd`, REDIS_URL: `redis://:${secret}@cache:port` },
  ];
  for (const env of cases) {
    const err = configError(() => configFrom([], env));
    const everything = `${err.message}\n${err.stack ?? ''}\n${JSON.stringify(err.details ?? {})}\n${String(err.cause ?? '')}`;
    assert.ok(!everything.includes(secret), `password leaked in:\n${err.message}`);
  }
});

test('docs/configuration.md lists every environment variable and flag', () => {
  const doc = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
  const missing = [
    ...Object.values(ENV_NAMES).filter((name) => !doc.includes(`\`${name}\``)),
    ...Object.values(FLAGS).map((spec) => spec.flag).filter((flag) => !doc.includes(`\`${flag}\``)),
  ];
  assert.deepEqual(missing, [], `not documented in docs/configuration.md: ${missing.join(', ')}`);
});

// Safety on the open web (issue 8): the operator-level settings of `spiderd start`.
const SAFETY_KEYS = ['allowPrivateNetworks', 'robotsAgent', 'userAgent', 'fetchDeadlineMs', 'handlerDirs'] as const satisfies readonly ConfigKey[];

function safetyConfig(argv: string[], env: NodeJS.ProcessEnv) {
  const cmd = addConfigFlags(new Command('start').exitOverride(), SAFETY_KEYS);
  cmd.parse(argv, { from: 'user' });
  return loadConfig(configFlagsFrom(cmd.opts(), SAFETY_KEYS), env);
}

test('safety defaults: SSRF guard on, robots token spiderd, a User-Agent naming no address, 60 s fetch deadline, no handler dir', () => {
  const config = safetyConfig([], {});
  assert.equal(config.allowPrivateNetworks, false);
  assert.equal(config.robotsAgent, 'spiderd');
  assert.match(config.userAgent, /^spiderd\/\d+\.\d+\.\d+$/);
  assert.equal(config.fetchDeadlineMs, 60_000);
  assert.deepEqual(config.handlerDirs, []);
});

test('safety settings from flags and environment: repeatable --handler-dir, a ":" list in the environment, seconds on the flag', () => {
  const fromEnv = safetyConfig([], { SPIDERD_ALLOW_PRIVATE_NETWORKS: 'true', SPIDERD_HANDLER_DIR: '/opt/h1:/opt/h2', SPIDERD_FETCH_DEADLINE_MS: '5000', SPIDERD_USER_AGENT: 'acme (+mailto:ops@acme.test)' });
  assert.equal(fromEnv.allowPrivateNetworks, true);
  assert.deepEqual(fromEnv.handlerDirs, ['/opt/h1', '/opt/h2']);
  assert.equal(fromEnv.fetchDeadlineMs, 5_000);
  assert.equal(fromEnv.userAgent, 'acme (+mailto:ops@acme.test)');
  const fromFlags = safetyConfig(['--handler-dir', '/srv/a', '--handler-dir', 'rel', '--fetch-deadline', '2.5', '--robots-agent', 'Acme_Bot-x', '--allow-private-networks'], { SPIDERD_HANDLER_DIR: '/opt/h1' });
  assert.deepEqual(fromFlags.handlerDirs, ['/srv/a', path.resolve('rel')], 'flags replace the environment; relative dirs are made absolute');
  assert.equal(fromFlags.fetchDeadlineMs, 2_500);
  assert.equal(fromFlags.robotsAgent, 'Acme_Bot-x');
  assert.equal(fromFlags.allowPrivateNetworks, true);
});

test('a robots agent that is not an RFC 9309 product token, or a User-Agent with control characters, is refused', () => {
  for (const bad of ['spiderd/1.0', 'spider d', 'Mozilla/5.0 (compatible)', '']) {
    if (bad === '') continue; // empty = unset
    const err = configError(() => safetyConfig(['--robots-agent', bad], {}));
    assert.match(err.message, /--robots-agent.*product token/);
  }
  const err = configError(() => safetyConfig([], { SPIDERD_USER_AGENT: 'spiderd\r\nX-Injected: 1' }));
  assert.match(err.message, /SPIDERD_USER_AGENT/);
});
