import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertSafeStem, isSpiderdArtifact, snapshotStem } from '../../src/shared/heap/snapshot-stem.js';

const at = new Date('2025-03-04T05:06:07.089Z');

describe('snapshotStem', () => {
  it('names daemon, worker, pid, time and jobs done', () => {
    assert.equal(snapshotStem({ daemonId: 'host-1', workerId: 'w2', pid: 4242, at, jobsDone: 1500 }), 'host-1_w2_4242_20250304T050607.089Z_1500jobs');
  });

  it('turns a label with a path in it into a plain word: no "/", no ".."', () => {
    const stem = snapshotStem({ daemonId: 'd', workerId: 'w1', pid: 1, at, jobsDone: 0, label: '../../etc/passwd' });
    assert.equal(stem, 'd_w1_1_20250304T050607.089Z_0jobs_etc-passwd');
    assert.ok(!stem.includes('/') && !stem.includes('..'));
    assert.ok(isSpiderdArtifact(`${stem}.heapsnapshot`));
  });

  it('never yields a "/" or ".." whatever the parts', () => {
    const nasty = ['/', '..', '../..', '/etc/passwd', 'a/../../b', '\\..\\x', '.....', 'x\0y', '💥/..', ' '.repeat(50)];
    for (const text of nasty) {
      const stem = snapshotStem({ daemonId: text, workerId: text, pid: 7, at, jobsDone: 3, label: text });
      assert.ok(!stem.includes('/') && !stem.includes('..') && !stem.includes('\\'), stem);
      assert.match(stem, /^[A-Za-z0-9._-]+$/);
      assert.doesNotThrow(() => assertSafeStem(stem));
    }
  });

  it('caps the label at 40 characters', () => {
    const stem = snapshotStem({ daemonId: 'd', workerId: 'w1', pid: 1, at, jobsDone: 0, label: 'x'.repeat(500) });
    assert.equal(stem.split('_').at(-1), 'x'.repeat(40));
  });

  it('recognizes only spiderd files for the disk budget', () => {
    assert.ok(isSpiderdArtifact('d_w1_1_20250304T050607.089Z_0jobs.heapprofile'));
    assert.ok(isSpiderdArtifact('d_w1_1_20250304T050607.089Z_0jobs_before.cpuprofile'));
    assert.ok(!isSpiderdArtifact('Heap.20250304.050607.1234.0.001.heapsnapshot'));
    assert.ok(!isSpiderdArtifact('notes.txt'));
    assert.ok(!isSpiderdArtifact('d_w1_1_20250304T050607.089Z_0jobs.heapsnapshot.bak'));
  });

  it('rejects a received stem that could leave the directory', () => {
    for (const bad of ['../x', 'a/b', '.hidden', '', 'a..b']) assert.throws(() => assertSafeStem(bad), { code: 'SPIDERD_SNAPSHOT_FAILED' });
  });
});
