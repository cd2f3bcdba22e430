/**
 * `spiderd export --crawl NAME [--format jsonl|csv] [--out FILE]`: streams a crawl's pages,
 * honouring backpressure. --out writes a temporary file next to FILE and renames it at the
 * end, so a failed export never leaves half a file.
 */
import { createWriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import { runAction } from '../shared/cli-run.js';
import { loadConfig } from '../shared/config.js';
import { CONNECTION_KEYS, addConfigFlags, configFlagsFrom } from '../shared/config-flags.js';
import type { Db } from '../shared/db/client.js';
import { SpiderdError, coerceError } from '../shared/errors.js';
import { Resources } from '../shared/lifecycle.js';
import { connectDb, findCrawl } from './connect-db.js';
import { crawlName } from './crawl-name.js';
import { csvHeader, csvLine, exportRecords, jsonlLine } from './export-records.js';

const FORMATS = ['jsonl', 'csv'] as const;
type Format = (typeof FORMATS)[number];

export function registerExport(program: Command): void {
  const cmd = program
    .command('export')
    .description("write a crawl's pages as JSON lines or CSV")
    .option('--crawl <name>', 'the crawl to export (required)')
    .option('--format <format>', 'jsonl (one JSON object per page) or csv', 'jsonl')
    .option('--out <file>', 'write to this file (atomically) instead of stdout');
  addConfigFlags(cmd, CONNECTION_KEYS);
  cmd.action(runAction(async (opts: Record<string, unknown>) => exportCommand(opts)));
}

async function exportCommand(opts: Record<string, unknown>): Promise<void> {
  const format = opts.format as Format;
  if (!FORMATS.includes(format)) throw new SpiderdError('SPIDERD_BAD_INPUT', `--format ${JSON.stringify(opts.format)}: must be jsonl or csv`);
  const name = crawlName(opts.crawl);
  const config = loadConfig(configFlagsFrom(opts, CONNECTION_KEYS));
  const resources = new Resources();
  try {
    const db = await connectDb(config, resources);
    const crawl = await findCrawl(db, name);
    if (typeof opts.out !== 'string') {
      await writeAll(db, crawl.id, format, process.stdout).catch((err: unknown) => {
        if (!isEpipe(err)) throw err; // a reader that stopped early (`| head`) is not an error
      });
      return;
    }
    const target = path.resolve(opts.out);
    const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.tmp`);
    const file = createWriteStream(temp, { flags: 'wx' });
    try {
      const count = await writeAll(db, crawl.id, format, file);
      file.end();
      await once(file, 'close');
      await rename(temp, target);
      process.stderr.write(`${count} pages written to ${opts.out}\n`);
    } catch (err) {
      file.destroy();
      await unlink(temp).catch(() => undefined);
      throw err;
    }
  } finally {
    await resources.closeAll();
  }
}

/** Writes every page; waits for 'drain' whenever the stream's buffer is full. */
async function writeAll(db: Db, crawlId: number, format: Format, out: Writable): Promise<number> {
  let failure: Error | null = null;
  const onError = (err: Error) => (failure = err);
  out.on('error', onError);
  try {
    let count = 0;
    if (format === 'csv') await write(out, csvHeader(), () => failure);
    for await (const record of exportRecords(db, crawlId)) {
      await write(out, format === 'csv' ? csvLine(record) : jsonlLine(record), () => failure);
      count++;
    }
    return count;
  } finally {
    out.off('error', onError);
  }
}

async function write(out: Writable, chunk: string, failed: () => Error | null): Promise<void> {
  const err = failed();
  if (err) throw writeError(err);
  if (out.write(chunk)) return;
  try {
    await once(out, 'drain'); // rejects if the stream errors meanwhile
  } catch (thrown) {
    throw writeError(coerceError(thrown));
  }
}

function writeError(err: Error): Error {
  return isEpipe(err) ? err : new SpiderdError('SPIDERD_BAD_INPUT', `cannot write the export: ${err.message}`, { cause: err });
}

const isEpipe = (err: unknown) => (err as NodeJS.ErrnoException | null)?.code === 'EPIPE';
