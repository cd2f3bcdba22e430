/**
 * Stopping the crawler processes. A drain asks every process to finish its in-flight pages
 * within graceMs; whatever is still alive graceMs + 5 s later is SIGKILLed (its jobs' locks
 * lapse and BullMQ redelivers them: nothing is lost). killAll is the synchronous last resort
 * used by a forced shutdown and by process.on('exit'), so no crawler process outlives the
 * supervisor.
 */
import type { Logger } from '../shared/logger.js';
import type { ChildHandle } from './child-handle.js';

export const KILL_AFTER_GRACE_MS = 5_000;

export async function drainSlots(slots: readonly ChildHandle[], graceMs: number, log: Logger): Promise<void> {
  const allExited = Promise.all(slots.map((s) => s.stop(graceMs)));
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), graceMs + KILL_AFTER_GRACE_MS);
  });
  const outcome = await Promise.race([allExited.then(() => 'done' as const), deadline]);
  clearTimeout(timer);
  if (outcome === 'late') {
    const killed = killAll(slots);
    log.warn({ killed, graceMs }, 'crawler processes did not exit within the grace period; killed them');
    await allExited;
  }
}

/** SIGKILLs every live crawler process, synchronously. Returns the pids killed. */
export function killAll(slots: readonly ChildHandle[]): number[] {
  const killed: number[] = [];
  for (const slot of slots) {
    const pid = slot.kill();
    if (pid !== null) killed.push(pid);
  }
  return killed;
}
