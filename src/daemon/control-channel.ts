/**
 * The daemon's end of the control channel: a dedicated Redis subscriber on
 * keys.control(daemonId). Every message is validated (src/shared/control.ts); targets are
 * resolved among the supervisor's processes; the supervisor snapshots itself in-process and
 * forwards to a crawler process over IPC. The daemon, never the request, chooses the
 * directory (config.snapshotDir) and the file name (snapshotStem). One snapshot or profile
 * per process at a time. The reply goes to RPUSH keys.reply(requestId) with a TTL.
 */
import type { RedisClient } from '../shared/redis.js';
import type { Config } from '../shared/config.js';
import { REPLY_TTL_SECONDS, controlRequestSchema, salvageRequestId, type ControlReply, type ControlRequest, type ControlResult } from '../shared/control.js';
import { SpiderdError, coerceError, errorCode } from '../shared/errors.js';
import { limitsFrom, performControlAction } from '../shared/heap/perform-action.js';
import { snapshotStem } from '../shared/heap/snapshot-stem.js';
import type { ChildMessage, ParentMessage } from '../shared/ipc.js';
import { keysFor } from '../shared/keys.js';
import type { Logger } from '../shared/logger.js';
import { createRedis } from '../shared/redis.js';

export const SUPERVISOR_ID = 'supervisor';

export interface ControlSlot {
  workerId: string;
  /** null while the slot has no live process (restarting, failed). */
  pid: number | null;
  jobsDone: number;
}

export type ControlResultMessage = Extract<ChildMessage, { type: 'control-result' }>;

/** What the supervisor gives the channel. */
export interface ControlHost {
  config: Config;
  daemonId: string;
  log: Logger;
  /** The crawler slots now. */
  slots(): ControlSlot[];
  /** Sends the message to that slot's process and resolves with its control-result (rejects if the process exits first). */
  sendControl(workerId: string, msg: Extract<ParentMessage, { type: 'control' }>): Promise<ControlResultMessage>;
}

export interface ControlChannel {
  close(): Promise<void>;
}

/** How long a crawler process may take to answer, on top of a profile's own duration. */
export const ANSWER_SLACK_MS = 300_000;

interface Target {
  workerId: string;
  pid: number;
  jobsDone: number;
}

export async function startControlChannel(host: ControlHost): Promise<ControlChannel> {
  const keys = keysFor(host.config);
  const channel = keys.control(host.daemonId);
  const sub = createRedis(host.config, 'control-sub');
  const pub = createRedis(host.config, 'control-pub');
  let connectionErrors = 0;
  // ioredis reconnects on its own; log the first failure and then every 20th, not each retry.
  const onConnectionError = (err: Error) => {
    if (connectionErrors++ % 20 === 0) host.log.warn({ err }, 'control channel: Redis connection error');
  };
  sub.on('error', onConnectionError);
  pub.on('error', onConnectionError);
  const busy = new Set<string>();
  const inFlight = new Set<Promise<void>>();

  const reply = async (body: ControlReply): Promise<void> => {
    await pub.multi().rpush(keys.reply(body.requestId), JSON.stringify(body)).expire(keys.reply(body.requestId), REPLY_TTL_SECONDS).exec();
  };

  const onMessage = async (raw: string): Promise<void> => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      host.log.warn({ channel, bytes: raw.length }, 'ignored a control message that is not JSON');
      return;
    }
    const checked = controlRequestSchema.safeParse(parsed);
    if (!checked.success) {
      const requestId = salvageRequestId(parsed);
      const message = `invalid control request: ${checked.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`;
      if (requestId === null) host.log.warn({ channel }, message);
      else await reply({ requestId, daemonId: host.daemonId, results: [{ ok: false, code: 'SPIDERD_CONTROL_INVALID', message }] });
      return;
    }
    const request = checked.data;
    host.log.info({ requestId: request.requestId, target: request.target, action: request.action.kind }, 'control request');
    const targets = resolveTargets(request, host);
    const results: ControlResult[] =
      targets.length === 0
        ? [{ ok: false, code: 'SPIDERD_CONTROL_NO_TARGET', message: `daemon ${host.daemonId} has no live process matching ${describe(request)}` }]
        : await Promise.all(targets.map((t) => runOne(host, request, t, busy)));
    await reply({ requestId: request.requestId, daemonId: host.daemonId, results });
  };

  sub.on('message', (ch: string, raw: string) => {
    if (ch !== channel) return;
    const task = onMessage(raw).catch((err: unknown) => host.log.error({ err: coerceError(err) }, 'handling a control request failed'));
    inFlight.add(task);
    void task.finally(() => inFlight.delete(task));
  });
  await sub.subscribe(channel);
  host.log.info({ channel }, 'listening for control requests');

  return {
    async close() {
      await sub.unsubscribe(channel).catch(() => undefined);
      sub.disconnect();
      await Promise.allSettled([...inFlight]);
      await quit(pub);
    },
  };
}

