/**
 * Answers "may this URL be fetched?" from the origin's robots.txt, fetched once per origin and
 * product token across every process and daemon (robots-store.ts: a Redis lock picks one
 * fetcher, the compact verdict is shared for 24 h), with a small in-memory cache per process.
 * What this daemon's SSRF guard decided (the origin is refused, or robots.txt redirects to a
 * refused address) stays in this process's cache for LOCAL_TTL_MS and is never shared: another
 * daemon may allow private networks, and its pages must not fail because of this one's setting.
 *
 * check() resolves with the answer, or throws:
 *   - SPIDERD_ROBOTS_UNAVAILABLE (transient, retryAfterMs = when robots.txt will next be
 *     tried) while the origin's robots.txt is unavailable and backing off, or when another
 *     fetch of it is still running after WAIT_MS (a slow robots.txt never holds a page's slot
 *     for longer than that);
 *   - SPIDERD_ADDRESS_BLOCKED (permanent) when the origin is at an address the SSRF guard refuses;
 *   - SPIDERD_REDIS_UNAVAILABLE (transient).
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RedisClient } from '../../shared/redis.js';
import type { Agent } from 'undici';
import { SpiderdError } from '../../shared/errors.js';
import type { RedisKeys } from '../../shared/keys.js';
import type { Logger } from '../../shared/logger.js';
import { fetchRobots } from '../fetch/fetch-robots.js';
import { nextBackoff, type RobotsBackoff } from './robots-backoff.js';
import { RobotsStore } from './robots-store.js';
import { verdictAllows, verdictOf, type RobotsVerdict } from './robots-verdict.js';

/** The longest a check waits for a robots.txt fetch before the page is deferred instead. */
export const WAIT_MS = 15_000;
const POLL_MS = 200;
const CACHE_ORIGINS = 1000;
const CACHE_CHARS = 16 * 1024 * 1024;
/** How long a verdict of this daemon's SSRF guard is kept in the process (DNS may change). */
export const LOCAL_TTL_MS = 5 * 60_000;

export interface RobotsGateDeps {
  redis: RedisClient;
  keys: RedisKeys;
  agent: Agent;
  log: Logger;
  /** The product token matched against user-agent lines (config robotsAgent). */
  robotsAgent: string;
  /** The User-Agent header of robots.txt requests (config userAgent). */
  userAgent: string;
  /** Total deadline of one robots.txt fetch, redirects included (config fetchDeadlineMs). */
  fetchDeadlineMs: number;
}

type Entry = ({ kind: 'verdict'; verdict: RobotsVerdict } | { kind: 'backoff'; backoff: RobotsBackoff }) & { expiresAt: number; size: number };

export class RobotsGate {
  private readonly cache = new Map<string, Entry>();
  private cachedChars = 0;
  private readonly loading = new Map<string, { entry: Promise<Entry>; doneBy: number }>();
  private readonly store: RobotsStore;
  private readonly lockMs: number;

  constructor(private readonly deps: RobotsGateDeps) {
    this.store = new RobotsStore(deps.redis, deps.keys, deps.robotsAgent.toLowerCase());
    this.lockMs = deps.fetchDeadlineMs + 5_000;
  }

  async check(url: string): Promise<{ allowed: boolean; crawlDelayMs: number }> {
    const origin = new URL(url).origin;
    const entry = await this.entryFor(origin);
    if (entry.kind === 'backoff') throw unavailable(origin, entry.backoff);
    if (entry.verdict.kind === 'blocked') {
      throw new SpiderdError('SPIDERD_ADDRESS_BLOCKED', `robots.txt of ${origin}: ${entry.verdict.message}`, { details: { origin } });
    }
    return verdictAllows(entry.verdict, url);
  }

  /** The answer of this process's cache alone, without I/O: null when it holds no fresh verdict for the URL's origin. */
  allowsNow(url: string): boolean | null {
    const hit = this.cache.get(new URL(url).origin);
    if (hit === undefined || hit.kind !== 'verdict' || hit.verdict.kind === 'blocked' || hit.expiresAt <= Date.now()) return null;
    return verdictAllows(hit.verdict, url).allowed;
  }

  /** The SPIDERD_ROBOTS_DISALLOWED message of a URL robots.txt disallows (its page is stored 'skipped' with it). */
  disallowedMessage(url: string): string {
    return `robots.txt disallows ${url} for ${this.deps.robotsAgent}`;
  }

