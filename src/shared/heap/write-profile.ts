/**
 * Sampling heap profiles (.heapprofile) and CPU profiles (.cpuprofile) of THIS process through
 * an in-process inspector session; both load in Chrome DevTools. The process keeps working
 * while it records (sampling is cheap), so no job is paused.
 */
import { writeFile, stat } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MAX_PROFILE_SECONDS } from '../control.js';
import { wrapError } from '../errors.js';
import { assertRoom, enforceBudget, ensureSnapshotDir, makeRoom, type SnapshotLimits } from './snapshot-dir.js';
import { assertSafeStem } from './snapshot-stem.js';
import type { SnapshotFile } from './write-snapshot.js';

/** Bytes between heap samples (V8's default is 32 KiB). */
const SAMPLING_INTERVAL = 32 * 1024;

export function clampSeconds(seconds: number): number {
  return Math.min(MAX_PROFILE_SECONDS, Math.max(1, Math.round(Number.isFinite(seconds) ? seconds : 1)));
}

export async function writeHeapProfile(dir: string, fileStem: string, seconds: number, limits: SnapshotLimits): Promise<SnapshotFile> {
  return record(dir, fileStem, '.heapprofile', seconds, limits, async (session, wait) => {
    await session.post('HeapProfiler.enable');
    await session.post('HeapProfiler.startSampling', { samplingInterval: SAMPLING_INTERVAL });
    await wait();
    const { profile } = await session.post('HeapProfiler.stopSampling');
    await session.post('HeapProfiler.disable');
    return profile;
  });
}

export async function writeCpuProfile(dir: string, fileStem: string, seconds: number, limits: SnapshotLimits): Promise<SnapshotFile> {
  return record(dir, fileStem, '.cpuprofile', seconds, limits, async (session, wait) => {
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
    await wait();
    const { profile } = await session.post('Profiler.stop');
    await session.post('Profiler.disable');
    return profile;
  });
}

type Recorder = (session: Session, wait: () => Promise<void>) => Promise<unknown>;

async function record(dir: string, fileStem: string, ext: string, seconds: number, limits: SnapshotLimits, recorder: Recorder): Promise<SnapshotFile> {
  assertSafeStem(fileStem);
  const abs = await ensureSnapshotDir(dir);
  await assertRoom(abs, 0, `a ${ext} profile`);
  const file = path.join(abs, `${fileStem}${ext}`);
  const session = new Session();
  session.connect();
  try {
    // unref: a process that is shutting down does not wait for a profile nobody will read.
    const profile = await recorder(session, () => sleep(clampSeconds(seconds) * 1000, undefined, { ref: false }));
    await makeRoom(abs, limits, { files: 1, bytes: 0 }, `a ${ext} profile`);
    await writeFile(file, JSON.stringify(profile), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    throw wrapError('SPIDERD_SNAPSHOT_FAILED', `recording ${file} failed`, err);
  } finally {
    session.disconnect();
  }
  const bytes = (await stat(file)).size;
  await enforceBudget(abs, limits, { files: 0, bytes: 0, protect: [path.basename(file)] });
  return { path: file, bytes };
}
