/**
 * Runs one control action in THIS process: the crawler process (src/workers/control.ts, which
 * pauses its jobs around a snapshot and announces the block) and the supervisor (for itself)
 * both call this. After a snapshot V8 is made to forget its object ids (see heap-session.ts).
 */
import { assertNever, type ControlAction, type ControlFile } from '../ipc.js';
import { forgetHeapObjectIds } from './heap-session.js';
import type { SnapshotLimits } from './snapshot-dir.js';
import { writeCpuProfile, writeHeapProfile } from './write-profile.js';
import { writeHeapSnapshot } from './write-snapshot.js';

export async function performControlAction(action: ControlAction, dir: string, fileStem: string, limits: SnapshotLimits, beforeBlock?: (expectedMs: number) => void): Promise<ControlFile[]> {
  switch (action.kind) {
    case 'heap-snapshot': {
      try {
        const { path, bytes } = await writeHeapSnapshot(dir, fileStem, limits, beforeBlock ? { beforeBlock } : {});
        return [{ path, bytes }];
      } finally {
        await forgetHeapObjectIds().catch(() => undefined);
      }
    }
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
