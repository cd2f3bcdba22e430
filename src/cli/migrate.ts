/** `spiderd migrate`: applies pending migrations and says which (or that the database is up to date). */
import type { Command } from 'commander';
import { runAction } from '../shared/cli-run.js';
import { loadConfig } from '../shared/config.js';
import { CONNECTION_KEYS, addConfigFlags, configFlagsFrom } from '../shared/config-flags.js';
import { redactUrl } from '../shared/redact.js';
import { migrateOrExplain } from './connect.js';

export function registerMigrate(program: Command): void {
  const cmd = program.command('migrate').description('apply pending database migrations (creates the database if it does not exist)');
  addConfigFlags(cmd, CONNECTION_KEYS);
  cmd.action(
    runAction(async (opts: Record<string, unknown>) => {
      const config = loadConfig(configFlagsFrom(opts, CONNECTION_KEYS));
      const result = await migrateOrExplain(config.databaseUrl);
      const target = redactUrl(config.databaseUrl);
      if (result.applied.length === 0) {
        process.stdout.write(`${target}: up to date (${result.alreadyApplied} migration${result.alreadyApplied === 1 ? '' : 's'} applied before)\n`);
      } else {
        for (const name of result.applied) process.stdout.write(`applied ${name}\n`);
        process.stdout.write(`${target}: ${result.applied.length} migration${result.applied.length === 1 ? '' : 's'} applied\n`);
      }
    }),
  );
}
