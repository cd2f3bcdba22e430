/**
 * Runs the real `spiderd` command (dist/src/bin/spiderd.js) as a child process against a
 * test's own database and Redis prefix.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../src/bin/spiderd.js', import.meta.url));

export interface TestEnv {
  databaseUrl: string;
  prefix: string;
  redisUrl?: string;
  extra?: Record<string, string>;
}

export function envFor(t: TestEnv): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATABASE_URL: t.databaseUrl,
    REDIS_URL: t.redisUrl ?? 'redis://127.0.0.1:6379',
    SPIDERD_PREFIX: t.prefix,
    SPIDERD_LOG_LEVEL: 'warn',
    // Every test site listens on 127.0.0.1, which the SSRF guard blocks by default; a test of
    // the default passes SPIDERD_ALLOW_PRIVATE_NETWORKS: 'false' in extra.
    SPIDERD_ALLOW_PRIVATE_NETWORKS: 'true',
    ...t.extra,
  };
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `spiderd ...args` to completion. */
export function runCli(t: TestEnv, args: string[], input?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: envFor(t), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

export interface Daemon {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code and signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `spiderd start ...args` in the background. */
export function startDaemon(t: TestEnv, args: string[]): Daemon {
  const child = spawn(process.execPath, [BIN, 'start', ...args], { env: envFor(t), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, output: () => out, exited };
}

/** Polls `check` until it returns a value (bounded by attempts, not a timing assertion). */
export async function eventually<T>(check: () => Promise<T | undefined | null | false>, what: string, attempts = 600, everyMs = 200): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const value = await check();
    if (value !== undefined && value !== null && value !== false) return value;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`gave up waiting for: ${what}`);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
