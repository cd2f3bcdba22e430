/**
 * `spiderd heap diff A B`: which classes grew between two snapshots, and for the top growers
 * what keeps them alive.
 */
import type { Command } from 'commander';
import { SpiderdError } from '../../shared/errors.js';
import { diffHeapSnapshots, type HeapDiff } from '../../shared/heap/diff.js';
import { RETAINER_PATHS } from '../../shared/heap/diff-core.js';
import { formatBytes, signed, table } from './format.js';
import { runAction } from '../../shared/cli-run.js';

export function registerDiffCommand(heap: Command): void {
  heap
    .command('diff')
    .description('per class: growth in count and self size from snapshot A to B, retained size, and retainer paths of the top growers')
    .argument('<a>', 'the earlier .heapsnapshot')
    .argument('<b>', 'the later .heapsnapshot')
    .option('--top <n>', 'how many classes to show', '20')
    .option('--same-process', "A and B are a leak investigation's snapshots (leak-N-a, leak-N-b): rank classes by what their new instances hold")
    .option('--json', 'print the diff as JSON')
    .action(
      runAction(async (a: string, b: string, flags: { top: string; json?: boolean; sameProcess?: boolean }) => {
        const top = Number(flags.top);
        if (!Number.isSafeInteger(top) || top < 1 || top > 100_000) throw new SpiderdError('SPIDERD_BAD_INPUT', `--top must be a whole number from 1 to 100000, got ${JSON.stringify(flags.top)}`);
        const diff = await diffHeapSnapshots(a, b, { top, sameProcess: flags.sameProcess === true });
        process.stdout.write(flags.json ? `${JSON.stringify(diff, null, 2)}\n` : renderDiff(diff));
      }),
    );
}

export function renderDiff(diff: HeapDiff): string {
  const lines: string[] = [];
  lines.push(`A: ${diff.a.path} (${diff.a.nodes} objects, ${formatBytes(diff.a.totalSelfSize)})`);
  lines.push(`B: ${diff.b.path} (${diff.b.nodes} objects, ${formatBytes(diff.b.totalSelfSize)})`);
  const growth = diff.b.totalSelfSize - diff.a.totalSelfSize;
  lines.push(`heap ${signed(formatBytes(growth), growth)}, objects ${signed(String(diff.b.nodes - diff.a.nodes), diff.b.nodes - diff.a.nodes)}`, '');
  const held = diff.classes.some((c) => c.heldByNew !== null);
  const rows = [['class', 'count B', '+count', '+self size', 'retained (B)', ...(held ? ['new hold'] : [])]];
  for (const c of diff.classes) {
    rows.push([c.name.slice(0, 60), String(c.countB), signed(String(c.countDelta), c.countDelta), signed(formatBytes(c.selfSizeDelta), c.selfSizeDelta), formatBytes(c.retainedSizeB), ...(held ? [formatBytes(c.heldByNew ?? 0)] : [])]);
  }
  lines.push(table(rows));
  const paths = diff.classes.slice(0, RETAINER_PATHS).filter((c) => c.retainerPath !== null);
  if (paths.length > 0) {
    lines.push('', 'What keeps the top growers alive (one sample instance each, towards a GC root):');
    for (const c of paths) lines.push(`  ${c.name}`, ...c.retainerPath!.map((step) => `    <- ${step}`));
  }
  return `${lines.join('\n')}\n`;
}
