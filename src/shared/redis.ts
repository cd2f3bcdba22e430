import { Cluster, Redis } from 'ioredis';
import type { Config } from './config.js';
import { coalesceWrites } from './redis-coalesce.js';

/** A connection to a standalone Redis or to a Redis Cluster (config.redisCluster). */
export type RedisClient = Redis | Cluster;

/**
 * An ioredis connection for spiderd. maxRetriesPerRequest: null is what BullMQ workers
 * need (commands wait through a Redis restart instead of failing). Commands issued in one
 * event-loop turn leave in one socket write (redis-coalesce.ts), on each node of a cluster.
 * With redisCluster, redisUrl names one or more seed nodes (comma-separated); their user,
 * password and TLS (rediss://) apply to every node the cluster reports.
 */
type RedisConfig = Pick<Config, 'redisUrl'> & { redisCluster?: boolean };

export function createRedis(config: Pick<Config, 'redisUrl'> & { redisCluster?: false }, name: string, options?: { failFast?: boolean }): Redis;
export function createRedis(config: RedisConfig, name: string, options?: { failFast?: boolean }): RedisClient;
export function createRedis(config: RedisConfig, name: string, options: { failFast?: boolean } = {}): RedisClient {
  const redisOptions = {
    connectionName: `spiderd:${name}`,
    maxRetriesPerRequest: options.failFast ? 1 : null,
    enableReadyCheck: true,
    lazyConnect: false,
  };
  if (!config.redisCluster) {
    const redis = new Redis(config.redisUrl, redisOptions);
    coalesceWrites(redis);
    return redis;
  }
  const seeds = config.redisUrl.split(',').map((raw) => new URL(raw.trim()));
  const first = seeds[0]!;
  const cluster = new Cluster(
    seeds.map((u) => ({ host: u.hostname, port: Number(u.port || 6379) })),
    {
      redisOptions: {
        ...redisOptions,
        ...(first.username ? { username: decodeURIComponent(first.username) } : {}),
        ...(first.password ? { password: decodeURIComponent(first.password) } : {}),
        ...(first.protocol === 'rediss:' ? { tls: {} } : {}),
      },
      enableReadyCheck: true,
      maxRedirections: 16,
      lazyConnect: false,
    },
  );
  cluster.on('+node', (node: Redis) => coalesceWrites(node));
  return cluster;
}

export function isCluster(redis: RedisClient): redis is Cluster {
  return redis instanceof Cluster;
}

/** The master nodes of a cluster, or the one Redis: where INFO and per-node checks go. */
export function redisNodes(redis: RedisClient): Redis[] {
  return redis instanceof Cluster ? redis.nodes('master') : [redis];
}
