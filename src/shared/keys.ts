/** Every Redis key and channel spiderd uses, under the deployment's prefix. */
export const QUEUE_NAME = 'pages';

export function redisKeys(prefix: string) {
  return {
    /** BullMQ's own prefix: its keys are `${prefix}:pages:*`. */
    bullPrefix: prefix,
    /** Present while Redis still holds spiderd's data; missing after Redis lost it (restart without persistence). */
    epoch: `${prefix}:epoch`,
    /** Held by the daemon that runs this period's reconcile (one per fleet). */
    reconcileLock: `${prefix}:reconcile-lock`,
    /** Set of live daemon ids; each has a heartbeat key that expires. */
    daemons: `${prefix}:daemons`,
    daemon: (daemonId: string) => `${prefix}:daemon:${daemonId}`,
    /** Capped memory-sample history of one process. */
    memHistory: (daemonId: string, workerId: string) => `${prefix}:mem:${daemonId}:${workerId}`,
    /** Per-host politeness: in-flight leases (zset) and the next allowed start time. */
    hostLeases: (host: string) => `${prefix}:host:${host}:leases`,
    hostNext: (host: string) => `${prefix}:host:${host}:next`,
    /** Per-host reservation cursor: the next turn handed to a page that found the host busy. */
    hostCursor: (host: string) => `${prefix}:host:${host}:cursor`,
    /**
     * robots.txt: the parsed rules for one product token per origin, the lock that makes one
     * process fetch it, and the origin's backoff while its robots.txt is unavailable.
     */
    robots: (token: string, origin: string) => `${prefix}:robots:${token}:${origin}`,
    robotsLock: (token: string, origin: string) => `${prefix}:robots-lock:${token}:${origin}`,
    robotsBackoff: (origin: string) => `${prefix}:robots-backoff:${origin}`,
    /** Control requests to one daemon, and the list a requester waits on for replies. */
    control: (daemonId: string) => `${prefix}:control:${daemonId}`,
    reply: (requestId: string) => `${prefix}:reply:${requestId}`,
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;
