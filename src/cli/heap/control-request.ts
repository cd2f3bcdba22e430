/**
 * Sends a control request to live daemons and waits for their replies: PUBLISH on
 * keys.control(daemonId), then BLPOP keys.reply(requestId), bounded by a deadline.
 * A daemon that is not subscribed (PUBLISH reaches nobody) is reported at once.
 */
import { randomUUID } from 'node:crypto';
import type { RedisClient } from '../../shared/redis.js';
import type { Config } from '../../shared/config.js';
import { CONTROL_VERSION, controlReplySchema, controlRequestSchema, type ControlResult, type ControlTarget } from '../../shared/control.js';
import { SpiderdError, wrapError } from '../../shared/errors.js';
import type { ControlAction } from '../../shared/ipc.js';
import { keysFor } from '../../shared/keys.js';
import { readDaemons, type DaemonRecord } from '../../shared/presence.js';
import { createRedis, isCluster, redisNodes } from '../../shared/redis.js';

export interface ControlRequestOptions {
  /** Only this daemon; every live daemon when omitted. */
  daemonId?: string;
  target: ControlTarget;
  action: ControlAction;
  label?: string;
  timeoutMs: number;
}

export interface DaemonAnswer {
  daemonId: string;
  results: ControlResult[];
}

export async function sendControlRequest(config: Config, opts: ControlRequestOptions): Promise<DaemonAnswer[]> {
  const keys = keysFor(config);
  const redis = createRedis(config, 'cli-control', { failFast: true });
  try {
    const daemons = pickDaemons(await readDaemons(redis, keys).catch((err: unknown) => unreachable(err)), opts, config.prefix);
    const sent: Array<{ daemonId: string; requestId: string; listeners: number }> = [];
    for (const d of daemons) {
      const request = controlRequestSchema.parse({ v: CONTROL_VERSION, requestId: randomUUID(), target: opts.target, action: opts.action, label: opts.label });
      const listeners = await publish(redis, keys.control(d.daemonId), JSON.stringify(request));
      sent.push({ daemonId: d.daemonId, requestId: request.requestId, listeners });
    }
    const deadline = Date.now() + opts.timeoutMs;
    const answers: DaemonAnswer[] = [];
    for (const s of sent) {
      if (s.listeners === 0) {
        answers.push({ daemonId: s.daemonId, results: [{ ok: false, code: 'SPIDERD_CONTROL_NO_TARGET', message: `daemon ${s.daemonId} is not listening for control requests` }] });
        continue;
      }
      answers.push(await awaitReply(redis, keys.reply(s.requestId), s.daemonId, deadline, opts.timeoutMs));
    }
    return answers;
  } finally {
    redis.disconnect();
  }
}

/**
 * PUBLISH, and the number of subscribers that got it. On a cluster a message reaches every node,
 * but PUBLISH counts only the subscribers of the node it was sent to: the subscribers of every
 * master are counted instead (PUBSUB NUMSUB).
 */
async function publish(redis: RedisClient, channel: string, message: string): Promise<number> {
  const local = await redis.publish(channel, message);
  if (local > 0 || !isCluster(redis)) return local;
  const counts = await Promise.all(redisNodes(redis).map(async (node) => Number(((await node.pubsub('NUMSUB', channel)) as unknown[])[1] ?? 0)));
  return counts.reduce((a, b) => a + b, 0);
}

async function awaitReply(redis: RedisClient, key: string, daemonId: string, deadline: number, timeoutMs: number): Promise<DaemonAnswer> {
  const seconds = Math.max(0.1, (deadline - Date.now()) / 1000);
  const popped = await redis.blpop(key, seconds);
  if (popped === null) {
    return { daemonId, results: [{ ok: false, code: 'SPIDERD_CONTROL_TIMEOUT', message: `daemon ${daemonId} did not answer within ${Math.round(timeoutMs / 1000)} s` }] };
  }
  const reply = controlReplySchema.safeParse(JSON.parse(popped[1]));
  if (!reply.success) return { daemonId, results: [{ ok: false, code: 'SPIDERD_CONTROL_INVALID', message: `daemon ${daemonId} sent a malformed reply` }] };
  return { daemonId, results: reply.data.results };
}

/** The daemons to ask; throws SPIDERD_CONTROL_NO_TARGET when none is live or none runs the target. */
function pickDaemons(live: DaemonRecord[], opts: ControlRequestOptions, prefix: string): DaemonRecord[] {
  if (live.length === 0) throw new SpiderdError('SPIDERD_CONTROL_NO_TARGET', `no live spiderd daemon (Redis prefix ${prefix}); start one with \`spiderd start\``);
  let daemons = live;
  if (opts.daemonId !== undefined) {
    daemons = live.filter((d) => d.daemonId === opts.daemonId);
    if (daemons.length === 0) throw new SpiderdError('SPIDERD_CONTROL_NO_TARGET', `no live daemon ${opts.daemonId}; live daemons: ${live.map((d) => d.daemonId).join(', ')}`);
  }
  const t = opts.target;
  if (t.kind === 'worker' || t.kind === 'pid') {
    const matches = (d: DaemonRecord) =>
      t.kind === 'worker' ? t.workerId === 'supervisor' || d.processes.some((p) => p.workerId === t.workerId) : d.pid === t.pid || d.processes.some((p) => p.pid === t.pid);
    const running = daemons.filter(matches);
    if (running.length === 0) {
      const known = daemons.flatMap((d) => d.processes.map((p) => `${d.daemonId}/${p.workerId} (pid ${p.pid ?? '-'})`));
      const what = t.kind === 'worker' ? `worker ${t.workerId}` : `pid ${t.pid}`;
      throw new SpiderdError('SPIDERD_CONTROL_NO_TARGET', `no live process is ${what}; live processes: ${known.join(', ') || 'none'}`);
    }
    daemons = running;
  }
  return daemons;
}

function unreachable(err: unknown): never {
  throw wrapError('SPIDERD_REDIS_UNAVAILABLE', 'Redis could not be reached', err, { transient: true });
}
