/**
 * Every opened resource registers its closer; shutdown closes them in reverse order.
 * The first SIGTERM/SIGINT asks for a drain; a second one forces (graphile-worker's
 * signals.ts does the same).
 */
import type { Logger } from './logger.js';
import { coerceError } from './errors.js';

type Closer = () => Promise<unknown> | unknown;

export class Resources {
  private readonly closers: Array<{ name: string; close: Closer }> = [];
  private closing: Promise<void> | null = null;

  /** Without a logger (CLI commands, about to exit anyway) a failing closer is ignored. */
  constructor(private readonly log?: Logger) {}

  /** Registers a closer and returns the resource, for `const x = resources.add('x', open(), (x) => x.close())`. */
  add<T>(name: string, resource: T, close: (r: T) => Promise<unknown> | unknown): T {
    this.closers.push({ name, close: () => close(resource) });
    return resource;
  }

  /** Closes everything in reverse order of opening; a failing closer is logged, the rest still run. */
  closeAll(): Promise<void> {
    this.closing ??= (async () => {
      for (const { name, close } of this.closers.reverse()) {
        try {
          await close();
        } catch (err) {
          this.log?.warn({ err: coerceError(err), resource: name }, 'closing a resource failed');
        }
      }
    })();
    return this.closing;
  }
}

/**
 * Calls onDrain at the first SIGTERM/SIGINT and onForce at the second.
 * Returns a function that removes the handlers.
 */
export function onSignals(onDrain: (signal: NodeJS.Signals) => void, onForce: (signal: NodeJS.Signals) => void): () => void {
  let count = 0;
  const handler = (signal: NodeJS.Signals) => {
    count++;
    if (count === 1) onDrain(signal);
    else onForce(signal);
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  return () => {
    process.off('SIGTERM', handler);
    process.off('SIGINT', handler);
  };
}
