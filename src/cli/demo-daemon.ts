/**
 * The demo's daemon: the real `spiderd start` as a child process (its own process group, so
 * Ctrl-C reaches only the demo, which then stops it with one SIGTERM), logging to a file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/spiderd.js', import.meta.url));

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface DemoDaemon {
  pid: number;
  /** Set once the process has exited. */
  exit: Exit | null;
  exited: Promise<Exit>;
  /** SIGTERM, then wait for the exit; SIGKILL after killAfterMs. */
  stop(killAfterMs: number): Promise<Exit>;
}

export function startDemoDaemon(opts: { args: string[]; env: NodeJS.ProcessEnv; logFile: string }): DemoDaemon {
  const log = openSync(opts.logFile, 'a', 0o600);
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [BIN, 'start', ...opts.args], { env: opts.env, stdio: ['ignore', log, log], detached: true });
  } finally {
    closeSync(log);
  }
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit); // never leave an orphan behind
  const daemon: DemoDaemon = {
    pid: child.pid ?? -1,
    exit: null,
    exited: new Promise<Exit>((resolve) => {
      child.once('exit', (code, signal) => {
        process.off('exit', killOnExit);
        daemon.exit = { code, signal };
        resolve(daemon.exit);
      });
      child.once('error', () => {
        process.off('exit', killOnExit);
        daemon.exit = { code: null, signal: null };
        resolve(daemon.exit);
      });
    }),
    async stop(killAfterMs) {
      if (daemon.exit) return daemon.exit;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      try {
        return await daemon.exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
  return daemon;
}
