/**
 * The options every control command shares (which process, which daemon, how long to wait),
 * and the printing of the daemons' answers.
 */
import { Option, type Command } from 'commander';
import { loadConfig, type Config, type ConfigKey } from '../../shared/config.js';
import { addConfigFlags, configFlagsFrom } from '../../shared/config-flags.js';
import { EXIT } from '../../shared/cli-run.js';
import type { ControlTarget } from '../../shared/control.js';
import { SpiderdError } from '../../shared/errors.js';
import type { DaemonAnswer } from './control-request.js';
import { formatBytes } from './format.js';

const KEYS = ['redisUrl', 'redisCluster', 'queueShards', 'prefix'] as const satisfies readonly ConfigKey[];

export interface TargetFlags {
  worker?: string;
  pid?: string;
  supervisor?: boolean;
  all?: boolean;
  daemon?: string;
  timeout?: string;
  [key: string]: unknown;
}

export function addTargetOptions(cmd: Command, withAll: boolean): Command {
  cmd.option('--worker <id>', 'a crawler process by worker id (w1, w2, ...)').option('--pid <pid>', 'a process by pid').option('--supervisor', 'the supervisor process');
  if (withAll) cmd.option('--all', 'the supervisor and every crawler process');
  cmd.option('--daemon <id>', 'only this daemon (default: every live daemon)');
  cmd.addOption(new Option('--timeout <seconds>', 'seconds to wait for the answer (for a profile: after the recording)').default('120'));
  return addConfigFlags(cmd, KEYS);
}

export function configFrom(flags: TargetFlags): Config {
  return loadConfig(configFlagsFrom(flags, KEYS));
}

export function targetFrom(flags: TargetFlags): ControlTarget {
  const chosen: ControlTarget[] = [];
  if (flags.worker !== undefined) chosen.push({ kind: 'worker', workerId: flags.worker });
  if (flags.pid !== undefined) {
    const pid = Number(flags.pid);
    if (!Number.isSafeInteger(pid) || pid <= 0) throw new SpiderdError('SPIDERD_BAD_INPUT', `--pid must be a positive integer, got ${JSON.stringify(flags.pid)}`);
    chosen.push({ kind: 'pid', pid });
  }
  if (flags.supervisor) chosen.push({ kind: 'supervisor' });
  if (flags.all) chosen.push({ kind: 'all' });
  if (chosen.length !== 1) {
    throw new SpiderdError('SPIDERD_BAD_INPUT', `name exactly one target: --worker ID, --pid PID, --supervisor${flags.all === undefined ? '' : ' or --all'}`);
  }
  const target = chosen[0]!;
  if (target.kind === 'worker' && !/^[A-Za-z0-9_.-]{1,100}$/.test(target.workerId)) {
    throw new SpiderdError('SPIDERD_BAD_INPUT', `--worker must be a worker id such as w1, got ${JSON.stringify(target.workerId)}`);
  }
  return target;
}

export function secondsFrom(raw: string | undefined, flag: string, max: number): number {
  const n = Number(raw);
  if (raw === undefined || !Number.isFinite(n) || n <= 0 || n > max) throw new SpiderdError('SPIDERD_BAD_INPUT', `${flag} must be a number of seconds between 1 and ${max}, got ${JSON.stringify(raw)}`);
  return n;
}

/**
 * Prints each file written (stdout) and each failure (stderr). Exit 0 when all asked-for
 * processes answered with files; NO_TARGET (exit 2) when nothing matched anywhere.
 */
export function printAnswers(answers: DaemonAnswer[]): number {
  const many = answers.length > 1;
  const ok = answers.flatMap((a) => a.results.filter((r) => r.ok).map((r) => ({ daemonId: a.daemonId, r })));
  let failures = answers.flatMap((a) => a.results.filter((r) => !r.ok).map((r) => ({ daemonId: a.daemonId, r })));
  // Asking every daemon for w1: the daemons without a w1 are not failures when another had it.
  if (ok.length > 0 && many) failures = failures.filter((f) => f.r.ok || f.r.code !== 'SPIDERD_CONTROL_NO_TARGET');
  for (const { daemonId, r } of ok) {
    if (!r.ok) continue;
    for (const f of r.files) process.stdout.write(`${many ? `${daemonId} ` : ''}${r.workerId} pid ${r.pid}: ${f.path} (${formatBytes(f.bytes)})\n`);
  }
  const codes = new Set<string>();
  for (const { daemonId, r } of failures) {
    if (r.ok) continue;
    codes.add(r.code);
    const who = r.workerId === undefined ? daemonId : `${daemonId} ${r.workerId}${r.pid === undefined ? '' : ` pid ${r.pid}`}`;
    process.stderr.write(`spiderd: ${r.code}: ${who}: ${r.message}\n`);
  }
  if (codes.size === 0) return EXIT.ok;
  const badInput = [...codes].every((c) => c === 'SPIDERD_CONTROL_NO_TARGET' || c === 'SPIDERD_CONTROL_INVALID');
  return ok.length === 0 && badInput ? EXIT.badInput : EXIT.failure;
}
