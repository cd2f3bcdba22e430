/**
 * `spiderd enqueue [urls...] --crawl NAME [--file F|-] [crawl options]`: creates or updates a
 * crawl and adds its seeds. Invalid seeds are reported (with their line) and the valid ones
 * still added; the exit code is then 2.
 */
import type { Command } from 'commander';
import { EXIT, runAction } from '../shared/cli-run.js';
import { loadConfig } from '../shared/config.js';
import { CONNECTION_KEYS, addConfigFlags, configFlagsFrom } from '../shared/config-flags.js';
import { SpiderdError } from '../shared/errors.js';
import { Resources } from '../shared/lifecycle.js';
import { redactText } from '../shared/redact.js';
import { addSeeds } from './add-seeds.js';
import { connectRedis, connectSql, openQueue } from './connect.js';
import { addCrawlOptionFlags, crawlOptionsFromFlags } from './crawl-flags.js';
import { crawlName } from './crawl-name.js';
import { mergeSeeds, readSeedsFile, seedsFromArgs } from './seeds.js';

export function registerEnqueue(program: Command): void {
  const cmd = program
    .command('enqueue')
    .description('add seed URLs to a crawl (created on first use); crawl options given here are stored with the crawl')
    .argument('[urls...]', 'seed URLs')
    .option('--crawl <name>', 'the crawl to add to (required)')
    .option('--file <file>', 'read seeds from a file, one URL per line (`-` = stdin); blank lines and # comments ignored');
  addCrawlOptionFlags(cmd);
  addConfigFlags(cmd, CONNECTION_KEYS);
  cmd.action(runAction(async (urls: string[], opts: Record<string, unknown>) => enqueue(urls, opts)));
}

async function enqueue(urls: string[], opts: Record<string, unknown>): Promise<number> {
  const config = loadConfig(configFlagsFrom(opts, CONNECTION_KEYS));
  const name = crawlName(opts.crawl);
  const options = await crawlOptionsFromFlags(opts);
  const fromFile = typeof opts.file === 'string' ? [await readSeedsFile(opts.file)] : [];
  const seeds = mergeSeeds(seedsFromArgs(urls), ...fromFile);
  for (const problem of seeds.problems) process.stderr.write(`spiderd: SPIDERD_BAD_SEED: ${redactText(problem)}\n`);
  if (seeds.urls.length === 0) {
    if (seeds.problems.length > 0) {
      process.stderr.write(`crawl ${JSON.stringify(name)}: no valid seed, nothing enqueued\n`);
      return EXIT.badInput;
    }
    throw new SpiderdError('SPIDERD_BAD_INPUT', 'no seeds: give URLs as arguments or with --file (`--file -` reads stdin)');
  }
  const resources = new Resources();
  try {
    const redis = await connectRedis(config, resources);
    const sql = await connectSql(config, resources);
    const queue = openQueue(redis, config, resources);
    const r = await addSeeds(sql, queue, { name, options, seeds: seeds.urls, attempts: config.attempts });
    const over = r.overLimit > 0 ? `, ${r.overLimit} over --max-pages` : '';
    process.stdout.write(`crawl ${JSON.stringify(name)}: ${r.inserted} new seed${r.inserted === 1 ? '' : 's'}, ${r.known} already known${over}\n`);
    return seeds.problems.length > 0 ? EXIT.badInput : EXIT.ok;
  } finally {
    await resources.closeAll();
  }
}
