import { SpiderdError } from '../shared/errors.js';

/** Checks --crawl: required, 1-200 characters, no control characters. */
export function crawlName(raw: unknown): string {
  if (typeof raw !== 'string' || raw.trim() === '') throw new SpiderdError('SPIDERD_BAD_INPUT', '--crawl <name> is required');
  // eslint-disable-next-line no-control-regex
  if (raw.length > 200 || /[\u0000-\u001f\u007f]/.test(raw)) {
    throw new SpiderdError('SPIDERD_BAD_INPUT', `--crawl ${JSON.stringify(raw.slice(0, 40))}: a crawl name is 1-200 printable characters`);
  }
  return raw;
}
