/**
 * The revisit-policy flags of `spiderd enqueue`: `--recrawl-every <duration>` (fixed), or
 * `--recrawl adaptive [--recrawl-min <duration>] [--recrawl-max <duration>]`, or `--recrawl off`.
 * Durations take units (30m, 6h, 7d); a bare number is in seconds. Returns the policy to store,
 * null to remove it, or undefined when no recrawl flag was given (the stored one is kept).
 */
import { Option, type Command } from 'commander';
import { durationHint, formatDuration, parseDuration } from '../shared/duration.js';
import { recrawlPolicySchema, type RecrawlPolicy } from '../shared/recrawl/policy.js';

export const DEFAULT_RECRAWL_MIN_S = 3_600;
export const DEFAULT_RECRAWL_MAX_S = 30 * 86_400;

export function addRecrawlFlags(command: Command): Command {
  command.addOption(new Option('--recrawl-every <duration>', 'revisit every page this long after its last fetch (e.g. 30m, 6h, 7d)'));
  command.addOption(new Option('--recrawl <mode>', 'adaptive: revisit changed pages sooner, unchanged ones later (see --recrawl-min/--recrawl-max); off: fetch each page once').choices(['adaptive', 'off']));
  command.addOption(new Option('--recrawl-min <duration>', `with --recrawl adaptive: the shortest interval [default ${formatDuration(DEFAULT_RECRAWL_MIN_S * 1000)}]`));
  command.addOption(new Option('--recrawl-max <duration>', `with --recrawl adaptive: the longest interval [default ${formatDuration(DEFAULT_RECRAWL_MAX_S * 1000)}]`));
  return command;
}

/** Pushes one message per bad flag onto `problems`. */
export function recrawlPolicyFromFlags(opts: Record<string, unknown>, problems: string[]): RecrawlPolicy | null | undefined {
  const every = opts.recrawlEvery;
  const mode = opts.recrawl;
  const bounds = opts.recrawlMin !== undefined || opts.recrawlMax !== undefined;
  if (every === undefined && mode === undefined) {
    if (bounds) problems.push('--recrawl-min and --recrawl-max need --recrawl adaptive');
    return undefined;
  }
  if (every !== undefined && mode !== undefined) {
    problems.push('give either --recrawl-every <duration> (a fixed interval) or --recrawl adaptive|off, not both');
    return undefined;
  }
  if (mode === 'off') {
    if (bounds) problems.push('--recrawl off takes no --recrawl-min/--recrawl-max');
    return null;
  }
  const seconds = (flag: string, raw: unknown, fallback: number): number | undefined => {
    if (raw === undefined) return fallback;
    const ms = typeof raw === 'string' ? parseDuration(raw, 's') : undefined;
    if (ms === undefined || ms < 1000) {
      problems.push(`${flag} ${JSON.stringify(raw)}: must be ${durationHint('s')}, at least 1s`);
      return undefined;
    }
    return Math.round(ms / 1000);
  };
  const raw =
    every !== undefined
      ? { mode: 'fixed', everyS: seconds('--recrawl-every', every, 0) }
      : { mode: 'adaptive', minS: seconds('--recrawl-min', opts.recrawlMin, DEFAULT_RECRAWL_MIN_S), maxS: seconds('--recrawl-max', opts.recrawlMax, DEFAULT_RECRAWL_MAX_S) };
  if (every !== undefined && bounds) problems.push('--recrawl-min and --recrawl-max go with --recrawl adaptive, not --recrawl-every');
  if (Object.values(raw).includes(undefined)) return undefined;
  const parsed = recrawlPolicySchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const flag = every !== undefined ? '--recrawl-every' : issue.path[0] === 'maxS' ? '--recrawl-max' : issue.path[0] === 'minS' ? '--recrawl-min' : '--recrawl-min/--recrawl-max';
      problems.push(`${flag}: ${issue.message}${issue.code === 'too_big' ? ' (at most 366d)' : ''}`);
    }
    return undefined;
  }
  return parsed.data;
}
