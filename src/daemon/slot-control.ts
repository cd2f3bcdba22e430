/**
 * Reaching a crawler slot from inside the daemon: the typed surface the Redis control channel
 * (control-channel.ts, through the ControlHost the supervisor builds) uses to send a 'control'
 * ParentMessage to one slot and await the child's matching 'control-result' (by requestId).
 */
import { SpiderdError } from '../shared/errors.js';
import type { ChildMessage, ParentMessage } from '../shared/ipc.js';
import type { ProcessState } from '../shared/presence.js';

export type ControlRequest = Extract<ParentMessage, { type: 'control' }>;
export type ControlResult = Extract<ChildMessage, { type: 'control-result' }>;

export interface SlotSummary {
  workerId: string;
  /** null while the slot has no live process (restarting, failed). */
  pid: number | null;
  state: ProcessState;
  jobsDone: number;
}

export interface SlotControl {
  /** Every crawler slot, w1..wN, in order. */
  list(): SlotSummary[];
  /**
   * Sends `msg` to the slot's current process and resolves with its control-result.
   * Rejects with SPIDERD_CONTROL_NO_TARGET (unknown slot, no running process, or the process
   * exited before answering) or SPIDERD_CONTROL_TIMEOUT (no answer within timeoutMs; without
   * timeoutMs it waits until the answer or the process's exit).
   */
  send(workerId: string, msg: ControlRequest, timeoutMs?: number): Promise<ControlResult>;
}

interface Waiter {
  resolve(result: ControlResult): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout | undefined;
}

/** The control requests one process has not answered yet. */
export class PendingControls {
  private readonly waiters = new Map<string, Waiter>();

  wait(requestId: string, timeoutMs: number | undefined, what: string): Promise<ControlResult> {
    if (this.waiters.has(requestId)) {
      return Promise.reject(new SpiderdError('SPIDERD_CONTROL_INVALID', `control request ${requestId} is already in flight for ${what}`));
    }
    return new Promise<ControlResult>((resolve, reject) => {
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              this.waiters.delete(requestId);
              reject(new SpiderdError('SPIDERD_CONTROL_TIMEOUT', `${what} did not answer control request ${requestId} within ${timeoutMs} ms`));
            }, timeoutMs);
      this.waiters.set(requestId, { resolve, reject, timer });
    });
  }

  /** Returns false when nobody waits for this requestId (late or unknown answer). */
  settle(result: ControlResult): boolean {
    const waiter = this.waiters.get(result.requestId);
    if (!waiter) return false;
    this.waiters.delete(result.requestId);
    clearTimeout(waiter.timer);
    waiter.resolve(result);
    return true;
  }

  fail(requestId: string, err: Error): void {
    const waiter = this.waiters.get(requestId);
    if (!waiter) return;
    this.waiters.delete(requestId);
    clearTimeout(waiter.timer);
    waiter.reject(err);
  }

  failAll(err: Error): void {
    for (const id of [...this.waiters.keys()]) this.fail(id, err);
  }
}
