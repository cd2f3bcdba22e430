#!/usr/bin/env node
/**
 * The `spiderd` command: the composition root. It only assembles the commands; the
 * daemon (src/daemon) and the client commands (src/cli) never import each other.
 */
import { Command } from 'commander';
import { VERSION } from '../shared/version.js';

const program = new Command('spiderd')
  .description('a long-running web-crawler daemon with per-process memory profiling')
  .version(VERSION)
  .showHelpAfterError()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

// `start` loads only the daemon's modules: the supervisor then never loads Prisma or the client
// commands, which keeps its memory small. Every other invocation (and --help) gets every command.
const daemonOnly = process.argv[2] === 'start';
(await import('../daemon/commands.js')).registerDaemonCommands(program);
if (!daemonOnly) (await import('../cli/commands.js')).registerCliCommands(program);

await program.parseAsync(process.argv);
