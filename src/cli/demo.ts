/**
 * `spiderd demo`: crawls the bundled sample site with the real daemon, end to end, and prints
 * what happened. The demo uses its own Redis prefix (`<prefix>-demo`) and its own database
 * (`<database>_demo`), so it never mixes with a production deployment on the same servers
 * (a daemon re-queues every crawl of its database when its Redis prefix is new).
 */
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { startSampleSite, type SampleSite } from '../sample-site/index.js';
import { EXIT, runAction } from '../shared/cli-run.js';
import { loadConfig, type Config } from '../shared/config.js';
import { CONNECTION_KEYS, addConfigFlags, configFlagsFrom } from '../shared/config-flags.js';
import { SpiderdError } from '../shared/errors.js';
import { prismaTransactions } from '../shared/db/client.js';
import { Resources } from '../shared/lifecycle.js';
import { redactUrl } from '../shared/redact.js';
import { addSeeds } from './add-seeds.js';
import { connectDb, findCrawl } from './connect-db.js';
import { keysFor } from '../shared/keys.js';
import { connectRedis, openQueue } from './connect.js';
import { readCrawlStatuses } from './crawl-status.js';
import { startDemoDaemon, type DemoDaemon } from './demo-daemon.js';
import { removeStaleDemoState } from './demo-cleanup.js';
import { LEAK_DEMO_PAGES, LEAKY_HANDLER, leakDaemonSettings, showLeak, waitForLeakReport } from './demo-leak.js';
import { demoSummary, lookFurther } from './demo-summary.js';
import { waitForCrawl } from './wait-for-crawl.js';

/** Give up when nothing moved for this long (the daemon's log says why). */
const STALL_MS = 120_000;

export function registerDemo(program: Command): void {
  const cmd = program
    .command('demo')
    .description('crawl the bundled sample site with a real daemon and print a summary (needs Redis and PostgreSQL)')
    .option('--pages <n>', `pages in the sample site (default: 300; ${LEAK_DEMO_PAGES} with --leak)`)
    .option('--workers <n>', 'crawler processes (default: 2; 1 with --leak)')
    .option('--leak', 'run the bundled leaky example handler with --recycle-on-leak until the leak sentinel stores a report, then show `spiderd mem` and the report');
  addConfigFlags(cmd, CONNECTION_KEYS);
  cmd.action(runAction(async (opts: Record<string, unknown>) => demo(opts)));
}

function intFlag(name: string, raw: unknown, min: number, max: number): number {
  const n = Number(raw);
  if (typeof raw !== 'string' || !/^\d+$/.test(raw.trim()) || n < min || n > max) {
    throw new SpiderdError('SPIDERD_BAD_INPUT', `${name} ${JSON.stringify(raw)}: must be a whole number from ${min} to ${max}`);
  }
  return n;
}

/** The same server, database name + "_demo". */
export function demoDatabaseUrl(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1)) || 'spiderd';
  url.pathname = `/${encodeURIComponent(`${name}_demo`)}`;
  return url.toString();
}

