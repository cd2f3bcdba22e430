/** Writes a chart file atomically: a temp file beside the target, then a rename. */
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SpiderdError } from '../../shared/errors.js';

export async function writeFileAtomic(target: string, content: string): Promise<void> {
  const abs = path.resolve(target);
  const tmp = path.join(path.dirname(abs), `.${path.basename(abs)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, content, { mode: 0o644 });
    await rename(tmp, abs);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new SpiderdError('SPIDERD_BAD_INPUT', `cannot write the chart to ${target}: ${(err as Error).message}`, { cause: err });
  }
}
