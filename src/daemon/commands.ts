import type { Command } from 'commander';

/** PLACEHOLDER: the daemon helper replaces this with `spiderd start`. */
export function registerDaemonCommands(_program: Command): void {}
