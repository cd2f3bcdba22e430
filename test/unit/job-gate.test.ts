import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { JobGate } from '../../src/workers/job-gate.js';

describe('job gate (a paused crawler starts no page; a closing one gives pages back)', () => {
  it('waits for running jobs, holds jobs handed over while closed, and runs them once opened', async () => {
    const gate = new JobGate();
    const ran: string[] = [];
    let finishFirst = () => {};
    const first = gate.pass(() => new Promise<string>((r) => (finishFirst = () => r('first'))), async () => 'given back');
    gate.close();
    let idle = false;
    const whenIdle = gate.whenIdle().then(() => (idle = true));
    const late = gate.pass(async () => {
      ran.push('late');
      return 'late';
    }, async () => 'given back');
    await sleep(10);
    assert.equal(idle, false, 'a running job keeps the gate busy');
    assert.deepEqual(ran, [], 'no job starts while the gate is closed');
    finishFirst();
    await whenIdle;
    assert.equal(await first, 'first');
    assert.deepEqual(ran, []);
    gate.open();
    assert.equal(await late, 'late');
  });

  it('gives back held and later jobs once released, and runs none of them', async () => {
    const gate = new JobGate();
    gate.close();
    const held = gate.pass(async () => 'ran', async () => 'given back');
    gate.release();
    assert.equal(await held, 'given back');
    assert.equal(await gate.pass(async () => 'ran', async () => 'given back'), 'given back');
    assert.equal(gate.running, 0);
  });
});
