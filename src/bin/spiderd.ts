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
// commands, which keeps its memory small. A client command loads only its own modules (quick
// to start); a bare `spiderd`, --help and an unknown name get every command.
const name = process.argv[2];
(await import('../daemon/commands.js')).registerDaemonCommands(program);
if (name !== 'start') await (await import('../cli/commands.js')).registerCliCommands(program, name);

await program.parseAsync(process.argv);
