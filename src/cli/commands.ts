import type { Command } from 'commander';

/** PLACEHOLDER: the CLI helper replaces this with the real commands. */
export function registerCliCommands(_program: Command): void {}
