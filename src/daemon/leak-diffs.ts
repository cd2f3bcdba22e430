/**
 * The supervisor's leak diff processes (src/workers/memory/leak-diff-process.ts): one per leak
 * report whose heap diff is still to run, started when a crawler process hands its report over
 * and is replaced. At shutdown they get the grace period to finish, then SIGTERM (the report
 * records that its diff was stopped), then SIGKILL.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Config } from '../shared/config.js';
import type { LeakDiffJob, LeakDiffStart } from '../shared/ipc.js';
import type { Logger } from '../shared/logger.js';

export const DEFAULT_LEAK_DIFF_ENTRY = fileURLToPath(new URL('../workers/memory/leak-diff-process.js', import.meta.url));
const TERM_WAIT_MS = 5_000;

export class LeakDiffs {
  private readonly running = new Set<ChildProcess>();

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
    private readonly entry = DEFAULT_LEAK_DIFF_ENTRY,
  ) {}

  start(job: LeakDiffJob): void {
    // Node's defaults, not the crawler's heap cap: the process only waits for its diff child.
    const child = fork(this.entry, [], { serialization: 'advanced', execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.running.add(child);
    child.once('exit', (code, signal) => {
      this.running.delete(child);
      if (code !== 0) this.log.warn({ reportId: job.reportId, code, signal }, 'leak diff process ended abnormally');
    });
    child.on('error', (err) => this.log.warn({ err, reportId: job.reportId }, 'leak diff process error'));
    child.send({ config: this.config, job } satisfies LeakDiffStart);
    this.log.info({ reportId: job.reportId, workerId: job.workerId, diffPid: child.pid ?? null }, 'leak report handed to a diff process');
  }

  /** Waits up to graceMs for running diffs, then stops them. */
  async stop(graceMs: number): Promise<void> {
    if (this.running.size === 0) return;
    this.log.info({ diffs: this.running.size, graceMs }, 'waiting for leak diff processes');
    if (!(await this.allExit(graceMs))) {
      for (const child of this.running) child.kill('SIGTERM');
      if (!(await this.allExit(TERM_WAIT_MS))) this.killAll();
    }
  }

  killAll(): void {
    for (const child of this.running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  private allExit(ms: number): Promise<boolean> {
    const exits = [...this.running].map((c) => new Promise<void>((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve() : c.once('exit', () => resolve()))));
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      void Promise.all(exits).then(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}
