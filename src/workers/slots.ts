/**
 * Fetch slots: how many pages a crawler process fetches and parses at once. A semaphore whose
 * limit can change while it is in use (the autoscaler moves it); waiters are served in order.
 * A page waiting for its batch to commit holds no slot, so slow commits do not idle the fetchers.
 */
export class Slots {
  private used = 0;
  private readonly waiters: Array<{ alone: boolean; resolve(): void }> = [];
  /** A page that may kill its process holds the only slot: nothing else is fetched beside it. */
  private aloneHeld = false;
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

  /**
   * Resolves when a slot is free; pair every acquire with one release. With `alone`, it waits
   * until no other page is being fetched and keeps the others out until it is released: a page
   * whose earlier tries killed their process is tried by itself, so a crash it causes again
   * costs no other page a try (a page stored as SPIDERD_PAGE_KILLED_WORKER is then the culprit).
   */
  acquire(alone = false): Promise<void> {
    this.account();
    return new Promise((resolve) => {
      this.waiters.push({ alone, resolve });
      this.grant();
    });
  }

  release(): void {
    this.account();
    this.used--;
    if (this.used === 0) this.aloneHeld = false;
    this.grant();
  }

  setLimit(limit: number): void {
    this.account();
    this.current = Math.max(1, Math.round(limit));
    this.grant();
  }

  /** Serves waiters in order while the limit (and a page that must run alone) allows. */
  private grant(): void {
    while (this.waiters.length > 0 && !this.aloneHeld) {
      const next = this.waiters[0]!;
      if (next.alone ? this.used > 0 : this.used >= this.current) return;
      this.waiters.shift();
      this.used++;
      if (next.alone) this.aloneHeld = true;
      next.resolve();
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
