/**
 * Fetch slots: how many pages a crawler process fetches and parses at once. A semaphore whose
 * limit can change while it is in use (the autoscaler moves it); waiters are served in order.
 * A page waiting for its batch to commit holds no slot, so slow commits do not idle the fetchers.
 */
export class Slots {
  private used = 0;
  private readonly waiters: Array<() => void> = [];
  /** Slot-milliseconds in use and waited for since the last take(), for the autoscaler. */
  private busyMs = 0;
  private waitedMs = 0;
  private lastAt = performance.now();
  private lastAccount = performance.now();

  constructor(private current: number) {}

  get limit(): number {
    return this.current;
  }

  get inUse(): number {
    return this.used;
  }

  /** Pages fetching or waiting to fetch: none means nothing will reach the store soon. */
  get active(): number {
    return this.used + this.waiters.length;
  }

  /** Resolves when a slot is free; pair every acquire with one release. */
  acquire(): Promise<void> {
    this.account();
    if (this.used < this.current) {
      this.used++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    this.account();
    if (this.used <= this.current && this.waiters.length > 0) {
      this.waiters.shift()!(); // the slot passes straight to the next waiter
      return;
    }
    this.used--;
  }

  setLimit(limit: number): void {
    this.account();
    this.current = Math.max(1, Math.round(limit));
    while (this.used < this.current && this.waiters.length > 0) {
      this.used++;
      this.waiters.shift()!();
    }
  }

  /** Average slots in use and pages waiting for one since the previous call. */
  take(): { busy: number; waiting: number } {
    this.account();
    const elapsed = Math.max(1, performance.now() - this.lastAt);
    const out = { busy: this.busyMs / elapsed, waiting: this.waitedMs / elapsed };
    this.busyMs = 0;
    this.waitedMs = 0;
    this.lastAt = performance.now();
    return out;
  }

  private account(): void {
    const now = performance.now();
    const dt = now - this.lastAccount;
    this.busyMs += dt * this.used;
    this.waitedMs += dt * this.waiters.length;
    this.lastAccount = now;
  }
}
