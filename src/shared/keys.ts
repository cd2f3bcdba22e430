/**
 * Every Redis key and channel spiderd uses, under the deployment's prefix. Per-host keys live in
 * the host's shard, the rest under the global base (shards.ts); on a standalone Redis both are
 * the plain prefix, so the names are `${prefix}:...` as they always were.
 */
import { globalBase, shardBase, shardLayout, shardOfHost, STANDALONE, type ShardLayout } from './shards.js';

export const QUEUE_NAME = 'pages';

export function redisKeys(prefix: string, layout: ShardLayout = STANDALONE) {
  const g = globalBase(prefix, layout);
  const shard = (k: number) => shardBase(prefix, layout, k);
  const host = (h: string) => shard(shardOfHost(h, layout.shards));
  const originHost = (origin: string) => {
    try {
      return new URL(origin).host;
    } catch {
      return origin;
    }
  };
  return {
    layout,
    /** BullMQ's prefix for shard k: its keys are `${bullPrefix(k)}:pages:*`. */
    bullPrefix: shard,
    /** The shard of a host's keys (the same shard as its pages' jobs). */
    hostShard: (h: string) => shardOfHost(h, layout.shards),
    /**
     * One per shard, set once and never deleted: missing means the node holding the shard lost
     * its data (a restart without persistence, a FLUSHALL), and its queue with it.
     */
    epoch: (k: number) => `${shard(k)}:epoch`,
    /** Held by the daemon that runs this period's reconcile (one per fleet). */
    reconcileLock: `${g}:reconcile-lock`,
    /** Set of live daemon ids; each has a heartbeat key that expires. */
    daemons: `${g}:daemons`,
    daemon: (daemonId: string) => `${g}:daemon:${daemonId}`,
    /** Capped memory-sample history of one process. */
    memHistory: (daemonId: string, workerId: string) => `${g}:mem:${daemonId}:${workerId}`,
    /** Per-host politeness: in-flight leases (zset) and the next allowed start time. */
    hostLeases: (h: string) => `${host(h)}:host:${h}:leases`,
    hostNext: (h: string) => `${host(h)}:host:${h}:next`,
    /** Per-host reservation cursor: the next turn handed to a page that found the host busy. */
    hostCursor: (h: string) => `${host(h)}:host:${h}:cursor`,
    /**
     * robots.txt: the parsed rules for one product token per origin, the lock that makes one
     * process fetch it, and the origin's backoff while its robots.txt is unavailable (in the
     * shard of the origin's host: they are read together in one transaction).
     */
    robots: (token: string, origin: string) => `${host(originHost(origin))}:robots:${token}:${origin}`,
    robotsLock: (token: string, origin: string) => `${host(originHost(origin))}:robots-lock:${token}:${origin}`,
    robotsBackoff: (origin: string) => `${host(originHost(origin))}:robots-backoff:${origin}`,
    /** Control requests to one daemon, and the list a requester waits on for replies. */
    control: (daemonId: string) => `${g}:control:${daemonId}`,
    reply: (requestId: string) => `${g}:reply:${requestId}`,
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;

/** The keys of the deployment a config describes (its prefix, standalone or cluster, K). */
export function keysFor(config: { prefix: string; redisCluster: boolean; queueShards: number }): RedisKeys {
  return redisKeys(config.prefix, shardLayout(config));
}
