/**
 * The shared side of the robots.txt cache, in Redis: the verdict per product token and origin
 * (24 h), the origin's backoff while its robots.txt is unavailable, and the lock that lets one
 * process fetch it. Only verdicts that depend on the origin alone are stored: what the SSRF
 * guard refused is each daemon's own business (robots-verdict.ts). Every Redis failure is
 * SPIDERD_REDIS_UNAVAILABLE (transient).
 */
import type { RedisClient } from '../../shared/redis.js';
import { wrapError } from '../../shared/errors.js';
import type { RedisKeys } from '../../shared/keys.js';
import { BACKOFF_MEMORY_MS, parseBackoff, type RobotsBackoff } from './robots-backoff.js';
import { parseVerdict, type SharedVerdict } from './robots-verdict.js';

export const VERDICT_TTL_MS = 24 * 3_600_000;
const RELEASE_LOCK = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

export type StoredState =
  | { kind: 'verdict'; verdict: SharedVerdict; ttlMs: number }
  | { kind: 'backoff'; backoff: RobotsBackoff }
  | { kind: 'none'; backoff: RobotsBackoff | null };

export class RobotsStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly token: string,
  ) {}

  /** The verdict if one is stored; else the backoff if it is still running; else none (with the expired backoff, if any). */
  async read(origin: string): Promise<StoredState> {
    const verdictKey = this.keys.robots(this.token, origin);
    const replies = await this.call(() => this.redis.multi().get(verdictKey).pttl(verdictKey).get(this.keys.robotsBackoff(origin)).exec());
    const reply = (i: number): unknown => replies?.[i]?.[1] ?? null;
    const raw = reply(0);
    const rawBackoff = reply(2);
    const ttl = Number(reply(1));
    const verdict = typeof raw === 'string' ? parseVerdict(raw) : null;
    if (verdict !== null) return { kind: 'verdict', verdict, ttlMs: ttl > 0 ? ttl : VERDICT_TTL_MS };
    const backoff = parseBackoff(typeof rawBackoff === 'string' ? rawBackoff : null);
    if (backoff !== null && backoff.until > Date.now()) return { kind: 'backoff', backoff };
    return { kind: 'none', backoff };
  }

  async saveVerdict(origin: string, verdict: SharedVerdict): Promise<number> {
    const tx = this.redis.multi().set(this.keys.robots(this.token, origin), JSON.stringify(verdict), 'PX', VERDICT_TTL_MS).del(this.keys.robotsBackoff(origin));
    await this.call(() => tx.exec());
    return VERDICT_TTL_MS;
  }

  async saveBackoff(origin: string, backoff: RobotsBackoff): Promise<void> {
    const ttlMs = Math.max(backoff.until - Date.now(), 1) + BACKOFF_MEMORY_MS;
    await this.call(() => this.redis.set(this.keys.robotsBackoff(origin), JSON.stringify(backoff), 'PX', ttlMs));
  }

  /** True when this process won the right to fetch; the lock expires by itself after lockMs. */
  async lock(origin: string, token: string, lockMs: number): Promise<boolean> {
    return (await this.call(() => this.redis.set(this.keys.robotsLock(this.token, origin), token, 'PX', lockMs, 'NX'))) === 'OK';
  }

  async unlock(origin: string, token: string): Promise<void> {
    await this.call(() => this.redis.eval(RELEASE_LOCK, 1, this.keys.robotsLock(this.token, origin), token)).catch(() => undefined);
  }

  /** How long the current fetcher may still hold the lock (ms), 0 when nobody holds it. */
  async lockTtl(origin: string): Promise<number> {
    return Math.max(0, await this.call(() => this.redis.pttl(this.keys.robotsLock(this.token, origin))));
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (thrown) {
      throw wrapError('SPIDERD_REDIS_UNAVAILABLE', 'Redis failed while checking robots.txt', thrown, { transient: true });
    }
  }
}
