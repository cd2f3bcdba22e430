/** Runs diff-child.js in a fresh process and returns its HeapDiff (or throws its error). */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { DiffOptions, HeapDiff } from '../../shared/heap/diff.js';
import { SpiderdError } from '../../shared/errors.js';
import type { DiffChildReply } from './diff-child.js';

const CHILD = fileURLToPath(new URL('./diff-child.js', import.meta.url));

export interface DiffRun {
  result: Promise<HeapDiff>;
  /** Ends the child early (shutdown). */
  kill(): void;
}

export function runDiffInChild(pathA: string, pathB: string, options: DiffOptions): DiffRun {
  // execArgv [] : the child gets Node's defaults, not the crawler's heap cap or
  // --heapsnapshot-near-heap-limit (it must not write snapshots of itself).
  const child: ChildProcess = fork(CHILD, [pathA, pathB, JSON.stringify(options)], { execArgv: [], stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < 4000) stderr += d.toString();
  });
  const result = new Promise<HeapDiff>((resolve, reject) => {
    let reply: DiffChildReply | null = null;
    child.on('message', (m) => {
      reply = m as DiffChildReply;
    });
    child.on('error', (err) => reject(new SpiderdError('SPIDERD_HEAP_PARSE_FAILED', `the heap diff process could not run: ${err.message}`, { cause: err })));
    child.on('exit', (code, signal) => {
      const r = reply as DiffChildReply | null;
      if (r?.ok) resolve(r.diff);
      else if (r) reject(new SpiderdError('SPIDERD_HEAP_PARSE_FAILED', `diffing ${pathA} and ${pathB} failed: ${r.code}: ${r.message}`));
      else reject(new SpiderdError('SPIDERD_HEAP_PARSE_FAILED', `the heap diff process exited (code ${code}, signal ${signal}) without a result${stderr ? `: ${stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`));
    });
  });
  return {
    result,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