async function demo(opts: Record<string, unknown>): Promise<number> {
  const leak = opts.leak === true;
  const pages = intFlag('--pages', opts.pages ?? String(leak ? LEAK_DEMO_PAGES : 300), 1, 1_000_000);
  const workers = intFlag('--workers', opts.workers ?? (leak ? '1' : '2'), 1, 64);
  const daemonId = `demo-${process.pid}`;
  const leakSettings = leak ? leakDaemonSettings(path.join(os.tmpdir(), `spiderd-demo-snapshots-${process.pid}`)) : null;
  const base = loadConfig(configFlagsFrom(opts, CONNECTION_KEYS));
  const config: Config = Object.freeze({ ...base, prefix: `${base.prefix}-demo`, databaseUrl: demoDatabaseUrl(base.databaseUrl) });
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const resources = new Resources();
  let site: SampleSite | null = null;
  let daemon: DemoDaemon | null = null;
  let interrupted: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted = signal;
    process.stderr.write(`\n${signal}: stopping the demo...\n`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const redis = await connectRedis(config, resources);
    const db = await connectDb(config, resources, { migrate: true });
    const queue = openQueue(redis, config, resources);
    const removed = await removeStaleDemoState(db, redis, queue, keysFor(config));
    if (removed) out(`removed ${removed} unfinished earlier demo crawl${removed === 1 ? '' : 's'}`);
    site = await startSampleSite({ pages });
    out(`sample site: ${site.origin} (${pages} pages)`);
    const logFile = path.join(os.tmpdir(), `spiderd-demo-${Date.now()}.log`);
    daemon = startDemoDaemon({
      // The sample site listens on 127.0.0.1, which a daemon refuses by default (SSRF guard).
      args: ['--workers', String(workers), '--concurrency', '8', '--prefix', config.prefix, '--log-level', 'info', '--allow-private-networks', '--daemon-id', daemonId, ...(leakSettings?.args ?? [])],
      env: { ...process.env, REDIS_URL: config.redisUrl, SPIDERD_REDIS_CLUSTER: String(config.redisCluster), SPIDERD_QUEUE_SHARDS: String(config.queueShards), DATABASE_URL: config.databaseUrl, ...leakSettings?.env },
      logFile,
    });
    out(`daemon: pid ${daemon.pid}, ${workers} crawler processes, Redis prefix ${config.prefix}, database ${redactUrl(config.databaseUrl)}`);
    out(`daemon log: ${logFile}`);
    if (leak) out(`handler: ${LEAKY_HANDLER} (keeps every page in a module-level array), --recycle-on-leak; leak sentinel scaled down: warm-up 300 jobs, snapshots 100 jobs apart`);
    const name = `demo-${new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}`;
    const started = Date.now();
    await addSeeds(prismaTransactions(db), queue, { name, options: { perHostDelayMs: 0, perHostConcurrency: 8 }, seeds: [site.seedUrl], attempts: config.attempts });
    out(`crawl "${name}": seeded with ${site.seedUrl}`);
    const crawl = await findCrawl(db, name);
    let lastDone = -1;
    let lastMove = Date.now();
    const final = await waitForCrawl(
      async () => {
        const [s] = await readCrawlStatuses(db, queue, [crawl]);
        const done = s!.fetched + s!.failed + s!.skipped + s!.redirected;
        if (done !== lastDone) [lastDone, lastMove] = [done, Date.now()];
        return s!;
      },
      {
        check: () => {
          if (interrupted) throw new SpiderdError('SPIDERD_SHUTDOWN_FORCED', `interrupted by ${interrupted}`);
          if (daemon?.exit) throw new SpiderdError('SPIDERD_INTERNAL', `the daemon exited early (code ${daemon.exit.code}, signal ${daemon.exit.signal}); see ${logFile}`);
          if (Date.now() - lastMove > STALL_MS) throw new SpiderdError('SPIDERD_INTERNAL', `no progress for ${STALL_MS / 1000} s; see ${logFile}`);
        },
      },
    );
    out(demoSummary(final, site, Date.now() - started));
    if (leak) {
      const stopIfGone = () => {
        if (interrupted) throw new SpiderdError('SPIDERD_SHUTDOWN_FORCED', `interrupted by ${interrupted}`);
        if (daemon?.exit) throw new SpiderdError('SPIDERD_INTERNAL', `the daemon exited early; see ${logFile}`);
      };
      await waitForLeakReport(db, daemonId, stopIfGone);
      await showLeak(config, db, daemonId, out);
    }
    const exit = await daemon.stop(base.graceMs + 15_000);
    out(`daemon stopped (exit code ${exit.code ?? `signal ${exit.signal}`})`);
    if (exit.code !== 0) throw new SpiderdError('SPIDERD_INTERNAL', `the daemon did not exit cleanly (code ${exit.code}, signal ${exit.signal}); see ${logFile}`);
    out(lookFurther(name, config.prefix, redactUrl(config.databaseUrl)));
    return EXIT.ok;
  } catch (err) {
    if (interrupted) {
      process.stderr.write('demo interrupted\n');
      return 130;
    }
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (daemon && !daemon.exit) await daemon.stop(base.graceMs + 15_000);
    await site?.close();
    await resources.closeAll();
  }
}
