/**
 * Runs a command's action: a SpiderdError becomes one clear line on stderr naming its code
 * and a non-zero exit; anything else is a bug and prints its stack. Secrets in either (a
 * password in a connection URL) are redacted first.
 */
import { SpiderdError, coerceError } from './errors.js';
import { redactText } from './redact.js';

/** Exit codes: 0 ok, 1 runtime failure, 2 bad input (a seed, a flag, a file). */
export const EXIT = { ok: 0, failure: 1, badInput: 2 } as const;

const BAD_INPUT = new Set([
  'SPIDERD_CONFIG_INVALID',
  'SPIDERD_BAD_SEED',
  'SPIDERD_BAD_INPUT',
  'SPIDERD_CRAWL_NOT_FOUND',
  'SPIDERD_CONTROL_INVALID',
  'SPIDERD_CONTROL_NO_TARGET',
  'SPIDERD_HEAP_PARSE_FAILED',
]);

export function runAction<A extends unknown[]>(action: (...args: A) => Promise<number | void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      const code = await action(...args);
      process.exitCode = code ?? EXIT.ok;
    } catch (thrown) {
      const err = coerceError(thrown);
      if (err instanceof SpiderdError) {
        process.stderr.write(`spiderd: ${err.code}: ${redactText(err.message)}\n`);
        process.exitCode = BAD_INPUT.has(err.code) ? EXIT.badInput : EXIT.failure;
      } else {
        process.stderr.write(`spiderd: SPIDERD_INTERNAL: ${redactText(err.stack ?? err.message)}\n`);
        process.exitCode = EXIT.failure;
      }
    }
  };
}
