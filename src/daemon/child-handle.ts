/**
 * One crawler slot (w1, w2, ...): forks the crawler process, handles its IPC messages with an
 * exhaustive switch, keeps its state for the heartbeat, and replaces it when it exits:
 * at once after an announced drain (a recycle), after a backoff after a crash, never again
 * after a crash loop (the slot is then 'failed').
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { Config } from '../shared/config.js';
import { SpiderdError, coerceError } from '../shared/errors.js';
import { assertNever, isMessage, type ChildMessage, type DrainReason, type LeakDiffJob, type ParentMessage } from '../shared/ipc.js';
import type { Logger } from '../shared/logger.js';
import type { MemSample } from '../shared/mem-sample.js';
import type { ProcessRecord, ProcessState } from '../shared/presence.js';
import { LoopWatchdog } from './loop-watchdog.js';
import { findOomSnapshot } from './oom-snapshot.js';
import { afterCrash, NO_CRASHES, type CrashHistory } from './restart-policy.js';
import { PendingControls, type ControlRequest, type ControlResult, type SlotSummary } from './slot-control.js';

export interface SlotOptions {
  workerId: string;
  /** The crawler process entry (dist/src/workers/main.js). */
  entry: string;
  execArgv: string[];
  /** The process's environment (supervisor.ts crawlerEnv). */
  env: NodeJS.ProcessEnv;
  config: Config;
  log: Logger;
  onSample(workerId: string, sample: MemSample): void;
  /** The process died without a clean drain (crash, kill): it may have left pages unqueued. */
  onAbnormalExit(workerId: string): void;
  /** The slot crash-looped and will not be restarted. */
  onFailed(workerId: string): void;
  /** The process stored a leak report whose heap diff is still to run (it is being replaced). */
  onLeakDiff(job: LeakDiffJob): void;
}

export class ChildHandle {
  readonly workerId: string;
  private readonly log: Logger;
  private child: ChildProcess | null = null;
  private state: ProcessState = 'starting';
  private startedAt = 0;
  private jobsDone = 0;
  /** Restarts after crashes (recycles are not counted: they are the process working as designed). */
  private restarts = 0;
  private lastSample: MemSample | null = null;
  private history: CrashHistory = NO_CRASHES;
  private drainNotice: { reason: DrainReason; detail: string } | null = null;
  private fatal: { code: string; message: string } | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  private readonly watchdog = new LoopWatchdog();
  private watchTimer: NodeJS.Timeout | null = null;
  /** Set when the watchdog killed the process, so its death is reported as a blocked loop. */
  private blocked: { stuckMs: number } | null = null;
  private stopping = false;
  private exitWaiters: Array<() => void> = [];
  private readonly pending = new PendingControls();

  constructor(private readonly opts: SlotOptions) {
    this.workerId = opts.workerId;
    this.log = opts.log.child({ workerId: opts.workerId });
  }

  start(): void {
    this.restartTimer = null;
    if (this.stopping) return;
    const { config } = this.opts;
    this.drainNotice = null;
    this.fatal = null;
    this.lastSample = null;
    this.jobsDone = 0;
    this.state = 'starting';
    this.startedAt = Date.now();
    this.watchdog.reset();
    this.blocked = null;
    this.watchTimer ??= setInterval(() => this.checkLoop(), 1_000);
    this.watchTimer.unref();
    const child = fork(this.opts.entry, [], { serialization: 'advanced', execArgv: this.opts.execArgv, env: this.opts.env });
    this.child = child;
    child.on('message', (raw) => this.onMessage(child, raw));
    child.on('error', (err) => this.log.warn({ err, childPid: child.pid ?? null }, 'crawler process error'));
    child.once('exit', (code, signal) => this.onExit(child, code, signal));
    this.send(child, { type: 'init', config, daemonId: config.daemonId, workerId: this.workerId });
    this.log.info({ childPid: child.pid ?? null, restarts: this.restarts }, 'crawler process started');
  }

