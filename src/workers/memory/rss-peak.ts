/**
 * The highest RSS of this process, and its highest RSS above the V8 heap (its committed size), while an
 * investigation runs (read every 500 ms and at each step). Kept apart from the investigation's
 * closures on purpose: a timer created during the investigation would otherwise reach its whole
 * scope, and the heap diff would rank the timer as what holds the new memory.
 */
export class RssPeak {
  rss = 0;
  overHeap = 0;
  /** The investigation's step when RSS stood highest above the heap, and the heap's external memory then (MB). */
  overHeapAt = { step: '', externalMb: 0 };
  /** The step under way, set by the investigation. */
  step = 'measurement A';
  private readonly timer: NodeJS.Timeout;

  constructor(everyMs = 500) {
    this.read();
    this.timer = setInterval(() => this.read(), everyMs);
    this.timer.unref();
  }

  read(): void {
    const mu = process.memoryUsage();
    this.rss = Math.max(this.rss, mu.rss);
    if (mu.rss - mu.heapTotal > this.overHeap) {
      this.overHeap = mu.rss - mu.heapTotal;
      this.overHeapAt = { step: this.step, externalMb: Math.round(mu.external / 1048576) };
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
