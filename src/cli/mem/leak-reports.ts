/**
 * The latest leak report of each crawler slot, from PostgreSQL (written by the leak sentinel).
 * Per slot, not per pid: a leaking process is usually recycled right after its report, and the
 * operator looking at `spiderd mem` wants to see that report next to the slot's new process.
 */
import type { Db } from '../../shared/db/client.js';
import { workerSlot } from '../../shared/mem/worker-slot.js';

export interface LeakSummary {
  id: number;
  /** The process the report is about (often recycled since). */
  pid: number;
  createdAt: string;
  jobsDone: number;
  /** The class the report ranks first among the growers, if any. */
  topClass: string | null;
  snapshots: string[];
  /** "heap", "native" or "heap+native". */
  kind: string;
  /** "heap snapshots" or "sampling profile". */
  evidence: string;
  jobsAtDetection: number | null;
  /** The culprit, three ways. */
  growingClass: string | null;
  retainerPath: string[];
  allocationSite: string | null;
}

export interface ProcessKey {
  daemonId: string;
  workerId: string;
  pid: number | null;
}

export function processKey(p: Pick<ProcessKey, 'daemonId' | 'workerId'>): string {
  return `${p.daemonId}/${p.workerId}`;
}

export async function latestLeakReports(db: Db, processes: readonly ProcessKey[]): Promise<Map<string, LeakSummary>> {
  const wanted = processes.flatMap((p) => {
    const slot = workerSlot(p.workerId);
    return slot === null ? [] : [{ daemonId: p.daemonId, workerId: slot }];
  });
  const found = new Map<string, LeakSummary>();
  if (wanted.length === 0) return found;
  const rows = await db.leakReport.findMany({
    where: { OR: wanted },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    distinct: ['daemonId', 'workerId'],
  });
  for (const row of rows) found.set(processKey({ daemonId: row.daemonId, workerId: `w${row.workerId}` }), summarize(row));
  return found;
}

/** The latest reports of any daemon, newest first: what `mem` shows when no daemon is live. */
export async function recentLeakReports(db: Db, limit = 5): Promise<Array<LeakSummary & { daemonId: string; workerId: string }>> {
  const rows = await db.leakReport.findMany({ orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: limit });
  return rows.map((row) => ({ ...summarize(row), daemonId: row.daemonId, workerId: `w${row.workerId}` }));
}

type LeakReportRow = Awaited<ReturnType<Db['leakReport']['findMany']>>[number];

function summarize(row: LeakReportRow): LeakSummary {
  return {
    id: row.id,
    pid: row.pid,
    createdAt: row.createdAt.toISOString(),
    jobsDone: row.jobsDone,
    topClass: topClass(row.growers),
    snapshots: row.snapshots,
    kind: row.kind,
    evidence: row.evidence,
    jobsAtDetection: row.jobsAtDetection,
    growingClass: row.growingClass ?? topClass(row.growers),
    retainerPath: row.retainerPath ?? [],
    allocationSite: row.allocationSite,
  };
}

function topClass(growers: unknown): string | null {
  if (!Array.isArray(growers) || growers.length === 0) return null;
  const first = growers[0] as { name?: unknown };
  return typeof first.name === 'string' ? first.name : null;
}
