/**
 * Where keys live: a standalone Redis keeps the key names existing deployments have; on a
 * cluster, a host's jobs and every key used with them share one hash tag, and hosts spread
 * evenly over the shards. Connecting to a cluster is asked for, never guessed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/shared/config.js';
import { SpiderdError } from '../../src/shared/errors.js';
import { keysFor, redisKeys } from '../../src/shared/keys.js';
import { fnv1a, shardOfHost, shardOfUrl } from '../../src/shared/shards.js';

/** The hash tag Redis Cluster hashes a key by: the text between the first { and the next }. */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  const close = key.indexOf('}', open + 1);
  return open >= 0 && close > open + 1 ? key.slice(open + 1, close) : key;
}

test('on a standalone Redis every key keeps its name (one shard, the plain prefix)', () => {
  const keys = keysFor({ prefix: 'spiderd', redisCluster: false, queueShards: 16 });
  assert.equal(keys.layout.shards, 1);
  assert.equal(keys.bullPrefix(0), 'spiderd');
  assert.equal(keys.epoch(0), 'spiderd:epoch');
  assert.equal(keys.hostLeases('a.example:8080'), 'spiderd:host:a.example:8080:leases');
  assert.equal(keys.hostNext('a.example'), 'spiderd:host:a.example:next');
  assert.equal(keys.hostCursor('a.example'), 'spiderd:host:a.example:cursor');
  assert.equal(keys.robots('spiderd', 'https://a.example'), 'spiderd:robots:spiderd:https://a.example');
  assert.equal(keys.robotsLock('spiderd', 'https://a.example'), 'spiderd:robots-lock:spiderd:https://a.example');
  assert.equal(keys.robotsBackoff('https://a.example'), 'spiderd:robots-backoff:https://a.example');
  assert.equal(keys.daemons, 'spiderd:daemons');
  assert.equal(keys.daemon('d1'), 'spiderd:daemon:d1');
  assert.equal(keys.memHistory('d1', 'w1'), 'spiderd:mem:d1:w1');
  assert.equal(keys.reconcileLock, 'spiderd:reconcile-lock');
  assert.equal(keys.control('d1'), 'spiderd:control:d1');
  assert.equal(keys.reply('r1'), 'spiderd:reply:r1');
  assert.equal(shardOfUrl('https://b.example/x', keys.layout.shards), 0);
});

test("on a cluster a host's queue, politeness and robots keys share its shard's hash tag", () => {
  const keys = redisKeys('spiderd', { cluster: true, shards: 16 });
  for (const host of ['a.example', 'b.example:8443', 'xn--bcher-kva.example']) {
    const k = keys.hostShard(host);
    const tag = `spiderd:${k}`;
    assert.equal(shardOfUrl(`https://${host}/page`, 16), k, 'a page goes to its host shard');
    assert.equal(hashTag(`${keys.bullPrefix(k)}:pages:p1`), tag);
    for (const key of [keys.hostLeases(host), keys.hostNext(host), keys.hostCursor(host), keys.robots('spiderd', `https://${host}`), keys.robotsBackoff(`https://${host}`), keys.epoch(k)]) {
      assert.equal(hashTag(key), tag, key);
    }
  }
  // Keys a daemon writes together (heartbeat record and the set of daemons) share one tag.
  assert.equal(hashTag(keys.daemon('d1')), hashTag(keys.daemons));
});

test('hosts spread evenly over the shards, the same way in every process', () => {
  const counts = new Array<number>(16).fill(0);
  for (let i = 0; i < 16_000; i++) counts[shardOfHost(`host${i}.example`, 16)]!++;
  assert.ok(Math.min(...counts) > 800 && Math.max(...counts) < 1200, `shard sizes ${counts.join(', ')}`);
  assert.equal(fnv1a('a.example'), 4049755880, 'the hash never changes: it decides where existing jobs are');
  assert.equal(shardOfUrl('not a url', 16), 0);
});

test('several Redis nodes need --redis-cluster; with it they are the seed nodes', () => {
  const nodes = 'redis://127.0.0.1:7000,redis://127.0.0.1:7001';
  try {
    loadConfig({}, { REDIS_URL: nodes });
    assert.fail('expected an error');
  } catch (err) {
    assert.ok(err instanceof SpiderdError && err.code === 'SPIDERD_CONFIG_INVALID');
    assert.match(err.message, /REDIS_URL: lists several Redis nodes: add --redis-cluster/);
  }
  const config = loadConfig({}, { REDIS_URL: nodes, SPIDERD_REDIS_CLUSTER: '1', SPIDERD_QUEUE_SHARDS: '8' });
  assert.deepEqual([config.redisCluster, config.queueShards], [true, 8]);
  assert.match(String((() => { try { return loadConfig({}, { REDIS_URL: 'redis://a:1,http://b:2', SPIDERD_REDIS_CLUSTER: '1' }); } catch (e) { return (e as Error).message; } })()), /REDIS_URL: must be a redis:\/\/ or rediss:\/\/ URL/);
});
