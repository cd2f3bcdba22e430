/** The client commands. One file per command; each registers itself here. */
import type { Command } from 'commander';
import { registerDemo } from './demo.js';
import { registerEnqueue } from './enqueue.js';
import { registerExport } from './export.js';
import { registerHeapCommands } from './heap/register.js';
import { registerMemCommands } from './mem/register.js';
import { registerMigrate } from './migrate.js';
import { registerRequeue } from './requeue.js';
import { registerStatus } from './status.js';

export function registerCliCommands(program: Command): void {
  registerEnqueue(program);
  registerStatus(program);
  registerExport(program);
  registerMigrate(program);
  registerRequeue(program);
  registerDemo(program);
  registerMemCommands(program);
  registerHeapCommands(program);
}
