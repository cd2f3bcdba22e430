/**
 * Notices a crawler process whose event loop is stuck (a handler's `while (true)`, a
 * catastrophic regular expression on a long URL): the process sends 'alive' every second
 * from a timer, which cannot fire while its loop is blocked. Pure state; the slot asks `stuckFor`
 * on its own timer and kills the process when the answer passes the limit. A deliberate block
 * (a heap snapshot) is announced first and allowed for as long as announced.
 */
export class LoopWatchdog {
  private lastAlive: number | null = null;
  private allowedUntil = 0;

  /** The process's loop answered. */
  alive(now: number): void {
    this.lastAlive = now;
  }

  /** The process is about to block on purpose for about `expectedMs`. */
  blocking(now: number, expectedMs: number): void {
    this.allowedUntil = Math.max(this.allowedUntil, now + Math.max(0, expectedMs));
  }

  /** A new process in the slot: nothing is watched until it first answers. */
  reset(): void {
    this.lastAlive = null;
    this.allowedUntil = 0;
  }

  /** How long the loop has been silent beyond what was announced; 0 when fine or not yet watched. */
  stuckFor(now: number): number {
    if (this.lastAlive === null) return 0;
    const from = Math.max(this.lastAlive, this.allowedUntil);
    return Math.max(0, now - from);
  }
}
