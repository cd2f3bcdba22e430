/**
 * The highest RSS of this process, and its highest RSS above the V8 heap (its committed size),
 * while an investigation runs (read every 500 ms, before and after each measurement's GC, and at
 * each step). Kept apart from the investigation's closures on purpose: a timer created during the
 * investigation would otherwise reach its whole scope, and the heap diff would rank the timer as
 * what holds the new memory.
 */
export class RssPeak {
  rss = 0;
  overHeap = 0;
  /** The investigation's step when RSS stood highest above the heap, and the heap's external memory then (MB). */
  overHeapAt = { step: '', externalMb: 0 };
  /** The step under way, set by the investigation. */
  step = 'measurement A';
  private lastHeapTotal = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(everyMs = 500) {
    this.read();
    this.timer = setInterval(() => this.read(), everyMs);
    this.timer.unref();
  }

  read(): void {
    const mu = process.memoryUsage();
    this.rss = Math.max(this.rss, mu.rss);
    // A full GC shrinks heapTotal at once, but V8 gives the freed pages back to the OS a moment
    // later: until then they still count in RSS. So the heap is the larger of its committed size
    // now and at the previous reading (measured right after the GC of measurement B: RSS 435 MB
    // with heapTotal 114 MB; once the sampling profile was read, 394 MB with 101 MB).
    const heap = Math.max(mu.heapTotal, this.lastHeapTotal);
    this.lastHeapTotal = mu.heapTotal;
    if (mu.rss - heap > this.overHeap) {
      this.overHeap = mu.rss - heap;
      this.overHeapAt = { step: this.step, externalMb: Math.round(mu.external / 1048576) };
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
