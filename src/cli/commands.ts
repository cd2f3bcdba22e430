/**
 * The client commands. One file per command; each registers itself. A run loads only the
 * command it names, so `spiderd enqueue` does not load the export's, the heap tools' or the
 * Prisma Client's modules; a bare `spiderd`, --help and an unknown name load them all.
 */
import type { Command } from 'commander';

type Register = (program: Command) => void;

/** In --help order: the names a module registers, and how to load it. */
const COMMANDS: Array<[names: string[], load: () => Promise<Register>]> = [
  [['enqueue'], async () => (await import('./enqueue.js')).registerEnqueue],
  [['status'], async () => (await import('./status.js')).registerStatus],
  [['export'], async () => (await import('./export.js')).registerExport],
  [['migrate'], async () => (await import('./migrate.js')).registerMigrate],
  [['recrawl'], async () => (await import('./recrawl.js')).registerRecrawl],
  [['requeue'], async () => (await import('./requeue.js')).registerRequeue],
  [['demo'], async () => (await import('./demo.js')).registerDemo],
  [['mem'], async () => (await import('./mem/register.js')).registerMemCommands],
  [['heap', 'cpu'], async () => (await import('./heap/register.js')).registerHeapCommands],
];

/** Registers the command named `name`, or every command when `name` is none of theirs. */
export async function registerCliCommands(program: Command, name?: string): Promise<void> {
  const named = COMMANDS.filter(([names]) => name !== undefined && names.includes(name));
  for (const [, load] of named.length > 0 ? named : COMMANDS) (await load())(program);
}
