/**
 * `spiderd start` as an operator meets it: crawler processes that die come back, SIGTERM
 * stops everything cleanly, a killed supervisor leaves no orphans, a crash-looping slot is
 * given up, an out-of-memory death leaves a heap snapshot, and bad start-up conditions fail
 * fast with a clear code. Real CLI, real crawler processes, real Redis and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, afterEach, before, describe, test } from 'node:test';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { QUEUE_NAME, redisKeys } from '../../src/shared/keys.js';
import { readHistory } from '../../src/shared/mem/history.js';
import { readDaemons, type ProcessRecord } from '../../src/shared/presence.js';
import { createTestDatabase, queryDb, type TestDatabase } from '../helpers/db.js';
import { deletePrefix, REDIS_URL, testPrefix } from '../helpers/redis.js';
import { eventually, isAlive, runCli, startDaemon, type Daemon, type TestEnv } from '../helpers/spiderd.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
/** Small and fast: heartbeat at its minimum, restarts after 50 ms. */
const FAST = { SPIDERD_HEARTBEAT_MS: '200', SPIDERD_RESTART_BASE_MS: '50', SPIDERD_LOG_LEVEL: 'warn' };

describe('spiderd start (supervisor)', () => {
  let db: TestDatabase;
  let env: TestEnv;
  let redis: Redis;
  let snapshotDir: string;
  const daemons: Daemon[] = [];
  /** Every pid a test saw (supervisor and crawler processes): none may outlive the test. */
  const pids = new Set<number>();

  before(async () => {
    db = await createTestDatabase();
    env = { databaseUrl: db.url, prefix: testPrefix(), extra: FAST };
    redis = new Redis(REDIS_URL);
    snapshotDir = mkdtempSync(path.join(os.tmpdir(), 'spiderd-supervisor-test-'));
  });

  afterEach(async () => {
    const leftDaemons = daemons.splice(0).filter((d) => d.child.exitCode === null && d.child.signalCode === null);
    for (const d of leftDaemons) d.child.kill('SIGKILL');
    await Promise.all(leftDaemons.map((d) => d.exited));
    const leftPids = [...pids].filter(isAlive);
    for (const pid of leftPids) process.kill(pid, 'SIGKILL');
    pids.clear();
    assert.deepEqual({ daemons: leftDaemons.length, processes: leftPids }, { daemons: 0, processes: [] }, 'a test left processes running');
  });

  after(async () => {
    redis.disconnect();
    await deletePrefix(env.prefix);
    await db.drop();
    rmSync(snapshotDir, { recursive: true, force: true });
  });

  function start(args: string[], extra: Record<string, string> = {}): Daemon {
    const daemon = startDaemon({ ...env, extra: { ...FAST, ...extra } }, ['--snapshot-dir', snapshotDir, '--grace', '10', ...args]);
    daemons.push(daemon);
    if (daemon.child.pid) pids.add(daemon.child.pid);
    return daemon;
  }

  /** The crawler slots in the heartbeat of the daemon with this supervisor pid. */
  async function slotsOf(daemon: Daemon): Promise<ProcessRecord[] | undefined> {
    const record = (await readDaemons(redis, redisKeys(env.prefix))).find((d) => d.pid === daemon.child.pid);
    const slots = record?.processes.filter((p) => p.workerId !== 'supervisor');
    for (const s of slots ?? []) if (s.pid !== null) pids.add(s.pid);
    return slots;
  }

  async function allRunning(daemon: Daemon, workers: number): Promise<ProcessRecord[]> {
    return eventually(async () => {
      if (daemon.child.exitCode !== null) throw new Error(`daemon exited early:\n${daemon.output()}`);
      const slots = await slotsOf(daemon);
      return slots && slots.length === workers && slots.every((s) => s.state === 'running' && s.pid !== null) && slots;
    }, `${workers} crawler processes running`);
  }

  async function stop(daemon: Daemon) {
    daemon.child.kill('SIGTERM');
    return daemon.exited;
  }

  test('a killed crawler process is respawned in its slot', async () => {
    const daemon = start(['--workers', '2']);
    const [w1, w2] = await allRunning(daemon, 2);
    process.kill(w1!.pid!, 'SIGKILL');
    const slots = await eventually(async () => {
      const now = await slotsOf(daemon);
      const again = now?.find((s) => s.workerId === 'w1');
      return again && again.pid !== w1!.pid && again.state === 'running' && now;
    }, 'w1 running again with a new pid');
    const [newW1, sameW2] = slots;
    assert.equal(newW1!.restarts, 1);
    assert.equal(isAlive(w1!.pid!), false);
    assert.equal(sameW2!.pid, w2!.pid, 'the other slot was left alone');
    assert.equal(sameW2!.restarts, 0);
    assert.equal((await stop(daemon)).code, 0);
  });

  test('a crawler process that recycles itself (over --max-worker-memory) is replaced at once, not counted as a crash', async () => {
    // 1 MB is below any process's RSS: each process drains after its first memory sample.
    const daemon = start(['--workers', '1', '--max-worker-memory', '1', '--sample-interval', '0.2'], { SPIDERD_LOG_LEVEL: 'info' });
    const first = await eventually(async () => (await slotsOf(daemon))?.find((s) => s.pid !== null), 'w1 has a process');
    const replaced = await eventually(async () => {
      const w1 = (await slotsOf(daemon))?.find((s) => s.workerId === 'w1');
      return w1 && w1.pid !== null && w1.pid !== first.pid && w1;
    }, 'w1 replaced by a new process');
    assert.equal(replaced.restarts, 0, 'a recycle is not a crash restart');
    const recycled = logLines(daemon).find((l) => String(l.msg).startsWith('crawler process recycled'));
    assert.equal(recycled?.reason, 'max-memory');
    assert.equal(logLines(daemon).some((l) => String(l.msg).startsWith('crawler process died')), false);
    assert.equal((await stop(daemon)).code, 0);
  });

  test('SIGTERM drains: exit code 0, no crawler process left, heartbeat removed (memory history stays)', async () => {
    const daemon = start(['--workers', '2', '--daemon-id', 'sigterm-test', '--sample-interval', '0.2']);
    const slots = await allRunning(daemon, 2);
    const keys = redisKeys(env.prefix);
    await eventually(async () => {
      const histories = await Promise.all(['supervisor', 'w1', 'w2'].map((id) => readHistory(redis, keys, 'sigterm-test', id)));
      return histories.every((h) => h.length > 0);
    }, 'memory samples of the supervisor and both crawler processes in Redis');
    const exit = await stop(daemon);
    assert.deepEqual(exit, { code: 0, signal: null }, daemon.output());
    assert.deepEqual(slots.map((s) => isAlive(s.pid!)), [false, false]);
    assert.equal(await redis.exists(keys.daemon('sigterm-test')), 0);
    assert.equal(await redis.sismember(keys.daemons, 'sigterm-test'), 0);
    assert.ok((await readHistory(redis, keys, 'sigterm-test', 'w1')).length > 0, 'the history outlives the process');
  });

  test('SIGKILL of the supervisor: its crawler processes exit on their own', async () => {
    const daemon = start(['--workers', '2']);
    const slots = await allRunning(daemon, 2);
    daemon.child.kill('SIGKILL');
    await daemon.exited;
    await eventually(async () => slots.every((s) => !isAlive(s.pid!)), 'orphaned crawler processes to exit');
  });

  test('a crawler process that ignores the drain is killed once the grace period has passed; the daemon still exits 0', async () => {
    const daemon = start(['--workers', '1', '--grace', '0', '--crawler-entry', fixture('crash-hang.js')]);
    const [w1] = await allRunning(daemon, 1);
    const exit = await stop(daemon);
    assert.deepEqual(exit, { code: 0, signal: null }, daemon.output());
    assert.equal(isAlive(w1!.pid!), false);
    assert.ok(logLines(daemon).some((l) => Array.isArray(l.killed) && l.killed.includes(w1!.pid)), 'the kill is logged');
  });

  test('a second signal forces the shutdown: crawler processes killed, exit code 130, SPIDERD_SHUTDOWN_FORCED logged', async () => {
    const daemon = start(['--workers', '2', '--grace', '60', '--crawler-entry', fixture('crash-hang.js')], { SPIDERD_LOG_LEVEL: 'info' });
    const slots = await allRunning(daemon, 2);
    daemon.child.kill('SIGTERM');
    await eventually(async () => logLines(daemon).some((l) => String(l.msg).startsWith('shutting down')), 'the drain to begin');
    daemon.child.kill('SIGINT');
    const exit = await daemon.exited;
    assert.equal(exit.code, 130, daemon.output());
    assert.ok(logLines(daemon).some((l) => l.code === 'SPIDERD_SHUTDOWN_FORCED'));
    // SIGKILL was sent before the supervisor exited; the kernel finishes it a moment later.
    await eventually(async () => slots.every((s) => !isAlive(s.pid!)), 'killed crawler processes to be gone');
  });

  test('pages queued in PostgreSQL get their jobs back when Redis lost its data, and after a crawler process is killed', async () => {
    const [crawl] = await queryDb<{ id: number }>(db.url, `INSERT INTO crawls (name, options, seed_hosts, updated_at) VALUES ('lost', '{}', '{127.0.0.1}', now()) RETURNING id`);
    const rows = await queryDb<{ id: string; state: string }>(
      db.url,
      `INSERT INTO pages (crawl_id, url, depth, state) VALUES ($1, 'http://127.0.0.1:9/a', 0, 'queued'), ($1, 'http://127.0.0.1:9/b', 1, 'queued'), ($1, 'http://127.0.0.1:9/c', 1, 'fetched') RETURNING id, state`,
      [crawl!.id],
    );
    const queued = rows.filter((r) => r.state === 'queued').map((r) => `p${r.id}`);
    // A fresh prefix is what a Redis that lost its data looks like: no epoch, no jobs. The
    // crawler processes are stand-ins that take no jobs, so the queue can be inspected.
    const prefix = testPrefix();
    const connection = redis.duplicate();
    const queue = new Queue(QUEUE_NAME, { connection, prefix });
    const jobIds = async () => (await queue.getJobs(['waiting', 'prioritized', 'delayed'])).map((j) => j.id).sort();
    try {
      const daemon = startDaemon({ ...env, prefix, extra: FAST }, ['--workers', '1', '--grace', '0', '--crawler-entry', fixture('crash-hang.js')]);
      daemons.push(daemon);
      pids.add(daemon.child.pid!);
      await eventually(async () => (await jobIds()).length === 2, 'the queued pages requeued');
      assert.deepEqual(await jobIds(), queued.sort(), 'exactly the queued pages, not the fetched one');

      await queue.obliterate({ force: true }); // jobs lost again: a crawler process that dies might have committed pages it never enqueued
      const slots = await eventually(async () => {
        const record = (await readDaemons(redis, redisKeys(prefix))).find((d) => d.pid === daemon.child.pid);
        const w1 = record?.processes.find((p) => p.workerId === 'w1');
        return w1?.state === 'running' && w1.pid !== null && [w1];
      }, 'w1 running');
      pids.add(slots[0]!.pid!);
      process.kill(slots[0]!.pid!, 'SIGKILL');
      await eventually(async () => (await jobIds()).length === 2, 'the queued pages requeued after the kill');
      assert.deepEqual(await jobIds(), queued.sort());
      daemon.child.kill('SIGTERM');
      assert.equal((await daemon.exited).code, 0);
    } finally {
      await queue.close();
      connection.disconnect();
      await deletePrefix(prefix);
    }
  });

  test('a slot whose process keeps dying at start is given up; with every slot failed the daemon exits 1', async () => {
    const daemon = start(['--workers', '2', '--crawler-entry', fixture('crash-at-start.js')], { SPIDERD_CRASH_LOOP_LIMIT: '3' });
    const exit = await daemon.exited;
    assert.equal(exit.code, 1, daemon.output());
    const loops = logLines(daemon).filter((l) => l.code === 'SPIDERD_WORKER_CRASH_LOOP' && typeof l.workerId === 'string');
    assert.deepEqual(loops.map((l) => l.workerId).sort(), ['w1', 'w2']);
    const deaths = logLines(daemon).filter((l) => l.msg === 'crawler process died');
    assert.equal(deaths.length, 6, 'three crashes per slot, then no restart');
    for (const d of deaths) pids.add(d.childPid as number);
    assert.equal((await readDaemons(redis, redisKeys(env.prefix))).some((d) => d.pid === daemon.child.pid), false, 'heartbeat removed');
  });

  test('a crawler process that runs out of heap leaves a heap snapshot, and its path is logged with the death', async () => {
    const daemon = start(['--workers', '1', '--heap-cap', '32', '--crawler-entry', fixture('crash-oom.js')], { SPIDERD_CRASH_LOOP_LIMIT: '1' });
    const exit = await daemon.exited;
    assert.equal(exit.code, 1, daemon.output());
    const death = logLines(daemon).find((l) => typeof l.heapSnapshot === 'string');
    assert.ok(death, `no death with a heap snapshot logged:\n${daemon.output().slice(-3000)}`);
    pids.add(death.childPid as number);
    const file = death.heapSnapshot as string;
    assert.equal(path.dirname(file), snapshotDir);
    assert.match(path.basename(file), new RegExp(`^Heap\\..*\\.${String(death.childPid)}\\..*\\.heapsnapshot$`));
    assert.ok(existsSync(file));
  });

  test('an unreachable Redis or PostgreSQL fails the start with a clear code and exit 1', async () => {
    const noRedis = await runCli({ ...env, redisUrl: 'redis://127.0.0.1:1', extra: { SPIDERD_CONNECT_TIMEOUT_MS: '500' } }, ['start', '--workers', '1']);
    assert.equal(noRedis.code, 1);
    assert.match(noRedis.stderr, /SPIDERD_REDIS_UNAVAILABLE/);
    const noDb = await runCli({ ...env, databaseUrl: 'postgresql://postgres@127.0.0.1:1/nothing', extra: { SPIDERD_CONNECT_TIMEOUT_MS: '500' } }, ['start', '--workers', '1']);
    assert.equal(noDb.code, 1);
    assert.match(noDb.stderr, /SPIDERD_DB_UNAVAILABLE/);
  });

  test('a bad flag is named in one message and exits 2 before anything starts', async () => {
    const bad = await runCli(env, ['start', '--workers', 'zero']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /SPIDERD_CONFIG_INVALID/);
    assert.match(bad.stderr, /workers/);
  });
});

function logLines(daemon: Daemon): Array<Record<string, unknown>> {
  return daemon
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
