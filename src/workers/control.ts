/**
 * Control requests from the supervisor (heap snapshot, heap/CPU profile).
 * PLACEHOLDER owned by the memory-profiling helper (E1); replaced before submission.
 */
import type { Config } from '../shared/config.js';
import type { ChildMessage, ParentMessage } from '../shared/ipc.js';

export interface ControlContext {
  config: Config;
  daemonId: string;
  workerId: string;
  jobsDone(): number;
  /** Stops taking jobs and waits for in-flight ones (so no lock can lapse while the process is blocked). */
  pauseJobs(): Promise<void>;
  resumeJobs(): void;
}

export async function handleControl(msg: Extract<ParentMessage, { type: 'control' }>, _ctx: ControlContext): Promise<ChildMessage> {
  return { type: 'control-result', requestId: msg.requestId, ok: false, code: 'SPIDERD_CONTROL_INVALID', message: 'control requests are not available yet' };
}