function resolveTargets(request: ControlRequest, host: ControlHost): Target[] {
  const self: Target = { workerId: SUPERVISOR_ID, pid: process.pid, jobsDone: 0 };
  const live = host.slots().filter((s): s is ControlSlot & { pid: number } => s.pid !== null);
  const t = request.target;
  switch (t.kind) {
    case 'supervisor':
      return [self];
    case 'all':
      return [self, ...live];
    case 'worker':
      return t.workerId === SUPERVISOR_ID ? [self] : live.filter((s) => s.workerId === t.workerId);
    case 'pid':
      return t.pid === process.pid ? [self] : live.filter((s) => s.pid === t.pid);
  }
}

async function runOne(host: ControlHost, request: ControlRequest, target: Target, busy: Set<string>): Promise<ControlResult> {
  const who = { workerId: target.workerId, pid: target.pid };
  if (busy.has(target.workerId)) {
    return { ...who, ok: false, code: 'SPIDERD_CONTROL_BUSY', message: `${target.workerId} (pid ${target.pid}) is already taking a snapshot or profile; try again when it is done` };
  }
  busy.add(target.workerId);
  try {
    const dir = host.config.snapshotDir;
    const fileStem = snapshotStem({ daemonId: host.daemonId, workerId: target.workerId, pid: target.pid, at: new Date(), jobsDone: target.jobsDone, label: request.label });
    if (target.workerId === SUPERVISOR_ID) {
      const files = await performControlAction(request.action, dir, fileStem, limitsFrom(host.config));
      return { ...who, ok: true, files };
    }
    const msg = { type: 'control', requestId: request.requestId, action: request.action, dir, fileStem } as const;
    const seconds = request.action.kind === 'heap-snapshot' ? 0 : request.action.seconds;
    const answer = await withTimeout(host.sendControl(target.workerId, msg), seconds * 1000 + ANSWER_SLACK_MS, `${target.workerId} did not answer the control request`);
    return answer.ok ? { ...who, ok: true, files: answer.files } : { ...who, ok: false, code: answer.code, message: answer.message };
  } catch (thrown) {
    const err = coerceError(thrown);
    host.log.warn({ err, requestId: request.requestId, workerId: target.workerId }, 'control request failed');
    return { ...who, ok: false, code: errorCode(err) === 'SPIDERD_INTERNAL' ? 'SPIDERD_SNAPSHOT_FAILED' : errorCode(err), message: err.message };
  } finally {
    busy.delete(target.workerId);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SpiderdError('SPIDERD_CONTROL_TIMEOUT', message)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function describe(request: ControlRequest): string {
  const t = request.target;
  return t.kind === 'worker' ? `worker ${t.workerId}` : t.kind === 'pid' ? `pid ${t.pid}` : t.kind;
}

async function quit(redis: RedisClient): Promise<void> {
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}
