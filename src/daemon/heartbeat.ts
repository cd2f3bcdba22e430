/**
 * The daemon's heartbeat: every heartbeatMs one DaemonRecord (the supervisor and every slot)
 * is written to Redis with a TTL of 3 x heartbeatMs, so `spiderd status` on any host sees
 * live daemons and a dead one disappears on its own.
 */
import os from 'node:os';
import type { RedisClient } from '../shared/redis.js';
import type { Config } from '../shared/config.js';
import { coerceError } from '../shared/errors.js';
import type { RedisKeys } from '../shared/keys.js';
import type { Logger } from '../shared/logger.js';
import { removeHeartbeat, writeHeartbeat, type DaemonRecord, type ProcessRecord } from '../shared/presence.js';
import { VERSION } from '../shared/version.js';

export interface HeartbeatSource {
  /** The supervisor's own record first, then every slot. */
  processes(): ProcessRecord[];
}

export class Heartbeat {
  private readonly startedAt = Date.now();
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly config: Config,
    private readonly source: HeartbeatSource,
    private readonly log: Logger,
  ) {}

  /** Writes one record now, then every heartbeatMs. */
  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat(), this.config.heartbeatMs);
  }

  /** Stops the timer, waits for a write in flight, and removes the record. */
  async stopAndRemove(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.inFlight;
    await removeHeartbeat(this.redis, this.keys, this.config.daemonId).catch((err: unknown) =>
      this.log.warn({ err: coerceError(err) }, 'removing the heartbeat failed'),
    );
  }

  /** One write at a time: a tick that finds the previous write still waiting (Redis down) is skipped. */
  private beat(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    this.inFlight = writeHeartbeat(this.redis, this.keys, this.record(), 3 * this.config.heartbeatMs)
      .catch((err: unknown) => this.log.warn({ err: coerceError(err) }, 'writing the heartbeat failed'))
      .finally(() => {
        this.inFlight = null;
      });
    return this.inFlight;
  }

  private record(): DaemonRecord {
    return {
      daemonId: this.config.daemonId,
      host: os.hostname(),
      pid: process.pid,
      version: VERSION,
      startedAt: this.startedAt,
      lastSeen: Date.now(),
      snapshotDir: this.config.snapshotDir,
      processes: this.source.processes(),
    };
  }
}
