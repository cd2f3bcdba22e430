/** The latest leak report of each process, from PostgreSQL (written by the leak sentinel). */
import type { Db } from '../../shared/db/client.js';
import { workerSlot } from '../../shared/mem/worker-slot.js';

export interface LeakSummary {
  id: number;
  createdAt: string;
  jobsDone: number;
  /** The class the report ranks first among the growers, if any. */
  topClass: string | null;
  snapshots: string[];
}

export interface ProcessKey {
  daemonId: string;
  workerId: string;
  pid: number | null;
}

export function processKey(p: ProcessKey): string {
  return `${p.daemonId}/${p.workerId}/${p.pid ?? ''}`;
}

export async function latestLeakReports(db: Db, processes: readonly ProcessKey[]): Promise<Map<string, LeakSummary>> {
  const wanted = processes.flatMap((p) => {
    const slot = workerSlot(p.workerId);
    return slot === null || p.pid === null ? [] : [{ daemonId: p.daemonId, workerId: slot, pid: p.pid }];
  });
  const found = new Map<string, LeakSummary>();
  if (wanted.length === 0) return found;
  const rows = await db.leakReport.findMany({
    where: { OR: wanted },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    distinct: ['daemonId', 'workerId', 'pid'],
  });
  for (const row of rows) {
    const key = processKey({ daemonId: row.daemonId, workerId: `w${row.workerId}`, pid: row.pid });
    found.set(key, {
      id: row.id,
      createdAt: row.createdAt.toISOString(),
      jobsDone: row.jobsDone,
      topClass: topClass(row.growers),
      snapshots: row.snapshots,
    });
  }
  return found;
}

function topClass(growers: unknown): string | null {
  if (!Array.isArray(growers) || growers.length === 0) return null;
  const first = growers[0] as { name?: unknown };
  return typeof first.name === 'string' ? first.name : null;
}
