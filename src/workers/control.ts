/**
 * Control requests from the supervisor (heap snapshot, heap/CPU profile), run in this
 * crawler process. A snapshot blocks the event loop for seconds, so jobs are paused first:
 * no new job starts and in-flight ones finish, so no job lock can lapse (a job never stalls
 * or runs twice), and the supervisor is told how long the block may take. Profiles sample
 * while the process keeps working. One heap tool at a time (memory/heap-lock.ts): a request
 * during a leak investigation is refused with SPIDERD_CONTROL_BUSY.
 */
import type { Config } from '../shared/config.js';
import { coerceError, errorCode } from '../shared/errors.js';
import { limitsFrom, performControlAction } from '../shared/heap/perform-action.js';
import type { ChildMessage, ControlFile, ParentMessage } from '../shared/ipc.js';
import { heapLockHolder, tryLockHeap } from './memory/heap-lock.js';

export interface ControlContext {
  config: Config;
  daemonId: string;
  workerId: string;
  jobsDone(): number;
  /** Stops taking jobs and waits for in-flight ones (so no lock can lapse while the process is blocked). */
  pauseJobs(): Promise<void>;
  resumeJobs(): void;
  /** Tells the supervisor's watchdog that the event loop is about to block on purpose. */
  announceBlocking(expectedMs: number, what: string): void;
}

export async function handleControl(msg: Extract<ParentMessage, { type: 'control' }>, ctx: ControlContext): Promise<ChildMessage> {
  const { requestId } = msg;
  const release = tryLockHeap(`a ${msg.action.kind} asked for by hand`);
  if (!release) {
    return { type: 'control-result', requestId, ok: false, code: 'SPIDERD_CONTROL_BUSY', message: `${ctx.workerId} is busy with ${heapLockHolder() ?? 'a heap tool'}; try again when it is done` };
  }
  try {
    const files = await run(msg, ctx);
    return { type: 'control-result', requestId, ok: true, files };
  } catch (thrown) {
    const err = coerceError(thrown);
    return { type: 'control-result', requestId, ok: false, code: errorCode(err), message: err.message };
  } finally {
    release();
  }
}

async function run(msg: Extract<ParentMessage, { type: 'control' }>, ctx: ControlContext): Promise<ControlFile[]> {
  const limits = limitsFrom(ctx.config);
  if (msg.action.kind !== 'heap-snapshot') return performControlAction(msg.action, msg.dir, msg.fileStem, limits);
  try {
    await ctx.pauseJobs();
    return await performControlAction(msg.action, msg.dir, msg.fileStem, limits, (expectedMs) => ctx.announceBlocking(expectedMs, 'heap snapshot (asked for by hand)'));
  } finally {
    ctx.resumeJobs();
  }
}
