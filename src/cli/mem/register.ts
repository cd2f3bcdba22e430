/** Registers `spiderd mem` (memory of every process of every live daemon). */
import type { Command } from 'commander';
import { runAction } from '../../shared/cli-run.js';
import { loadConfig, type ConfigKey } from '../../shared/config.js';
import { addConfigFlags, configFlagsFrom, CONNECTION_KEYS } from '../../shared/config-flags.js';
import { runMem } from './run-mem.js';

const KEYS: readonly ConfigKey[] = [...CONNECTION_KEYS, 'sampleIntervalMs'];

export function registerMemCommands(program: Command): void {
  const cmd = program
    .command('mem')
    .description('memory of every process of every live daemon: usage, post-GC heap trend, leak verdict, latest leak report')
    .option('--json', 'print a JSON document (see docs/mem-json.md)')
    .option('--watch', 'redraw in place every sample interval (on a terminal)')
    .option('--chart <file.svg>', 'also write an SVG chart of rss and post-GC heap over time')
    .option('--daemon <id>', 'only this daemon');
  addConfigFlags(cmd, KEYS);
  cmd.action(
    runAction(async (opts: Record<string, unknown>) => {
      const config = loadConfig(configFlagsFrom(opts, KEYS));
      return runMem(config, {
        json: opts.json === true,
        watch: opts.watch === true,
        ...(typeof opts.chart === 'string' ? { chart: opts.chart } : {}),
        ...(typeof opts.daemon === 'string' ? { daemon: opts.daemon } : {}),
      });
    }),
  );
}
