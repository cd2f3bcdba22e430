/**
 * Control requests from the supervisor (heap snapshot, heap/CPU profile).
 * PLACEHOLDER owned by the memory-profiling helper; replaced before submission.
 */
import type { ChildMessage, ParentMessage } from '../shared/ipc.js';

export async function handleControl(msg: Extract<ParentMessage, { type: 'control' }>): Promise<ChildMessage> {
  return { type: 'control-result', requestId: msg.requestId, ok: false, code: 'SPIDERD_CONTROL_INVALID', message: 'control requests are not available yet' };
}
