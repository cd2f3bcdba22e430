/**
 * `spiderd recrawl --crawl NAME`: starts a new round. Every page of the crawl that was fetched,
 * or failed transiently, is due now; the daemons' scheduler moves them into the queue in batches
 * (docs/recrawl.md), and each refetch sends the page's validators. Works with or without a
 * revisit policy. `spiderd status --crawl NAME --wait` returns when the round is over.
 */
import type { Command } from 'commander';
import { runAction } from '../shared/cli-run.js';
import { loadConfig } from '../shared/config.js';
import { CONNECTION_KEYS, addConfigFlags, configFlagsFrom } from '../shared/config-flags.js';
import { SpiderdError } from '../shared/errors.js';
import { Resources } from '../shared/lifecycle.js';
import { makeRoundDue } from '../shared/recrawl/make-due.js';
import { connectSql } from './connect.js';
import { crawlName } from './crawl-name.js';

export function registerRecrawl(program: Command): void {
  const cmd = program
    .command('recrawl')
    .description('start a new round: every page of the crawl that was fetched (or failed transiently) is due now')
    .requiredOption('--crawl <name>', 'the crawl');
  addConfigFlags(cmd, CONNECTION_KEYS);
  cmd.action(
    runAction(async (opts: Record<string, unknown>) => {
      const config = loadConfig(configFlagsFrom(opts, CONNECTION_KEYS));
      const name = crawlName(opts.crawl);
      const resources = new Resources();
      try {
        const sql = await connectSql(config, resources);
        const due = await sql.transaction(async (tx) => {
          const [crawl] = await tx.query<{ id: number }>('SELECT id FROM crawls WHERE name = $1', [name]);
          if (!crawl) throw new SpiderdError('SPIDERD_CRAWL_NOT_FOUND', `no crawl named ${JSON.stringify(name)}`);
          return makeRoundDue(tx, crawl.id);
        });
        process.stdout.write(`crawl ${JSON.stringify(name)}: ${due} page${due === 1 ? '' : 's'} due now; a running daemon queues them (follow with \`spiderd status --crawl ${name} --wait\`)\n`);
      } finally {
        await resources.closeAll();
      }
    }),
  );
}
