import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { redisKeys } from '../../src/shared/keys.js';
import { HostPoliteness, type HostLease } from '../../src/workers/politeness/host-politeness.js';
import { REDIS_URL, deletePrefix, testPrefix } from '../helpers/redis.js';

function leaseOf(r: Awaited<ReturnType<HostPoliteness['acquire']>>): HostLease {
  assert.ok(r.ok, `expected a lease, got ${JSON.stringify(r)}`);
  return r.lease;
}

describe('HostPoliteness', () => {
  const prefix = testPrefix();
  const keys = redisKeys(prefix);
  const redisA = new Redis(REDIS_URL, { lazyConnect: true });
  const redisB = new Redis(REDIS_URL, { lazyConnect: true });
  let a: HostPoliteness;
  let b: HostPoliteness;

  before(async () => {
    await Promise.all([redisA.connect(), redisB.connect()]);
    a = new HostPoliteness(redisA, keys);
    b = new HostPoliteness(redisB, keys); // a second "process"
  });

  after(async () => {
    await deletePrefix(prefix);
    redisA.disconnect();
    redisB.disconnect();
  });

  it('with concurrency 1 a second process must wait until the first lease is released', async () => {
    const opts = { concurrency: 1, delayMs: 0, leaseMs: 60_000 };
    const first = leaseOf(await a.acquire('one.example', opts));
    const second = await b.acquire('one.example', opts);
    assert.equal(second.ok, false);
    assert.ok(!second.ok && second.waitMs >= 1);
    // Other hosts are not affected.
    leaseOf(await b.acquire('two.example', opts));
    await first.release();
    const third = leaseOf(await b.acquire('one.example', opts));
    await third.release();
    await third.release(); // releasing twice is harmless
  });

  it('lets `concurrency` requests run at once', async () => {
    const opts = { concurrency: 3, delayMs: 0, leaseMs: 60_000 };
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => (i % 2 ? a : b).acquire('three.example', opts)));
    assert.equal(results.filter((r) => r.ok).length, 3);
  });

  it('spaces starts by delayMs: with 60 s the next start waits most of a minute', async () => {
    const opts = { concurrency: 5, delayMs: 60_000, leaseMs: 60_000 };
    const first = leaseOf(await a.acquire('slow.example', opts));
    await first.release();
    const second = await b.acquire('slow.example', opts);
    assert.equal(second.ok, false);
    assert.ok(!second.ok && second.waitMs > 50_000 && second.waitMs <= 60_000, JSON.stringify(second));
  });

  it('a crashed holder (lease never released) stops blocking the host once its lease expires', async () => {
    const opts = { concurrency: 1, delayMs: 0, leaseMs: 50 };
    leaseOf(await a.acquire('crash.example', opts)); // never released
    assert.equal((await b.acquire('crash.example', opts)).ok, false);
    let later = await b.acquire('crash.example', opts);
    for (let i = 0; i < 50 && !later.ok; i++) {
      await new Promise((r) => setTimeout(r, later.ok ? 0 : later.waitMs));
      later = await b.acquire('crash.example', opts);
    }
    assert.equal(later.ok, true);
  });

  it('a busy host gives each waiting page its own turn, one delay apart, instead of sending them all back at once', async () => {
    const opts = { concurrency: 1, delayMs: 10_000, leaseMs: 60_000 };
    leaseOf(await a.acquire('queue.example', opts));
    const refused = await Promise.all(Array.from({ length: 5 }, () => b.acquire('queue.example', opts)));
    const waits = refused.map((r) => (r.ok ? -1 : r.waitMs));
    assert.ok(waits.every((w) => w > 0), JSON.stringify(waits));
    const sorted = [...waits].sort((x, y) => x - y);
    for (let i = 1; i < sorted.length; i++) {
      const gap = sorted[i]! - sorted[i - 1]!;
      assert.ok(gap >= 9_900 && gap <= 10_100, `turns are one delay apart: ${JSON.stringify(sorted)}`);
    }
  });

  it('slowDown (a 429 or a 503) stops every process from starting on that host until it has passed', async () => {
    const opts = { concurrency: 10, delayMs: 0, leaseMs: 60_000 };
    await (await a.acquire('busy.example', opts).then(leaseOf)).release();
    a.slowDown('busy.example', 30_000);
    await (await a.acquire('other.example', opts).then(leaseOf)).release(); // the slow-down went out with this batch
    const refused = await b.acquire('busy.example', opts);
    assert.ok(!refused.ok && refused.waitMs > 25_000 && refused.waitMs <= 30_000, JSON.stringify(refused));
    assert.equal((await b.acquire('other.example', opts)).ok, true, 'other hosts are not slowed');
  });

  it('leaves no key without an expiry behind', async () => {
    const names = await redisA.keys(`${prefix}:host:*`);
    assert.ok(names.length > 0);
    for (const name of names) assert.ok((await redisA.pttl(name)) > 0, `${name} has no TTL`);
  });
});
