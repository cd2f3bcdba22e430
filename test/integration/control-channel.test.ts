/**
 * The control channel end to end without the real supervisor: real Redis, the daemon side
 * (startControlChannel), a real forked child running handleControl, and the `spiderd heap`
 * / `spiderd cpu` commands as the CLI runs them.
 */
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { startControlChannel, type ControlChannel, type ControlHost, type ControlResultMessage } from '../../src/daemon/control-channel.js';
import { loadConfig, type Config } from '../../src/shared/config.js';
import { controlReplySchema, type ControlReply } from '../../src/shared/control.js';
import { diffHeapSnapshotsInProcess } from '../../src/shared/heap/diff.js';
import { redisKeys } from '../../src/shared/keys.js';
import { createLogger } from '../../src/shared/logger.js';
import { writeHeartbeat, type DaemonRecord } from '../../src/shared/presence.js';
import { REDIS_URL, deletePrefix, testPrefix } from '../helpers/redis.js';
import { runCli } from '../helpers/spiderd.js';

const CHILD = fileURLToPath(new URL('../fixtures/leaky-control-child.js', import.meta.url));
const prefix = testPrefix();
const keys = redisKeys(prefix);

let dir: string;
let config: Config;
let child: ChildProcess;
let channel: ControlChannel;
let redis: Redis;
let silent: Redis;

/** Runs the real `spiderd heap ...`; the tests name their Redis prefix with --prefix. */
async function heapCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runCli({ databaseUrl: 'postgresql://127.0.0.1:5432/unused', prefix: 'unused', redisUrl: REDIS_URL }, args);
}

/** Talks to the daemon directly (no CLI pre-checks): publishes raw text, returns the reply for requestId. */
async function rawRequest(body: string, requestId: string): Promise<ControlReply> {
  await redis.publish(keys.control('d1'), body);
  const popped = await redis.blpop(keys.reply(requestId), 60);
  assert.ok(popped, 'the daemon answered');
  return controlReplySchema.parse(JSON.parse(popped[1]));
}

function ask(childProc: ChildProcess, msg: object, type: string): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const on = (m: { type?: string }) => {
      if (m.type !== type) return;
      childProc.off('message', on);
      resolve(m as Record<string, unknown>);
    };
    childProc.on('message', on);
    childProc.send(msg);
  });
}

function record(daemonId: string, pid: number, workers: Array<{ workerId: string; pid: number }>): DaemonRecord {
  const now = Date.now();
  const processes = [{ workerId: 'supervisor', pid }, ...workers].map((p) => ({ ...p, startedAt: now, jobsDone: 0, restarts: 0, state: 'running' as const, lastSample: null }));
  return { daemonId, host: os.hostname(), pid, version: 'test', startedAt: now, lastSeen: now, snapshotDir: dir, processes };
}

