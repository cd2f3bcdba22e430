/**
 * Answers "may this URL be fetched?" from the origin's robots.txt, fetched once per origin
 * across every process and daemon: a Redis lock picks one fetcher, the result is shared in
 * Redis (24 h; 5 min when the server was unreachable), and each process keeps a small
 * in-memory cache that expires with the Redis TTL.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { Agent } from 'undici';
import { wrapError } from '../../shared/errors.js';
import type { RedisKeys } from '../../shared/keys.js';
import type { Logger } from '../../shared/logger.js';
import { fetchRobots } from '../fetch/fetch-robots.js';
import type { FetchLimits } from '../fetch/http-agent.js';
import { isUnreachable, rulesFromResponse, type RobotsRules } from './robots-rules.js';

const TTL_MS = 24 * 3_600_000;
const UNREACHABLE_TTL_MS = 5 * 60_000;
const LOCK_MS = 30_000;
const POLL_MS = 100;
const WAIT_MS = 15_000;
const CACHE_ORIGINS = 1000;
const CACHE_CHARS = 32 * 1024 * 1024;
const RELEASE_LOCK = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

interface Stored {
  status: number | null;
  body: string;
  fetchedAt: number;
}

interface Entry {
  rules: RobotsRules;
  expiresAt: number;
  size: number;
}

export class RobotsGate {
  private readonly cache = new Map<string, Entry>();
  private cachedChars = 0;
  private readonly loading = new Map<string, Promise<Entry>>();

  constructor(private readonly deps: { redis: Redis; keys: RedisKeys; agent: Agent; limits: FetchLimits; log: Logger }) {}

  async check(url: string, userAgent: string): Promise<{ allowed: boolean; crawlDelayMs: number }> {
    const origin = new URL(url).origin;
    const { rules } = await this.entryFor(origin, userAgent);
    return { allowed: rules.isAllowed(url, userAgent), crawlDelayMs: rules.crawlDelayMs(userAgent) };
  }

  private entryFor(origin: string, userAgent: string): Promise<Entry> {
    const hit = this.cache.get(origin);
    if (hit !== undefined) {
      this.forget(origin);
      if (hit.expiresAt > Date.now()) {
        this.remember(origin, hit); // most recently used goes last
        return Promise.resolve(hit);
      }
    }
    let pending = this.loading.get(origin);
    if (pending === undefined) {
      pending = this.load(origin, userAgent).finally(() => this.loading.delete(origin));
      this.loading.set(origin, pending);
    }
    return pending;
  }

  private async load(origin: string, userAgent: string): Promise<Entry> {
    const found = (await this.readStored(origin)) ?? (await this.fetchOnce(origin, userAgent));
    const entry: Entry = {
      rules: rulesFromResponse(`${origin}/robots.txt`, found.stored.status, found.stored.body),
      expiresAt: Date.now() + found.ttlMs,
      size: found.stored.body.length,
    };
    this.remember(origin, entry);
    return entry;
  }

  /** The shared result and its remaining TTL, or null when no process has stored one. */
  private async readStored(origin: string): Promise<{ stored: Stored; ttlMs: number } | null> {
    const key = this.deps.keys.robots(origin);
    const [raw, ttl] = await this.redis(() => Promise.all([this.deps.redis.get(key), this.deps.redis.pttl(key)]));
    if (raw === null) return null;
    try {
      const stored = JSON.parse(raw) as Stored;
      if (typeof stored.body !== 'string' || (stored.status !== null && typeof stored.status !== 'number')) return null;
      return { stored, ttlMs: ttl > 0 ? ttl : UNREACHABLE_TTL_MS };
    } catch {
      return null; // a corrupt entry is refetched and overwritten
    }
  }

  /** One process wins the lock and fetches; the others wait for its result (then fetch themselves). */
  private async fetchOnce(origin: string, userAgent: string): Promise<{ stored: Stored; ttlMs: number }> {
    const lock = this.deps.keys.robotsLock(origin);
    const token = randomUUID();
    const won = await this.redis(() => this.deps.redis.set(lock, token, 'PX', LOCK_MS, 'NX'));
    if (won === 'OK') {
      try {
        return await this.fetchAndStore(origin, userAgent);
      } finally {
        await this.redis(() => this.deps.redis.eval(RELEASE_LOCK, 1, lock, token)).catch(() => undefined);
      }
    }
    for (const deadline = Date.now() + WAIT_MS; Date.now() < deadline; ) {
      await sleep(POLL_MS);
      const found = await this.readStored(origin);
      if (found !== null) return found;
    }
    this.deps.log.warn({ origin }, 'robots.txt not shared by another process in time; fetching it here');
    return this.fetchAndStore(origin, userAgent);
  }

  private async fetchAndStore(origin: string, userAgent: string): Promise<{ stored: Stored; ttlMs: number }> {
    const res = await fetchRobots(this.deps.agent, origin, userAgent);
    const stored: Stored = { status: res.status, body: res.body, fetchedAt: Date.now() };
    const ttlMs = isUnreachable(res.status) ? UNREACHABLE_TTL_MS : TTL_MS;
    this.deps.log.debug({ origin, status: res.status, bytes: res.body.length, err: res.error }, 'fetched robots.txt');
    await this.redis(() => this.deps.redis.set(this.deps.keys.robots(origin), JSON.stringify(stored), 'PX', ttlMs));
    return { stored, ttlMs };
  }

  private remember(origin: string, entry: Entry): void {
    this.forget(origin);
    this.cache.set(origin, entry);
    this.cachedChars += entry.size;
    for (const oldest of this.cache.keys()) {
      if (this.cache.size <= CACHE_ORIGINS && this.cachedChars <= CACHE_CHARS) break;
      if (oldest === origin) break;
      this.forget(oldest);
    }
  }

  private forget(origin: string): void {
    const entry = this.cache.get(origin);
    if (entry === undefined) return;
    this.cache.delete(origin);
    this.cachedChars -= entry.size;
  }

  private async redis<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (thrown) {
      throw wrapError('SPIDERD_REDIS_UNAVAILABLE', 'Redis failed while checking robots.txt', thrown, { transient: true });
    }
  }
}
