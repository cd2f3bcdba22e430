/**
 * The crawl-option flags of `spiderd enqueue`: declared once, mapped to the stored
 * CrawlOptions, validated with crawlOptionsSchema. A bad value names the flag and what is valid.
 */
import { access } from 'node:fs/promises';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { crawlOptionsSchema, type CrawlOptions } from '../shared/crawl-options.js';
import { formatDuration, parseDuration } from '../shared/duration.js';
import { SpiderdError } from '../shared/errors.js';
import { addRecrawlFlags, recrawlPolicyFromFlags } from './recrawl-flags.js';

type Key = keyof CrawlOptions;
const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/** The stored defaults, read from the schema so --help cannot drift from them. */
const DEFAULTS: Partial<CrawlOptions> = crawlOptionsSchema.parse({});

function shownDefault(key: Key): string {
  const value = DEFAULTS[key];
  if (key === 'perHostDelayMs' && typeof value === 'number') return formatDuration(value);
  if (value === 0 && (key === 'maxPages' || key === 'maxPagesPerHost')) return '0 (no limit)';
  return String(value);
}

const FLAGS: Array<{ key: Key; flag: string; help: string; kind: 'string' | 'int' | 'list' | 'bool' | 'duration' }> = [
  { key: 'scope', flag: '--scope <scope>', help: "host (the seeds' hosts), domain (their registrable domains) or any", kind: 'string' },
  { key: 'include', flag: '--include <regex>', help: 'follow only URLs matching one of these (repeatable)', kind: 'list' },
  { key: 'exclude', flag: '--exclude <regex>', help: 'never follow URLs matching (repeatable)', kind: 'list' },
  { key: 'maxDepth', flag: '--max-depth <n>', help: 'links followed at most this deep below a seed, 0-1000', kind: 'int' },
  { key: 'maxPages', flag: '--max-pages <n>', help: 'stop discovering after this many URLs, 0 = no limit', kind: 'int' },
  { key: 'maxPagesPerHost', flag: '--max-pages-per-host <n>', help: 'discover at most this many URLs per host (against calendar traps), 0 = no limit', kind: 'int' },
  { key: 'perHostConcurrency', flag: '--per-host-concurrency <n>', help: 'pages in flight per host across all processes, 1-1000', kind: 'int' },
  { key: 'perHostDelayMs', flag: '--per-host-delay <ms>', help: 'minimum gap between two requests to a host; a duration (1s, 250ms, 2m), a bare number is milliseconds', kind: 'duration' },
  { key: 'userAgent', flag: '--user-agent <ua>', help: "User-Agent header of this crawl's requests (default: the daemon's --user-agent; robots.txt rules are matched against the daemon's --robots-agent)", kind: 'string' },
  { key: 'ignoreRobots', flag: '--ignore-robots', help: 'do not honour robots.txt (only for sites you own)', kind: 'bool' },
  { key: 'handler', flag: '--handler <module>', help: 'extraction handler module for this crawl (stored as an absolute path)', kind: 'string' },
  { key: 'handleUnchanged', flag: '--handle-unchanged', help: 'on a refetch whose body is unchanged, run the handler again (default: keep the stored data)', kind: 'bool' },
  { key: 'sitemaps', flag: '--sitemaps', help: "read each origin's sitemaps (robots.txt Sitemap: lines, else /sitemap.xml) for URLs to crawl", kind: 'bool' },
];

const flagName = (key: string) => FLAGS.find((f) => f.key === key)?.flag.split(' ')[0] ?? key;

export function addCrawlOptionFlags(command: Command): Command {
  for (const f of FLAGS) {
    const shown = DEFAULTS[f.key] === undefined || f.kind === 'list' || f.kind === 'bool' ? '' : ` (default: ${shownDefault(f.key)})`;
    const option = new Option(f.flag, `${f.help}${shown}`);
    if (f.kind === 'list') option.argParser(collect);
    command.addOption(option);
  }
  command.addOption(new Option('--no-ignore-robots', 'honour robots.txt again (the default)'));
  return addRecrawlFlags(command);
}

/** Only the options whose flag was given, validated; throws SPIDERD_BAD_INPUT listing every bad flag. */
export async function crawlOptionsFromFlags(opts: Record<string, unknown>): Promise<Partial<CrawlOptions>> {
  const given: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const f of FLAGS) {
    const raw = opts[f.key === 'perHostDelayMs' ? 'perHostDelay' : f.key];
    if (raw === undefined) continue;
    if (f.kind === 'int') {
      if (typeof raw !== 'string' || !/^\s*-?\d+\s*$/.test(raw)) problems.push(`${flagName(f.key)}: expected a whole number; got ${JSON.stringify(raw)}`);
      else given[f.key] = Number(raw);
    } else if (f.kind === 'duration') {
      const value = typeof raw === 'string' ? parseDuration(raw, 'ms') : undefined;
      if (value === undefined) problems.push(`${flagName(f.key)}: expected a duration such as 1s, 250ms or 2m (a bare number is milliseconds); got ${JSON.stringify(raw)}`);
      else given[f.key] = value;
    } else if (f.key === 'handler') {
      given[f.key] = path.resolve(String(raw));
    } else {
      given[f.key] = raw;
    }
  }
  const recrawl = recrawlPolicyFromFlags(opts, problems);
  if (recrawl !== undefined) given.recrawl = recrawl;
  const parsed = crawlOptionsSchema.partial().safeParse(given);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0] ?? '');
      const value = issue.path.length > 1 ? (given[key] as unknown[])[Number(issue.path[1])] : given[key];
      problems.push(`${flagName(key)}: ${plainIssue(issue)}; got ${JSON.stringify(value)}`);
    }
  }
  if (typeof given.handler === 'string') {
    await access(given.handler).catch(() => problems.push(`--handler: no such file ${given.handler as string}`));
  }
  if (problems.length > 0) throw new SpiderdError('SPIDERD_BAD_INPUT', `invalid crawl option: ${problems.join('; ')}`);
  // Keep only what was given (zod fills in defaults even under .partial()).
  const data = parsed.data as Record<string, unknown>;
  return Object.fromEntries(Object.keys(given).map((k) => [k, data[k]])) as Partial<CrawlOptions>;
}

/** zod's range messages in plain words; the others (an invalid regex, an unknown scope) already are. */
function plainIssue(issue: { code: string; message: string; minimum?: unknown; maximum?: unknown; values?: unknown }): string {
  if (issue.code === 'invalid_value' && Array.isArray(issue.values)) return `expected one of ${issue.values.join(', ')}`;
  if (issue.code === 'too_small') return `expected at least ${String(issue.minimum)}`;
  if (issue.code === 'too_big') return `expected at most ${String(issue.maximum)}`;
  return issue.message;
}
