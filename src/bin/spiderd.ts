#!/usr/bin/env node
/**
 * The `spiderd` command: the composition root. It only assembles the commands; the
 * daemon (src/daemon) and the client commands (src/cli) never import each other.
 */
import { Command } from 'commander';
import { registerCliCommands } from '../cli/commands.js';
import { registerDaemonCommands } from '../daemon/commands.js';
import { VERSION } from '../shared/version.js';

const program = new Command('spiderd')
  .description('a long-running web-crawler daemon with per-process memory profiling')
  .version(VERSION)
  .showHelpAfterError()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

registerDaemonCommands(program);
registerCliCommands(program);

await program.parseAsync(process.argv);
