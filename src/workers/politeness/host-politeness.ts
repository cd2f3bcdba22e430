/**
 * Per-host politeness shared by every process and daemon through Redis: at most `concurrency`
 * requests in flight per host and starts spaced by `delayMs` (script.ts does the bookkeeping
 * atomically on the Redis server's clock). A busy host answers "come back in N ms" with a turn of
 * the caller's own, so the caller defers the page instead of holding a slot. `slowDown` pushes a
 * host's next start back for everyone (Retry-After, 429, 503).
 *
 * Operations are batched: everything asked in one event-loop turn goes to Redis in one call per
 * shard (a host's keys sit in its shard's slot, shards.ts: one call on a standalone Redis), and
 * lease releases ride along with the next call (or leave within RELEASE_FLUSH_MS).
 */
import { randomUUID } from 'node:crypto';
import type { RedisClient } from '../../shared/redis.js';
import { coerceError, wrapError } from '../../shared/errors.js';
import type { RedisKeys } from '../../shared/keys.js';
import { HOSTS_SCRIPT } from './script.js';

export interface HostLease {
  /**
   * Returns the host's slot. Resolves once the release has gone to Redis (with the next batch);
   * never rejects (a lease Redis did not hear about expires by itself). Callers need not wait.
   */
  release(): Promise<void>;
}

export type AcquireResult = { ok: true; lease: HostLease } | { ok: false; waitMs: number };

export interface HostRules {
  concurrency: number;
  delayMs: number;
  /** How long a lease lives if its holder dies without releasing it. */
  leaseMs: number;
}

type Op =
  | { kind: 'a'; host: string; rules: HostRules; token: string; resolve(r: AcquireResult): void; reject(e: Error): void }
  | { kind: 'r'; host: string; token: string; sent(): void }
  | { kind: 's'; host: string; waitMs: number };

const COMMAND = 'spiderdHosts';
const RELEASE_FLUSH_MS = 5;
const MAX_OPS = 500;

type WithHosts = RedisClient & { [COMMAND](numKeys: number, ...args: Array<string | number>): Promise<number[]> };

export class HostPoliteness {
  private readonly redis: WithHosts;
  private pending: Op[] = [];
  private scheduled: 'now' | 'soon' | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(redis: RedisClient, private readonly keys: RedisKeys) {
    if (typeof (redis as unknown as Record<string, unknown>)[COMMAND] !== 'function') redis.defineCommand(COMMAND, { lua: HOSTS_SCRIPT });
    this.redis = redis as WithHosts;
  }

  acquire(host: string, rules: HostRules): Promise<AcquireResult> {
    return new Promise((resolve, reject) => {
      this.pending.push({ kind: 'a', host, rules, token: randomUUID(), resolve, reject });
      this.schedule('now');
    });
  }

  /** No start on `host` for `waitMs` from now, for every process of every daemon. */
  slowDown(host: string, waitMs: number): void {
    this.pending.push({ kind: 's', host, waitMs: Math.max(1, Math.round(waitMs)) });
    this.schedule('soon');
  }

  private lease(host: string, token: string): HostLease {
    let released: Promise<void> | null = null;
    return {
      release: () => {
        released ??= new Promise<void>((sent) => {
          this.pending.push({ kind: 'r', host, token, sent });
          this.schedule('soon');
        });
        return released;
      },
    };
  }

  private schedule(when: 'now' | 'soon'): void {
    if (this.scheduled === 'now' || this.scheduled === when) return;
    if (this.timer) clearTimeout(this.timer);
    this.scheduled = when;
    const run = () => {
      this.scheduled = null;
      this.timer = null;
      void this.flush();
    };
    if (when === 'now') setImmediate(run);
    else this.timer = setTimeout(run, RELEASE_FLUSH_MS);
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      // Releases and slow-downs first, so a slot freed in this batch can go to an acquire in it.
      const batch = this.pending.splice(0, MAX_OPS).sort((a, b) => rank(a) - rank(b));
      const byShard = new Map<number, Op[]>();
      for (const op of batch) {
        const k = this.keys.hostShard(op.host);
        byShard.set(k, [...(byShard.get(k) ?? []), op]);
      }
      await Promise.all([...byShard.values()].map((ops) => this.send(ops)));
    }
  }

  /** One script call for operations on hosts of one shard. */
  private async send(batch: Op[]): Promise<void> {
    const hosts = new Map<string, number>();
    const keys: string[] = [];
    const index = (host: string) => {
      let h = hosts.get(host);
      if (h === undefined) {
        h = hosts.size + 1;
        hosts.set(host, h);
        keys.push(this.keys.hostLeases(host), this.keys.hostNext(host), this.keys.hostCursor(host));
      }
      return h;
    };
    const args: Array<string | number> = [];
    for (const op of batch) {
      if (op.kind === 'a') args.push('a', index(op.host), op.rules.concurrency, Math.max(0, Math.round(op.rules.delayMs)), Math.max(1, Math.round(op.rules.leaseMs)), op.token);
      else if (op.kind === 'r') args.push('r', index(op.host), op.token);
      else args.push('s', index(op.host), op.waitMs);
    }
    const acquires = batch.filter((op): op is Extract<Op, { kind: 'a' }> => op.kind === 'a');
    try {
      const waits = await this.redis[COMMAND](keys.length, ...keys, ...args);
      acquires.forEach((op, i) => {
        const wait = Number(waits[i] ?? 1);
        op.resolve(wait === 0 ? { ok: true, lease: this.lease(op.host, op.token) } : { ok: false, waitMs: wait });
      });
    } catch (thrown) {
      const err = wrapError('SPIDERD_REDIS_UNAVAILABLE', `Redis failed while booking hosts: ${coerceError(thrown).message}`, thrown, { transient: true });
      for (const op of acquires) op.reject(err); // leases not released here expire by themselves
    }
    for (const op of batch) if (op.kind === 'r') op.sent();
  }
}

function rank(op: Op): number {
  return op.kind === 'a' ? 1 : 0;
}
