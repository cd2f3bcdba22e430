/**
 * Runs one control action in THIS process: the crawler process (src/workers/control.ts, which
 * pauses its jobs around a snapshot) and the supervisor (for itself) both call this.
 */
import { assertNever, type ControlAction, type ControlFile } from '../ipc.js';
import type { SnapshotLimits } from './snapshot-dir.js';
import { writeCpuProfile, writeHeapProfile } from './write-profile.js';
import { writeHeapSnapshot } from './write-snapshot.js';

export async function performControlAction(action: ControlAction, dir: string, fileStem: string, limits: SnapshotLimits): Promise<ControlFile[]> {
  switch (action.kind) {
    case 'heap-snapshot':
      return [await writeHeapSnapshot(dir, fileStem, limits)];
    case 'heap-profile':
      return [await writeHeapProfile(dir, fileStem, action.seconds, limits)];
    case 'cpu-profile':
      return [await writeCpuProfile(dir, fileStem, action.seconds, limits)];
    default:
      return assertNever(action, 'control action');
  }
}

export function limitsFrom(config: { snapshotMaxFiles: number; snapshotMaxBytes: number }): SnapshotLimits {
  return { maxFiles: config.snapshotMaxFiles, maxBytes: config.snapshotMaxBytes };
}
