/**
 * Control requests from the supervisor (heap snapshot, heap/CPU profile), run in this
 * crawler process. A snapshot blocks the event loop for seconds, so jobs are paused first:
 * no new job starts and in-flight ones finish, so no job lock can lapse (a job never stalls
 * or runs twice). Profiles sample while the process keeps working.
 */
import type { Config } from '../shared/config.js';
import { coerceError, errorCode } from '../shared/errors.js';
import { limitsFrom, performControlAction } from '../shared/heap/perform-action.js';
import type { ChildMessage, ControlFile, ParentMessage } from '../shared/ipc.js';

export interface ControlContext {
  config: Config;
  daemonId: string;
  workerId: string;
  jobsDone(): number;
  /** Stops taking jobs and waits for in-flight ones (so no lock can lapse while the process is blocked). */
  pauseJobs(): Promise<void>;
  resumeJobs(): void;
}

/** One snapshot or profile at a time per process. */
let busy = false;

export async function handleControl(msg: Extract<ParentMessage, { type: 'control' }>, ctx: ControlContext): Promise<ChildMessage> {
  const { requestId } = msg;
  if (busy) {
    return { type: 'control-result', requestId, ok: false, code: 'SPIDERD_CONTROL_BUSY', message: `${ctx.workerId} is already taking a snapshot or profile; try again when it is done` };
  }
  busy = true;
  try {
    const files = await run(msg, ctx);
    return { type: 'control-result', requestId, ok: true, files };
  } catch (thrown) {
    const err = coerceError(thrown);
    return { type: 'control-result', requestId, ok: false, code: errorCode(err), message: err.message };
  } finally {
    busy = false;
  }
}

async function run(msg: Extract<ParentMessage, { type: 'control' }>, ctx: ControlContext): Promise<ControlFile[]> {
  const limits = limitsFrom(ctx.config);
  if (msg.action.kind !== 'heap-snapshot') return performControlAction(msg.action, msg.dir, msg.fileStem, limits);
  try {
    await ctx.pauseJobs();
    return await performControlAction(msg.action, msg.dir, msg.fileStem, limits);
  } finally {
    ctx.resumeJobs();
  }
}