before(async () => {
  dir = path.join(await mkdtemp(path.join(os.tmpdir(), 'spiderd-control-')), 'snapshots');
  config = loadConfig({ redisUrl: REDIS_URL, prefix, daemonId: 'd1', snapshotDir: dir, logLevel: 'silent' }, {});
  redis = new Redis(REDIS_URL);
  child = fork(CHILD, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await ask(child, { type: 'init', config, daemonId: 'd1', workerId: 'w1' }, 'ready');
  const host: ControlHost = {
    config,
    daemonId: 'd1',
    log: createLogger(config, 'control-test'),
    slots: () => [{ workerId: 'w1', pid: child.pid!, jobsDone: 7 }],
    sendControl: (_workerId, msg) =>
      new Promise<ControlResultMessage>((resolve, reject) => {
        const onMessage = (m: ControlResultMessage) => {
          if (m.type !== 'control-result' || m.requestId !== msg.requestId) return;
          child.off('exit', onExit);
          child.off('message', onMessage);
          resolve(m);
        };
        const onExit = () => reject(new Error('the crawler process exited'));
        child.on('message', onMessage);
        child.once('exit', onExit);
        child.send(msg);
      }),
  };
  channel = await startControlChannel(host);
  await writeHeartbeat(redis, keys, record('d1', process.pid, [{ workerId: 'w1', pid: child.pid! }]), 120_000);
  // A daemon that listens but never answers, and one that does not listen at all.
  silent = new Redis(REDIS_URL);
  await silent.subscribe(keys.control('d-silent'));
  await writeHeartbeat(redis, keys, record('d-silent', 999_998, []), 120_000);
  await writeHeartbeat(redis, keys, record('d-deaf', 999_997, []), 120_000);
});

after(async () => {
  await channel.close();
  silent.disconnect();
  if (child.exitCode === null && child.signalCode === null) {
    const exited = once(child, 'exit');
    child.send({ type: 'shutdown', graceMs: 0 });
    await exited;
  }
  assert.ok(child.exitCode !== null || child.signalCode !== null, 'the child process is gone');
  redis.disconnect();
  await deletePrefix(prefix);
  await rm(path.dirname(dir), { recursive: true, force: true });
});

const OUTPUT_LINE = /^(\S+) pid (\d+): (\S+) \(([\d.]+ [KMG]?B)\)$/;

describe('spiderd heap snapshot over the control channel', () => {
  it('--worker w1 with a path in the label: a 0600 snapshot inside the snapshot dir, taken with jobs paused', async () => {
    const r = await heapCli(['heap', 'snapshot', '--worker', 'w1', '--daemon', 'd1', '--label', '../../etc/passwd', '--prefix', prefix]);
    assert.equal(r.code, 0, r.stderr);
    const m = OUTPUT_LINE.exec(r.stdout.trim());
    assert.ok(m, r.stdout);
    assert.equal(m[1], 'w1');
    assert.equal(Number(m[2]), child.pid);
    const file = m[3]!;
    assert.equal(path.dirname(file), dir);
    assert.match(path.basename(file), new RegExp(`^d1_w1_${child.pid}_\\d{8}T\\d{6}\\.\\d{3}Z_7jobs_etc-passwd\\.heapsnapshot$`));
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const diff = await diffHeapSnapshotsInProcess(file, file, { top: 100_000 });
    assert.ok((diff.classes.find((c) => c.name === 'LeakyThing')?.countB ?? 0) > 0, 'the snapshot is of the child and holds its objects');
    const trace = await ask(child, { type: 'trace' }, 'trace');
    assert.deepEqual(trace.events, ['pause:inJob=false', 'blocking', 'resume']);
  });

  it('--supervisor: the daemon process snapshots itself', async () => {
    const r = await heapCli(['heap', 'snapshot', '--supervisor', '--prefix', prefix, '--daemon', 'd1']);
    assert.equal(r.code, 0, r.stderr);
    const m = OUTPUT_LINE.exec(r.stdout.trim());
    assert.ok(m, r.stdout);
    assert.equal(m[1], 'supervisor');
    assert.equal(Number(m[2]), process.pid);
    assert.equal(path.dirname(m[3]!), dir);
  });

  it('an unknown worker: exit 2 with SPIDERD_CONTROL_NO_TARGET and no file', async () => {
    const before = await readdir(dir);
    const r = await heapCli(['heap', 'snapshot', '--worker', 'w9', '--prefix', prefix]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^spiderd: SPIDERD_CONTROL_NO_TARGET: no live process is worker w9; live processes: .*d1\/w1/m);
    assert.deepEqual(await readdir(dir), before);
  });

  it('no live daemon under the prefix: exit 2 with SPIDERD_CONTROL_NO_TARGET', async () => {
    const r = await heapCli(['heap', 'snapshot', '--all', '--prefix', testPrefix()]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /SPIDERD_CONTROL_NO_TARGET: no live spiderd daemon/);
  });

  it('a daemon that does not listen: NO_TARGET at once; one that never answers: SPIDERD_CONTROL_TIMEOUT, exit 1', async () => {
    const deaf = await heapCli(['heap', 'snapshot', '--supervisor', '--daemon', 'd-deaf', '--prefix', prefix]);
    assert.equal(deaf.code, 2);
    assert.match(deaf.stderr, /SPIDERD_CONTROL_NO_TARGET: d-deaf: daemon d-deaf is not listening/);
    const mute = await heapCli(['heap', 'snapshot', '--supervisor', '--daemon', 'd-silent', '--timeout', '1', '--prefix', prefix]);
    assert.equal(mute.code, 1);
    assert.match(mute.stderr, /SPIDERD_CONTROL_TIMEOUT: d-silent: daemon d-silent did not answer/);
  });

  it('no target flag, or two: exit 2 with SPIDERD_BAD_INPUT', async () => {
    for (const flags of [[], ['--all', '--supervisor']]) {
      const r = await heapCli(['heap', 'snapshot', ...flags, '--prefix', prefix]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /SPIDERD_BAD_INPUT: name exactly one target/);
    }
  });
});

describe('the daemon side of the control channel', () => {
  it('bad requests get clear errors and write nothing; the channel keeps working', async () => {
    const filesBefore = await readdir(dir);
    await redis.publish(keys.control('d1'), 'garbage{');
    const wrongVersion = randomUUID();
    const invalid = await rawRequest(JSON.stringify({ v: 2, requestId: wrongVersion, target: { kind: 'all' }, action: { kind: 'heap-snapshot' } }), wrongVersion);
    assert.equal(invalid.results[0]!.ok, false);
    assert.deepEqual([invalid.results[0]!.ok || invalid.results[0]!.code], ['SPIDERD_CONTROL_INVALID']);
    const pathTarget = randomUUID();
    const bad = await rawRequest(JSON.stringify({ v: 1, requestId: pathTarget, target: { kind: 'worker', workerId: '../../tmp/x' }, action: { kind: 'heap-snapshot' } }), pathTarget);
    assert.match(JSON.stringify(bad.results[0]), /SPIDERD_CONTROL_INVALID.*target\.workerId/);
    const unknown = randomUUID();
    const none = await rawRequest(JSON.stringify({ v: 1, requestId: unknown, target: { kind: 'pid', pid: 999_999 }, action: { kind: 'heap-snapshot' } }), unknown);
    assert.match(JSON.stringify(none.results[0]), /SPIDERD_CONTROL_NO_TARGET.*pid 999999/);
    assert.deepEqual(await readdir(dir), filesBefore);
    const good = randomUUID();
    const ok = await rawRequest(JSON.stringify({ v: 1, requestId: good, target: { kind: 'supervisor' }, action: { kind: 'heap-snapshot' } }), good);
    assert.equal(ok.results[0]!.ok, true);
  });

  it('one snapshot per process at a time: a second concurrent request is refused', async () => {
    const [first, second] = [randomUUID(), randomUUID()];
    const body = (id: string) => JSON.stringify({ v: 1, requestId: id, target: { kind: 'worker', workerId: 'w1' }, action: { kind: 'heap-snapshot' } });
    await redis.multi().publish(keys.control('d1'), body(first)).publish(keys.control('d1'), body(second)).exec();
    const waiters = [redis.duplicate(), redis.duplicate()];
    const replies = await Promise.all([first, second].map(async (id, i) => controlReplySchema.parse(JSON.parse((await waiters[i]!.blpop(keys.reply(id), 60))![1])))).finally(() => {
      for (const w of waiters) w.disconnect();
    });
    const results = replies.map((r) => r.results[0]!);
    assert.equal(results[0]!.ok, true);
    assert.ok(!results[1]!.ok && results[1]!.code === 'SPIDERD_CONTROL_BUSY' && /already taking a snapshot/.test(results[1]!.message), JSON.stringify(results[1]));
  });
});

describe('spiderd heap profile / cpu profile', () => {
  it('heap profile --worker w1 --seconds 1 writes a DevTools .heapprofile', async () => {
    const r = await heapCli(['heap', 'profile', '--worker', 'w1', '--seconds', '1', '--prefix', prefix]);
    assert.equal(r.code, 0, r.stderr);
    const file = OUTPUT_LINE.exec(r.stdout.trim())![3]!;
    assert.equal(path.dirname(file), dir);
    assert.ok(file.endsWith('.heapprofile'));
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const profile = JSON.parse(await readFile(file, 'utf8')) as { head?: { children?: unknown[] } };
    assert.ok(Array.isArray(profile.head?.children));
  });

  it('cpu profile --worker w1 --seconds 1 writes a DevTools .cpuprofile', async () => {
    const r = await heapCli(['cpu', 'profile', '--worker', 'w1', '--seconds', '1', '--prefix', prefix]);
    assert.equal(r.code, 0, r.stderr);
    const file = OUTPUT_LINE.exec(r.stdout.trim())![3]!;
    assert.ok(file.endsWith('.cpuprofile'));
    const profile = JSON.parse(await readFile(file, 'utf8')) as { nodes?: unknown[]; startTime?: number };
    assert.ok(Array.isArray(profile.nodes) && profile.nodes.length > 0);
  });

  it('--seconds out of range: exit 2 with SPIDERD_BAD_INPUT', async () => {
    const r = await heapCli(['cpu', 'profile', '--worker', 'w1', '--seconds', '0', '--prefix', prefix]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /SPIDERD_BAD_INPUT: --seconds must be/);
  });
});
