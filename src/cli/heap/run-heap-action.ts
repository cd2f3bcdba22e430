/**
 * runAction for the heap commands: a request naming no live process and a file that is no
 * heap snapshot are bad input (exit 2), like the codes runAction already treats so.
 */
import { EXIT, runAction } from '../../shared/cli-run.js';
import { SpiderdError } from '../../shared/errors.js';

const BAD_INPUT_HERE = new Set<string>(['SPIDERD_CONTROL_NO_TARGET', 'SPIDERD_HEAP_PARSE_FAILED']);

export function heapAction<A extends unknown[]>(fn: (...args: A) => Promise<number | void>): (...args: A) => Promise<void> {
  return runAction(async (...args: A) => {
    try {
      return await fn(...args);
    } catch (thrown) {
      if (!(thrown instanceof SpiderdError) || !BAD_INPUT_HERE.has(thrown.code)) throw thrown;
      process.stderr.write(`spiderd: ${thrown.code}: ${thrown.message}\n`);
      return EXIT.badInput;
    }
  });
}
