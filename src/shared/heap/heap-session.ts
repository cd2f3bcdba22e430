/**
 * V8's HeapProfiler in THIS process, through an in-process inspector session (its calls run
 * synchronously): the sampling heap profiler, which records the allocation stack of a sample
 * of the allocations (one per `samplingInterval` bytes on average) and keeps those still alive.
 * A leak investigation runs it between its two snapshots: what it holds at the end is where
 * the retained memory was allocated.
 *
 * Why not V8's allocation tracking (DevTools' "allocation instrumentation"), which gives every
 * object's stack in the next snapshot? Tried: the inspector forces a full GC every 50 ms while
 * it runs (10-25x slower pages), V8 recorded no stack for many objects, and objects moved by a
 * compacting GC onto the address of a dead tracked one inherited its stack.
 *
 * close() ends sampling and makes V8 forget its heap object ids: a heap snapshot starts
 * tracking object moves for good, which slowed every later GC (and the crawler) by about 30%
 * on the bench until HeapProfiler.disable.
 */
import { Session } from 'node:inspector/promises';
import type { HeapProfiler } from 'node:inspector';
import { wrapError } from '../errors.js';

export type SamplingProfile = HeapProfiler.SamplingHeapProfile;

export class HeapSession {
  private session: Session | null = new Session();

  constructor() {
    this.session!.connect();
  }

  async startSampling(samplingIntervalBytes: number): Promise<void> {
    await this.post('HeapProfiler.enable');
    await this.post('HeapProfiler.startSampling', { samplingInterval: samplingIntervalBytes });
  }

  /** The allocations sampled since startSampling that are still alive (run a full GC first). */
  async samplingProfile(): Promise<SamplingProfile> {
    const { profile } = (await this.post('HeapProfiler.getSamplingProfile')) as { profile: SamplingProfile };
    return profile;
  }

  /** Stops sampling and forgets object ids (after the investigation's last snapshot: ids tell new objects from old in the diff). */
  async close(): Promise<void> {
    const session = this.session;
    if (!session) return;
    this.session = null;
    try {
      await session.post('HeapProfiler.disable');
    } finally {
      session.disconnect();
    }
  }

  private async post(method: string, params?: object): Promise<unknown> {
    if (!this.session) throw new Error('heap session closed');
    try {
      return await (this.session.post as (m: string, p?: object) => Promise<unknown>)(method, params);
    } catch (err) {
      throw wrapError('SPIDERD_SNAPSHOT_FAILED', `the V8 heap profiler refused ${method}`, err);
    }
  }
}

/** After a heap snapshot: V8 forgets its object ids, so GCs stop paying for tracking object moves. */
export async function forgetHeapObjectIds(): Promise<void> {
  await new HeapSession().close();
}
