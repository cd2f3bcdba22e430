/**
 * Seed URLs from arguments and from a file (or stdin): one URL per line, blank lines and
 * `#` comments ignored, each normalized; invalid ones are reported with where they came from.
 */
import { readFile } from 'node:fs/promises';
import { SpiderdError, coerceError } from '../shared/errors.js';
import { normalizeUrl } from '../shared/url/normalize.js';

export interface SeedList {
  /** Normalized URLs, in input order, without duplicates. */
  urls: string[];
  /** One line per invalid seed, e.g. `seeds.txt line 4: scheme "ftp" is not http or https`. */
  problems: string[];
}

export function seedsFromArgs(args: readonly string[]): SeedList {
  return collect(args.map((raw, i) => ({ raw, where: `argument ${i + 1}` })));
}

/** `label` names the source in problems: the file name as given, or "stdin". */
export function seedsFromText(text: string, label: string): SeedList {
  const lines = text.split(/\r?\n/).map((line, i) => ({ raw: line.replace(/(^|\s)#.*$/, '').trim(), where: `${label} line ${i + 1}` }));
  return collect(lines.filter((l) => l.raw !== ''));
}

export function mergeSeeds(...lists: SeedList[]): SeedList {
  return { urls: [...new Set(lists.flatMap((l) => l.urls))], problems: lists.flatMap((l) => l.problems) };
}

/** Reads a seeds file, or stdin when `file` is "-". */
export async function readSeedsFile(file: string, stdin: NodeJS.ReadableStream = process.stdin): Promise<SeedList> {
  try {
    if (file === '-') {
      const chunks: Buffer[] = [];
      for await (const chunk of stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      return seedsFromText(Buffer.concat(chunks).toString('utf8'), 'stdin');
    }
    return seedsFromText(await readFile(file, 'utf8'), file);
  } catch (err) {
    throw new SpiderdError('SPIDERD_BAD_INPUT', `cannot read seeds from ${file === '-' ? 'stdin' : file}: ${coerceError(err).message}`, { cause: err });
  }
}

function collect(items: Array<{ raw: string; where: string }>): SeedList {
  const urls = new Set<string>();
  const problems: string[] = [];
  for (const { raw, where } of items) {
    const result = normalizeUrl(raw);
    if (result.ok) urls.add(result.url);
    else problems.push(`${where}: ${result.reason}`);
  }
  return { urls: [...urls], problems };
}
