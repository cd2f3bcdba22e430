/**
 * The heap-hunting commands: `spiderd heap snapshot|diff|profile` and `spiderd cpu profile`.
 * Snapshots and profiles travel over the control channel (Redis pub/sub to the daemon, IPC
 * to the process); the diff works on files alone.
 */
import type { Command } from 'commander';
import { registerDiffCommand } from './diff-command.js';
import { registerProfileCommand } from './profile-command.js';
import { registerSnapshotCommand } from './snapshot-command.js';

export function registerHeapCommands(program: Command): void {
  const heap = program.command('heap').description('heap snapshots, heap diffs and sampling heap profiles of spiderd processes');
  registerSnapshotCommand(heap);
  registerDiffCommand(heap);
  registerProfileCommand(heap, 'heap-profile');
  const cpu = program.command('cpu').description('CPU profiles of spiderd processes');
  registerProfileCommand(cpu, 'cpu-profile');
}
