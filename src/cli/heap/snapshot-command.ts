/** `spiderd heap snapshot`: asks a process to write a .heapsnapshot into its daemon's snapshot directory. */
import type { Command } from 'commander';
import { sendControlRequest } from './control-request.js';
import { runAction } from '../../shared/cli-run.js';
import { addTargetOptions, configFrom, printAnswers, secondsFrom, targetFrom, type TargetFlags } from './target-options.js';

export function registerSnapshotCommand(heap: Command): void {
  const cmd = heap
    .command('snapshot')
    .description("write a .heapsnapshot of a process into its daemon's snapshot directory (loadable in Chrome DevTools)")
    .option('--label <text>', 'a word added to the file name (letters, digits, . and - are kept)');
  addTargetOptions(cmd, true).action(
    runAction(async (flags: TargetFlags & { label?: string }) => {
      const target = targetFrom(flags);
      const timeoutMs = secondsFrom(flags.timeout, '--timeout', 86_400) * 1000;
      const config = configFrom(flags);
      const answers = await sendControlRequest(config, { daemonId: flags.daemon, target, action: { kind: 'heap-snapshot' }, label: flags.label?.slice(0, 200), timeoutMs });
      return printAnswers(answers);
    }),
  );
}
