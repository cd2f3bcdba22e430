/**
 * Polls a crawl (~1 s) until it is finished. On a terminal, a live progress line is redrawn
 * on stderr; in a pipe nothing is printed until the caller prints the final result.
 */
import type { CrawlStatus } from './crawl-status.js';
import { progressLine } from './status-text.js';

export interface WaitOptions {
  everyMs?: number;
  /** Where the live line goes; only drawn when it is a TTY. */
  stream?: NodeJS.WriteStream;
  /** Extra text for the live line (e.g. " (no daemon running)"). */
  note?: () => Promise<string>;
  /** Called each round; throw to give up (e.g. the demo's daemon died). */
  check?: () => void;
}

export async function waitForCrawl(poll: () => Promise<CrawlStatus>, opts: WaitOptions = {}): Promise<CrawlStatus> {
  const stream = opts.stream ?? process.stderr;
  const live = stream.isTTY === true;
  try {
    for (;;) {
      opts.check?.();
      const status = await poll();
      if (status.finished) return status;
      if (live) {
        const line = progressLine(status, 24, opts.note ? await opts.note() : '');
        stream.write(`\r\x1b[2K${line.slice(0, Math.max(20, (stream.columns || 120) - 1))}`);
      }
      await new Promise((resolve) => setTimeout(resolve, opts.everyMs ?? 1_000));
    }
  } finally {
    if (live) stream.write('\r\x1b[2K');
  }
}
