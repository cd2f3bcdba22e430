/**
 * `spiderd heap profile` (sampling heap profile, .heapprofile) and `spiderd cpu profile`
 * (.cpuprofile): the process records for --seconds while it keeps working, then writes the
 * file into its daemon's snapshot directory.
 */
import type { Command } from 'commander';
import { MAX_PROFILE_SECONDS } from '../../shared/control.js';
import { sendControlRequest } from './control-request.js';
import { runAction } from '../../shared/cli-run.js';
import { addTargetOptions, configFrom, printAnswers, secondsFrom, targetFrom, type TargetFlags } from './target-options.js';

export function registerProfileCommand(parent: Command, kind: 'heap-profile' | 'cpu-profile'): void {
  const what = kind === 'heap-profile' ? 'a sampling heap profile (.heapprofile)' : 'a CPU profile (.cpuprofile)';
  const cmd = parent
    .command('profile')
    .description(`record ${what} of a process for some seconds (loadable in Chrome DevTools)`)
    .requiredOption('--seconds <n>', `how long to record (1-${MAX_PROFILE_SECONDS})`)
    .option('--label <text>', 'a word added to the file name');
  addTargetOptions(cmd, false).action(
    runAction(async (flags: TargetFlags & { seconds?: string; label?: string }) => {
      const target = targetFrom(flags);
      const seconds = Math.round(secondsFrom(flags.seconds, '--seconds', MAX_PROFILE_SECONDS));
      // --timeout counts after the recording ends.
      const timeoutMs = (Math.max(1, seconds) + secondsFrom(flags.timeout, '--timeout', 86_400)) * 1000;
      const config = configFrom(flags);
      const answers = await sendControlRequest(config, { daemonId: flags.daemon, target, action: { kind, seconds: Math.max(1, seconds) }, label: flags.label?.slice(0, 200), timeoutMs });
      return printAnswers(answers);
    }),
  );
}
