/**
 * Which handler modules a crawl may run. A crawl's --handler is chosen by whoever can enqueue,
 * so it is imported only when its real path (symlinks resolved) lies inside one of the
 * directories the daemon's operator allows with --handler-dir; anything else is
 * SPIDERD_HANDLER_NOT_ALLOWED. The daemon's own --handler is the operator's and needs no check.
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { SpiderdError } from '../shared/errors.js';

function inside(dir: string, file: string): boolean {
  const rel = path.relative(dir, file);
  return rel !== '' && !rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel);
}

async function realOrNull(p: string): Promise<string | null> {
  try {
    return await realpath(p);
  } catch {
    return null;
  }
}

/** The real path to import for a crawl's handler (absolute `file`), or SPIDERD_HANDLER_NOT_ALLOWED / SPIDERD_HANDLER_INVALID. */
export async function allowedHandlerPath(file: string, allowedDirs: readonly string[]): Promise<string> {
  const dirs = (await Promise.all(allowedDirs.map(realOrNull))).filter((d): d is string => d !== null);
  const real = await realOrNull(file);
  if (real !== null && dirs.some((d) => inside(d, real))) return real;
  if (real === null && dirs.some((d) => inside(d, file))) {
    throw new SpiderdError('SPIDERD_HANDLER_INVALID', `handler ${file} does not exist`);
  }
  const where = allowedDirs.length === 0 ? 'the daemon allows no directory (--handler-dir)' : `the daemon allows only ${allowedDirs.join(', ')} (--handler-dir)`;
  throw new SpiderdError('SPIDERD_HANDLER_NOT_ALLOWED', `the crawl's handler ${file} was not imported: ${where}`, { details: { handler: file } });
}