  private async entryFor(origin: string): Promise<Entry> {
    const hit = this.cache.get(origin);
    if (hit !== undefined) {
      this.forget(origin);
      if (hit.expiresAt > Date.now()) {
        this.remember(origin, hit); // most recently used goes last
        return hit;
      }
    }
    let pending = this.loading.get(origin);
    if (pending === undefined) {
      const entry = this.load(origin).finally(() => this.loading.delete(origin));
      entry.catch(() => undefined); // every waiter gets the rejection; none may be left unhandled
      pending = { entry, doneBy: Date.now() + this.lockMs };
      this.loading.set(origin, pending);
    }
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(stillFetching(origin, pending.doneBy - Date.now())), WAIT_MS);
    });
    try {
      return await Promise.race([pending.entry, gaveUp]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Reads the shared state; when there is none, fetches (holding the lock) or waits for whoever holds it. */
  private async load(origin: string): Promise<Entry> {
    for (;;) {
      const state = await this.store.read(origin);
      if (state.kind === 'verdict') return this.remember(origin, verdictEntry(state.verdict, state.ttlMs));
      if (state.kind === 'backoff') return this.remember(origin, backoffEntry(state.backoff));
      const lockToken = randomUUID();
      if (await this.store.lock(origin, lockToken, this.lockMs)) {
        try {
          return this.remember(origin, await this.fetchAndStore(origin, state.backoff));
        } finally {
          await this.store.unlock(origin, lockToken);
        }
      }
      do await sleep(POLL_MS);
      while ((await this.store.read(origin)).kind === 'none' && (await this.store.lockTtl(origin)) > 0);
    }
  }

  private async fetchAndStore(origin: string, previous: RobotsBackoff | null): Promise<Entry> {
    const { agent, log, robotsAgent, userAgent, fetchDeadlineMs } = this.deps;
    const outcome = await fetchRobots(agent, origin, { userAgent, signal: AbortSignal.timeout(fetchDeadlineMs) });
    const verdict = verdictOf(outcome, robotsAgent);
    if (outcome.kind === 'allow-all' && outcome.blockedHop !== undefined) {
      log.warn({ origin, hop: outcome.blockedHop }, 'robots.txt redirects to a refused address; that hop was not requested and the origin is treated as having no robots.txt');
    }
    if (verdict !== null) {
      log.debug({ origin, verdict: verdict.kind, status: 'status' in verdict ? verdict.status : null }, 'fetched robots.txt');
      if (verdict.kind === 'blocked' || (outcome.kind === 'allow-all' && outcome.blockedHop !== undefined)) return verdictEntry(verdict, LOCAL_TTL_MS);
      return verdictEntry(verdict, await this.store.saveVerdict(origin, verdict));
    }
    if (outcome.kind !== 'unavailable') throw new SpiderdError('SPIDERD_INTERNAL', `robots.txt outcome ${outcome.kind} has no verdict`);
    const backoff = nextBackoff(previous, { reason: outcome.error.message, status: outcome.status, retryAfterMs: outcome.retryAfterMs });
    await this.store.saveBackoff(origin, backoff);
    log.info({ origin, failures: backoff.failures, retryInMs: backoff.until - Date.now(), err: outcome.error }, "robots.txt unavailable; the origin's pages wait for the next try");
    return backoffEntry(backoff);
  }

  private remember(origin: string, entry: Entry): Entry {
    this.forget(origin);
    this.cache.set(origin, entry);
    this.cachedChars += entry.size;
    for (const oldest of this.cache.keys()) {
      if (this.cache.size <= CACHE_ORIGINS && this.cachedChars <= CACHE_CHARS) break;
      if (oldest === origin) break;
      this.forget(oldest);
    }
    return entry;
  }

  private forget(origin: string): void {
    const entry = this.cache.get(origin);
    if (entry === undefined) return;
    this.cache.delete(origin);
    this.cachedChars -= entry.size;
  }
}

function verdictEntry(verdict: RobotsVerdict, ttlMs: number): Entry {
  return { kind: 'verdict', verdict, expiresAt: Date.now() + ttlMs, size: JSON.stringify(verdict).length };
}

function backoffEntry(backoff: RobotsBackoff): Entry {
  return { kind: 'backoff', backoff, expiresAt: backoff.until, size: 200 + backoff.reason.length };
}

function unavailable(origin: string, b: RobotsBackoff): SpiderdError {
  const retryAfterMs = Math.max(0, b.until - Date.now());
  return new SpiderdError(
    'SPIDERD_ROBOTS_UNAVAILABLE',
    `robots.txt of ${origin} is unavailable (${b.reason}); ${b.failures} failed ${b.failures === 1 ? 'try' : 'tries'}, next in ${Math.ceil(retryAfterMs / 1000)} s`,
    { transient: true, retryAfterMs, details: { origin, failures: b.failures, firstFailureAt: b.firstFailureAt, status: b.status } },
  );
}

function stillFetching(origin: string, remainingMs: number): SpiderdError {
  return new SpiderdError('SPIDERD_ROBOTS_UNAVAILABLE', `robots.txt of ${origin} is still being fetched after ${WAIT_MS / 1000} s`, {
    transient: true,
    retryAfterMs: Math.max(1_000, remainingMs),
    details: { origin, failures: 0 },
  });
}
