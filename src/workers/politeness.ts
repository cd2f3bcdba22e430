/**
 * Per-host politeness shared by every process and daemon through Redis: at most
 * `concurrency` requests in flight per host and starts spaced by `delayMs`. One Lua script
 * does the check and the booking atomically, on the Redis server's clock (TIME), so
 * processes on different machines agree. A busy host answers "wait N ms" so the caller can
 * defer the job instead of holding a worker slot.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { wrapError } from '../shared/errors.js';
import type { RedisKeys } from '../shared/keys.js';

export interface HostLease {
  release(): Promise<void>;
}

export type AcquireResult = { ok: true; lease: HostLease } | { ok: false; waitMs: number };

/**
 * KEYS[1] leases zset (member = token, score = expiry ms), KEYS[2] next allowed start (ms).
 * ARGV: concurrency, delayMs, leaseMs, token. Returns {1, 0} when leased, else {0, waitMs}.
 * When the host is at its concurrency, the wait is until the earliest lease expires, but at
 * most max(delayMs, 100) ms: a lease is usually released long before it expires.
 */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local concurrency = tonumber(ARGV[1])
local delay = tonumber(ARGV[2])
local leaseMs = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local nextAt = tonumber(redis.call('GET', KEYS[2]) or '0')
if nextAt > now then
  return {0, nextAt - now}
end
if redis.call('ZCARD', KEYS[1]) >= concurrency then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  local wait = tonumber(first[2]) - now
  return {0, math.max(1, math.min(wait, math.max(delay, 100)))}
end
redis.call('ZADD', KEYS[1], now + leaseMs, ARGV[4])
if redis.call('PTTL', KEYS[1]) < leaseMs then
  redis.call('PEXPIRE', KEYS[1], leaseMs)
end
if delay > 0 then
  redis.call('SET', KEYS[2], now + delay, 'PX', delay)
end
return {1, 0}
`;

const COMMAND = 'spiderdHostAcquire';

type WithAcquire = Redis & {
  [COMMAND](leases: string, next: string, concurrency: number, delayMs: number, leaseMs: number, token: string): Promise<[number, number]>;
};

export class HostPoliteness {
  private readonly redis: WithAcquire;

  constructor(redis: Redis, private readonly keys: RedisKeys) {
    if (typeof (redis as unknown as Record<string, unknown>)[COMMAND] !== 'function') {
      redis.defineCommand(COMMAND, { numberOfKeys: 2, lua: ACQUIRE });
    }
    this.redis = redis as WithAcquire;
  }

  async acquire(host: string, opts: { concurrency: number; delayMs: number; leaseMs: number }): Promise<AcquireResult> {
    const leases = this.keys.hostLeases(host);
    const token = randomUUID();
    let reply: [number, number];
    try {
      reply = await this.redis[COMMAND](leases, this.keys.hostNext(host), opts.concurrency, Math.max(0, Math.round(opts.delayMs)), Math.max(1, Math.round(opts.leaseMs)), token);
    } catch (thrown) {
      throw wrapError('SPIDERD_REDIS_UNAVAILABLE', `Redis failed while booking host ${host}`, thrown, { transient: true });
    }
    if (reply[0] !== 1) return { ok: false, waitMs: Math.max(1, Number(reply[1])) };
    let released = false;
    return {
      ok: true,
      lease: {
        release: async () => {
          if (released) return;
          released = true;
          try {
            await this.redis.zrem(leases, token);
          } catch (thrown) {
            // The lease expires by itself; report so the caller can log it.
            throw wrapError('SPIDERD_REDIS_UNAVAILABLE', `Redis failed while releasing host ${host}`, thrown, { transient: true });
          }
        },
      },
    };
  }
}
