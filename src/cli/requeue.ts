/**
 * `spiderd requeue (--crawl NAME | --all)`: rebuilds the queue from PostgreSQL, for operators
 * after Redis lost its data. Pages whose job still exists keep it (jobs are keyed by page id).
 */
import type { Command } from 'commander';
import { runAction } from '../shared/cli-run.js';
import { loadConfig } from '../shared/config.js';
import { CONNECTION_KEYS, addConfigFlags, configFlagsFrom } from '../shared/config-flags.js';
import { SpiderdError } from '../shared/errors.js';
import { Resources } from '../shared/lifecycle.js';
import { createPgPool } from '../shared/db/pool.js';
import { requeueFromDb } from '../shared/requeue.js';
import { connectDb, findCrawl } from './connect-db.js';
import { keysFor } from '../shared/keys.js';
import { connectRedis, openQueue } from './connect.js';
import { crawlName } from './crawl-name.js';

export function registerRequeue(program: Command): void {
  const cmd = program
    .command('requeue')
    .description('re-add a queue job for every page still queued in PostgreSQL (after Redis lost its data)')
    .option('--crawl <name>', 'only this crawl')
    .option('--all', 'every crawl');
  addConfigFlags(cmd, CONNECTION_KEYS);
  cmd.action(
    runAction(async (opts: Record<string, unknown>) => {
      if ((opts.crawl === undefined) === (opts.all === undefined)) throw new SpiderdError('SPIDERD_BAD_INPUT', 'give exactly one of --crawl <name> or --all');
      const config = loadConfig(configFlagsFrom(opts, CONNECTION_KEYS));
      const resources = new Resources();
      try {
        const redis = await connectRedis(config, resources);
        const db = await connectDb(config, resources);
        const queue = openQueue(redis, config, resources);
        const crawl = opts.crawl === undefined ? null : await findCrawl(db, crawlName(opts.crawl));
        const pool = resources.add('postgresql pool', createPgPool(config), (p) => p.end());
        const r = await requeueFromDb(pool, redis, async () => queue, { attempts: config.attempts, keys: keysFor(config), onlyMissing: true, ...(crawl ? { crawlId: crawl.id } : {}) });
        const which = crawl ? `crawl ${JSON.stringify(crawl.name)}` : 'all crawls';
        process.stdout.write(`${which}: ${r.queued} queued page${r.queued === 1 ? '' : 's'}; ${r.added} had no queue job and got one back${r.ghosts > 0 ? ` (${r.ghosts} had a ghost job, with no data, removed first)` : ''}\n`);
      } finally {
        await resources.closeAll();
      }
    }),
  );
}
