/**
 * Where a host's work lives in Redis (pure). On a standalone Redis there is one shard and every
 * key keeps the deployment's plain prefix (`spiderd:pages:*`, `spiderd:host:*`), as before
 * clusters were supported. On a Redis Cluster the page queue is split into K shards, each under
 * its own hash tag `{<prefix>:<k>}` (one slot, so BullMQ's scripts and ours stay within it), and
 * a host belongs to shard fnv1a(host) mod K: its jobs, politeness leases, robots.txt cache and
 * backoff all sit under that tag, so a script may touch several of them at once. Keys read or
 * written alone by a daemon (heartbeats, memory samples, control requests, the reconcile lock)
 * share the tag `{<prefix>}`, so their multi-key transactions stay in one slot.
 */
export interface ShardLayout {
  cluster: boolean;
  /** K: 1 on a standalone Redis. */
  shards: number;
}

export const STANDALONE: ShardLayout = Object.freeze({ cluster: false, shards: 1 });

export function shardLayout(config: { redisCluster: boolean; queueShards: number }): ShardLayout {
  return config.redisCluster ? { cluster: true, shards: config.queueShards } : STANDALONE;
}

/** 32-bit FNV-1a of the host's UTF-16 code units: stable across processes, versions and machines. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The shard of a host (URL.host: lowercase, with a non-default port). */
export function shardOfHost(host: string, shards: number): number {
  return shards <= 1 ? 0 : fnv1a(host) % shards;
}

/** The shard of a page, by its URL's host; a URL that does not parse goes to shard 0. */
export function shardOfUrl(url: string, shards: number): number {
  if (shards <= 1) return 0;
  try {
    return shardOfHost(new URL(url).host, shards);
  } catch {
    return 0;
  }
}

/** The key base of shard k: the plain prefix on a standalone Redis, `{prefix:k}` on a cluster. */
export function shardBase(prefix: string, layout: ShardLayout, k: number): string {
  return layout.cluster ? `{${prefix}:${k}}` : prefix;
}

/** The key base of keys used alone: the plain prefix on a standalone Redis, `{prefix}` on a cluster. */
export function globalBase(prefix: string, layout: ShardLayout): string {
  return layout.cluster ? `{${prefix}}` : prefix;
}
