/**
 * `spiderd status [--crawl NAME] [--json] [--wait]`: crawls (from PostgreSQL and the queue)
 * and live daemons (from their Redis heartbeats). --json prints one stable document
 * (docs/status-json.md); --wait polls until the crawl is finished.
 */
import type { Command } from 'commander';
import { runAction } from '../shared/cli-run.js';
import { loadConfig } from '../shared/config.js';
import { CONNECTION_KEYS, addConfigFlags, configFlagsFrom } from '../shared/config-flags.js';
import type { Db } from '../shared/db/client.js';
import { SpiderdError } from '../shared/errors.js';
import { keysFor } from '../shared/keys.js';
import { Resources } from '../shared/lifecycle.js';
import { connectDb, findCrawl } from './connect-db.js';
import { connectRedis, openQueue } from './connect.js';
import { crawlName } from './crawl-name.js';
import { readCrawlStatuses, type CrawlRow } from './crawl-status.js';
import { readDaemonStatuses } from './daemon-status.js';
import { crawlText, daemonsText } from './status-text.js';
import { waitForCrawl } from './wait-for-crawl.js';

export const STATUS_JSON_VERSION = 1;

export function registerStatus(program: Command): void {
  const cmd = program
    .command('status')
    .description('crawls (discovered, queued, in flight, fetched, failed, skipped, pages/s) and live daemons on every host')
    .option('--crawl <name>', 'only this crawl')
    .option('--json', 'one JSON document (see docs/status-json.md)')
    .option('--wait', 'with --crawl: wait until the crawl is finished, then print its status');
  addConfigFlags(cmd, CONNECTION_KEYS);
  cmd.action(runAction(async (opts: Record<string, unknown>) => status(opts)));
}

async function status(opts: Record<string, unknown>): Promise<void> {
  if (opts.wait && opts.crawl === undefined) throw new SpiderdError('SPIDERD_BAD_INPUT', '--wait needs --crawl <name>');
  const config = loadConfig(configFlagsFrom(opts, CONNECTION_KEYS));
  const resources = new Resources();
  try {
    const redis = await connectRedis(config, resources);
    const db = await connectDb(config, resources);
    const queue = openQueue(redis, config, resources);
    const keys = keysFor(config);
    const crawls: CrawlRow[] = opts.crawl === undefined ? await allCrawls(db) : [await findCrawl(db, crawlName(opts.crawl))];
    let statuses = await readCrawlStatuses(db, queue, crawls);
    if (opts.wait) {
      const noDaemon = async () => ((await readDaemonStatuses(redis, keys)).length === 0 ? '  (no daemon running: `spiderd start`)' : '');
      statuses = [await waitForCrawl(async () => (await readCrawlStatuses(db, queue, crawls))[0]!, { note: noDaemon })];
    }
    const daemons = await readDaemonStatuses(redis, keys);
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ version: STATUS_JSON_VERSION, crawls: statuses, daemons }, null, 2)}\n`);
      return;
    }
    const crawlsText = statuses.length === 0 ? 'crawls: none yet (add one with `spiderd enqueue URL --crawl NAME`)' : statuses.map(crawlText).join('\n');
    process.stdout.write(`${crawlsText}\n${daemonsText(daemons)}\n`);
  } finally {
    await resources.closeAll();
  }
}

function allCrawls(db: Db): Promise<CrawlRow[]> {
  return db.crawl.findMany({ select: { id: true, name: true, createdAt: true, options: true }, orderBy: { id: 'asc' } });
}
