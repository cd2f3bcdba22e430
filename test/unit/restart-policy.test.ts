/**
 * When a crashed crawler process comes back: exponential backoff between restarts, a cap on
 * the wait, a slot given up after too many crashes in the window, and a fresh start for a
 * process that had been running fine for a long time.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { afterCrash, backoffMs, NO_CRASHES, type CrashHistory, type RestartPolicy } from '../../src/daemon/restart-policy.js';
import { CRAWLER_MMAP_THRESHOLD, crawlerEnv, crawlerExecArgv } from '../../src/daemon/supervisor.js';
import { isOomSnapshotOf } from '../../src/daemon/oom-snapshot.js';

const POLICY: RestartPolicy = { restartBaseMs: 1_000, restartMaxMs: 60_000, crashLoopLimit: 5, crashWindowMs: 60_000 };

/** Crashes a process `times` times, each after running `ranMs`, starting at `t0`. */
function crashes(times: number, ranMs: number, policy = POLICY, t0 = 1_000_000) {
  let history: CrashHistory = NO_CRASHES;
  let now = t0;
  const decisions = [];
  for (let i = 0; i < times; i++) {
    const startedAt = now;
    now += ranMs;
    const d = afterCrash(history, startedAt, now, policy);
    decisions.push(d);
    history = d.history;
    if (d.action === 'restart') now += d.delayMs;
  }
  return decisions;
}

test('backoff doubles from restartBaseMs and stops at restartMaxMs', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffMs(n, POLICY)), [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000]);
  assert.equal(backoffMs(10_000, POLICY), 60_000);
});

test('consecutive quick crashes wait 1 s, 2 s, 4 s, 8 s, then the slot is given up at crashLoopLimit', () => {
  const decisions = crashes(5, 100, { ...POLICY, crashWindowMs: 3_600_000 });
  assert.deepEqual(
    decisions.map((d) => (d.action === 'restart' ? d.delayMs : 'give-up')),
    [1_000, 2_000, 4_000, 8_000, 'give-up'],
  );
  const last = decisions[4]!;
  assert.equal(last.action === 'give-up' && last.crashesInWindow, 5);
});

test('crashes spread wider than the window never count as a loop', () => {
  // Each process runs 70 s (> crashWindowMs): it is never a loop and backoff stays at the base.
  const decisions = crashes(20, 70_000);
  assert.ok(decisions.every((d) => d.action === 'restart' && d.delayMs === 1_000));
});

test('a long run resets the consecutive count: the next crash waits restartBaseMs again', () => {
  let history: CrashHistory = NO_CRASHES;
  for (const [startedAt, now] of [[0, 10], [1_010, 1_020], [3_020, 3_030]] as const) history = afterCrash(history, startedAt, now, POLICY).history;
  assert.equal(history.consecutive, 3);
  const afterLongRun = afterCrash(history, 10_000, 10_000 + POLICY.crashWindowMs + 1, POLICY);
  assert.equal(afterLongRun.action, 'restart');
  assert.equal(afterLongRun.action === 'restart' && afterLongRun.delayMs, POLICY.restartBaseMs);
  assert.equal(afterLongRun.history.consecutive, 1);
  // The old crashes have left the window, so only this one counts towards the loop limit.
  assert.deepEqual(afterLongRun.history.crashTimes, [10_000 + POLICY.crashWindowMs + 1]);
});

test('crashLoopLimit 1 gives up at the first crash', () => {
  assert.equal(afterCrash(NO_CRASHES, 0, 5, { ...POLICY, crashLoopLimit: 1 }).action, 'give-up');
});

test('crawler processes get a fixed glibc mmap threshold (snapshot buffers go back to the OS), unless the operator set one', () => {
  const env = crawlerEnv({ PATH: '/usr/bin', SPIDERD_WORKERS: '2' });
  assert.equal(env.MALLOC_MMAP_THRESHOLD_, CRAWLER_MMAP_THRESHOLD);
  assert.equal(env.SPIDERD_WORKERS, '2');
  assert.equal(crawlerEnv({ MALLOC_MMAP_THRESHOLD_: '65536' }).MALLOC_MMAP_THRESHOLD_, '65536');
});

test('crawler processes get a heap cap, a 16 MB semi-space on every Node line, and leave a heap snapshot in snapshotDir when they near it', () => {
  assert.deepEqual(crawlerExecArgv({ heapCapMb: 512, snapshotDir: '/var/lib/spiderd/snapshots' }), [
    '--max-old-space-size=512',
    '--max-semi-space-size=16',
    '--heapsnapshot-near-heap-limit=1',
    '--diagnostic-dir=/var/lib/spiderd/snapshots',
  ]);
  assert.ok(!crawlerExecArgv({ heapCapMb: 0, snapshotDir: '/tmp/s' }).some((a) => a.startsWith('--max-old-space-size')));
  assert.ok(isOomSnapshotOf('Heap.20261125.183528.15845.0.001.heapsnapshot', 15845));
  assert.ok(!isOomSnapshotOf('Heap.20261125.183528.158450.0.001.heapsnapshot', 15845));
  assert.ok(!isOomSnapshotOf('vm-1_w1_15845_x.heapsnapshot', 15845));
});
