/**
 * `spiderd start`: runs the daemon in the foreground (what systemd and Docker run). It never
 * listens on a port; it is controlled through signals and Redis.
 */
import { Option, type Command } from 'commander';
import path from 'node:path';
import { CONNECTION_KEYS, addConfigFlags, configFlagsFrom } from '../shared/config-flags.js';
import type { ConfigKey } from '../shared/config.js';
import { loadConfig } from '../shared/config.js';
import { runAction } from '../shared/cli-run.js';

const START_KEYS = [
  ...CONNECTION_KEYS,
  'daemonId',
  'workers',
  'concurrency',
  'maxConcurrency',
  'fetchDeadlineMs',
  'blockedLimitMs',
  'graceMs',
  'snapshotDir',
  'heapCapMb',
  'maxWorkerMemoryMb',
  'maxJobsPerWorker',
  'recycleOnLeak',
  'handler',
  'sampleIntervalMs',
  'allowPrivateNetworks',
  'robotsAgent',
  'userAgent',
  'handlerDirs',
] as const satisfies readonly ConfigKey[];

/** If something still holds the event loop after the daemon stopped, exit anyway after this long. */
const EXIT_SAFETY_MS = 5_000;

export function registerDaemonCommands(program: Command): void {
  const start = program
    .command('start')
    .description('run the crawler daemon in the foreground: a supervisor and its crawler processes (SIGTERM drains, a second one forces)');
  addConfigFlags(start, START_KEYS);
  // Tests point this at a misbehaving fixture; not part of the documented interface.
  start.addOption(new Option('--crawler-entry <file>', 'crawler process entry module').hideHelp());
  start.action(async (opts: Record<string, unknown>) => {
    await runAction(async () => {
      const config = loadConfig(configFlagsFrom(opts, START_KEYS));
      const entry = typeof opts.crawlerEntry === 'string' ? path.resolve(opts.crawlerEntry) : undefined;
      // Loaded here: a client command registers `start` too, and must not load the supervisor.
      const { runSupervisor } = await import('./supervisor.js');
      return runSupervisor(config, { crawlerEntry: entry });
    })();
    setTimeout(() => process.exit(), EXIT_SAFETY_MS).unref();
  });
}
