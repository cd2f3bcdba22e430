/**
 * The gate every page job passes before it starts, so a crawler process can stop starting jobs
 * and wait for the ones it holds without BullMQ's Worker.pause(). That pause resets each worker's
 * blocking Redis connection, and on a Redis Cluster the reset can wait forever for a reconnect
 * (the cluster client stays in status "close"; bullmq 6.7, ioredis 5.11): a heap snapshot, a
 * leak investigation or a drain then never ends. BullMQ is paused without waiting
 * (pause(true)), and a job it still hands over (a fetch that was in flight) waits here.
 * After release() (the process is closing) waiting and later jobs are given back to the queue
 * instead of run: the caller's giveBack puts the job back without spending an attempt.
 */
export class JobGate {
  private active = 0;
  private shut: { opened: Promise<void>; open: () => void } | null = null;
  private released = false;
  private idleWaiters: Array<() => void> = [];

  /** Runs the job once the gate is open, or gives it back when the gate was released. */
  async pass<T>(run: () => Promise<T>, giveBack: () => Promise<T>): Promise<T> {
    while (this.shut && !this.released) await this.shut.opened;
    if (this.released) return giveBack();
    this.active++;
    try {
      return await run();
    } finally {
      this.active--;
      if (this.active === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  /** No job starts until open() or release(). */
  close(): void {
    if (this.shut) return;
    let open = () => {};
    const opened = new Promise<void>((resolve) => (open = resolve));
    this.shut = { opened, open };
  }

  open(): void {
    const shut = this.shut;
    this.shut = null;
    shut?.open();
  }

  /** For good: every waiting and later job is given back. */
  release(): void {
    this.released = true;
    this.open();
  }

  /** Resolves once no job that passed the gate is running. */
  whenIdle(): Promise<void> {
    return this.active === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Jobs past the gate and not finished. */
  get running(): number {
    return this.active;
  }
}