  /** Asks the process to drain (finish in-flight pages within graceMs) and resolves when it has exited. */
  stop(graceMs: number): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const child = this.child;
    if (!child) return Promise.resolve();
    this.state = 'draining';
    const exited = new Promise<void>((resolve) => this.exitWaiters.push(resolve));
    this.send(child, { type: 'shutdown', graceMs });
    return exited;
  }

  /** SIGKILLs the live process, synchronously; returns its pid, or null when there was none. */
  kill(): number | null {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return null;
    child.kill('SIGKILL');
    return child.pid ?? null;
  }

  get failed(): boolean {
    return this.state === 'failed';
  }

  sendControl(msg: ControlRequest, timeoutMs?: number): Promise<ControlResult> {
    const child = this.child;
    if (!child || this.state !== 'running') {
      return Promise.reject(new SpiderdError('SPIDERD_CONTROL_NO_TARGET', `crawler slot ${this.workerId} has no running process (state ${this.state})`));
    }
    const result = this.pending.wait(msg.requestId, timeoutMs, `crawler process ${this.workerId} (pid ${child.pid})`);
    this.send(child, msg, (err) => this.pending.fail(msg.requestId, new SpiderdError('SPIDERD_CONTROL_NO_TARGET', `cannot reach crawler process ${this.workerId}: ${err.message}`, { cause: err })));
    return result;
  }

  summary(): SlotSummary {
    return { workerId: this.workerId, pid: this.child?.pid ?? null, state: this.state, jobsDone: this.jobsDone };
  }

  record(): ProcessRecord {
    const { workerId, pid, state, jobsDone } = this.summary();
    return { workerId, pid, startedAt: this.startedAt, jobsDone, restarts: this.restarts, state, lastSample: this.lastSample };
  }

  private send(child: ChildProcess, msg: ParentMessage, onError?: (err: Error) => void): void {
    if (!child.connected) {
      onError?.(new Error('IPC channel closed'));
      return;
    }
    child.send(msg, (err: Error | null) => {
      if (!err) return;
      this.log.debug({ err, type: msg.type }, 'IPC send failed');
      onError?.(err);
    });
  }

  private onMessage(child: ChildProcess, raw: unknown): void {
    if (child !== this.child) return;
    if (!isMessage<ChildMessage>(raw)) {
      this.log.warn({ raw: String(raw).slice(0, 200) }, 'malformed IPC message from crawler process');
      return;
    }
    try {
      this.handle(raw);
    } catch (err) {
      this.log.warn({ err: coerceError(err) }, 'unexpected IPC message from crawler process');
    }
  }

  private handle(msg: ChildMessage): void {
    switch (msg.type) {
      case 'alive':
        this.watchdog.alive(Date.now());
        return;
      case 'ready':
        if (this.state === 'starting') this.state = 'running';
        this.log.info({ childPid: this.child?.pid ?? null }, 'crawler process ready');
        return;
      case 'stats':
        this.lastSample = msg.sample;
        this.jobsDone = msg.sample.jobsDone;
        this.opts.onSample(this.workerId, msg.sample);
        return;
      case 'draining':
        this.drainNotice = { reason: msg.reason, detail: msg.detail };
        this.jobsDone = Math.max(this.jobsDone, msg.jobsDone); // a recycle can come before the next sample
        this.state = 'draining';
        this.log.info({ reason: msg.reason, detail: msg.detail }, 'crawler process is draining');
        return;
      case 'control-result':
        if (!this.pending.settle(msg)) this.log.warn({ requestId: msg.requestId }, 'control result nobody waits for (late or unknown)');
        return;
      case 'blocking':
        this.watchdog.blocking(Date.now(), msg.expectedMs);
        this.log.info({ expectedMs: msg.expectedMs, what: msg.what }, 'crawler process is about to block its event loop on purpose');
        return;
      case 'leak-diff':
        this.opts.onLeakDiff(msg.job);
        return;
      case 'fatal':
        this.fatal = { code: msg.code, message: msg.message };
        this.log.error({ code: msg.code, detail: msg.message }, 'crawler process reported a fatal error');
        return;
      default:
        assertNever(msg, 'crawler process message');
    }
  }

  /** Kills a process whose event loop has not answered for longer than blockedLimitMs; it is then replaced like a crash. */
  private checkLoop(): void {
    const child = this.child;
    if (!child || this.blocked || child.exitCode !== null || child.signalCode !== null) return;
    const stuckMs = this.watchdog.stuckFor(Date.now());
    if (stuckMs <= this.opts.config.blockedLimitMs) return;
    this.blocked = { stuckMs };
    this.log.error(
      { code: 'SPIDERD_WORKER_BLOCKED', childPid: child.pid ?? null, stuckMs, limitMs: this.opts.config.blockedLimitMs, lastSample: this.lastSample },
      `crawler process ${this.workerId} has not answered for ${Math.round(stuckMs / 1000)} s (its event loop is blocked); killing it`,
    );
    child.kill('SIGKILL');
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child) return;
    this.child = null;
    const pid = child.pid ?? -1;
    this.pending.failAll(new SpiderdError('SPIDERD_CONTROL_NO_TARGET', `crawler process ${this.workerId} (pid ${pid}) exited before answering`));
    for (const resolve of this.exitWaiters.splice(0)) resolve();
    const clean = code === 0 && (this.drainNotice !== null || this.stopping);
    if (!clean) this.opts.onAbnormalExit(this.workerId);
    if (this.stopping) {
      if (this.watchTimer) clearInterval(this.watchTimer);
      this.watchTimer = null;
      this.log.info({ childPid: pid, exitCode: code, signal }, 'crawler process exited');
    } else if (clean) {
      this.logRecycle(pid);
      this.start();
    } else {
      void this.onCrash(pid, code, signal).catch((err: unknown) => this.log.error({ err: coerceError(err) }, 'handling a crawler process death failed'));
    }
  }

  /** A planned recycle (max-jobs) is routine; one for memory or a leak is worth an operator's eye. */
  private logRecycle(pid: number): void {
    const reason = this.drainNotice?.reason;
    const fields = { childPid: pid, reason, detail: this.drainNotice?.detail, jobsDone: this.jobsDone, lastSample: this.lastSample };
    if (this.jobsDone === 0) {
      // It will do so again at once: most likely a limit below what a fresh process needs.
      this.log.warn(fields, "crawler process recycled before finishing a single page (is --max-worker-memory below a fresh process's RSS?); starting a new one");
    } else if (reason === 'leak' || reason === 'max-memory') {
      this.log.warn(fields, `crawler process recycled (${reason}); starting a new one`);
    } else {
      this.log.info(fields, 'crawler process recycled; starting a new one');
    }
  }

  private async onCrash(pid: number, code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    const now = Date.now();
    const { config } = this.opts;
    const decision = afterCrash(this.history, this.startedAt, now, config);
    this.history = decision.history;
    this.state = 'restarting'; // 'failed' only once the give-up is logged: the last failed slot ends the daemon
    const snapshot = await findOomSnapshot(config.snapshotDir, pid, this.startedAt - 1_000, { maxFiles: config.snapshotMaxFiles, maxBytes: config.snapshotMaxBytes });
    const why = this.blocked ? 'was killed because its event loop was blocked' : code === 0 ? 'exited without announcing a drain' : snapshot ? 'died out of heap memory' : 'died';
    this.log.error(
      { childPid: pid, exitCode: code, signal, ranMs: now - this.startedAt, lastSample: this.lastSample, fatal: this.fatal, heapSnapshot: snapshot?.path ?? null },
      `crawler process ${why}${snapshot ? `; heap snapshot ${snapshot.path}` : ''}`,
    );
    if (this.stopping) return;
    if (decision.action === 'give-up') {
      this.log.error(
        { code: 'SPIDERD_WORKER_CRASH_LOOP', crashes: decision.crashesInWindow, crashWindowMs: config.crashWindowMs },
        `crawler slot ${this.workerId} crashed ${decision.crashesInWindow} times within ${config.crashWindowMs} ms; not restarting it`,
      );
      this.state = 'failed';
      this.opts.onFailed(this.workerId);
      return;
    }
    this.log.warn({ delayMs: decision.delayMs, consecutiveCrashes: decision.history.consecutive }, 'restarting crawler process after backoff');
    this.restartTimer = setTimeout(() => {
      this.restarts++;
      this.start();
    }, decision.delayMs);
  }
}
