/**
 * Builds and stores a leak_reports row: what grows and how fast (detection and the clean
 * before/after measurements), and the culprit named three ways: the growing class, a retainer
 * path to a named variable or property, and the allocation site of the retained memory (the
 * user's code that holds it when there is one). Also the one log line that says all that.
 */
import os from 'node:os';
import type { SqlRunner } from '../../shared/db/sql.js';
import type { AllocationSite } from '../../shared/heap/profile-sites.js';
import type { ClassDelta } from '../../shared/heap/diff.js';
import type { LeakKind } from '../../shared/mem/leak-analysis.js';
import { workerSlot } from '../../shared/mem/worker-slot.js';

export const TOP_GROWERS = 10;
export const TOP_SITES = 8;

export interface Culprit {
  growingClass: string | null;
  retainerPath: string[];
  allocationSite: string | null;
  /** Who allocated the retained memory, e.g. "spiderd 48%, library 40%, user 12%". */
  allocatedBy: string;
}

export interface LeakReportInput {
  sql: SqlRunner;
  daemonId: string;
  workerId: string;
  crawlId: number | null;
  jobsAtDetection: number;
  jobsDone: number;
  kinds: LeakKind[];
  evidence: 'heap snapshots' | 'sampling profile';
  figures: Record<string, unknown>;
  growers: ClassDelta[];
  sites: AllocationSite[];
  /** Sampled bytes the sites account for. */
  siteBytes: number;
  snapshots: string[];
}

/** The three names, from the ranked classes and the allocation sites. */
export function nameCulprit(growers: readonly ClassDelta[], sites: readonly AllocationSite[], siteBytes: number): Culprit {
  const first = growers[0] ?? null;
  const withPath = growers.find((g) => g.retainerPath && g.retainerPath.length > 0) ?? null;
  // Sampled with no page in flight: what user code allocated and is still alive is what it keeps.
  const user = sites.find((s) => s.origin === 'user');
  const site = user ?? sites[0] ?? null;
  return {
    growingClass: first?.name ?? null,
    retainerPath: (first?.retainerPath?.length ? first.retainerPath : withPath?.retainerPath) ?? [],
    allocationSite: site ? `${site.site} [${site.origin}]` : null,
    allocatedBy: allocatedBy(sites, siteBytes),
  };
}

export async function storeLeakReport(r: LeakReportInput): Promise<{ id: number; culprit: Culprit }> {
  const growers = r.growers.slice(0, TOP_GROWERS); // ranked culprit first
  const culprit = nameCulprit(growers, r.sites, r.siteBytes);
  const figures = { ...r.figures, allocatedBy: culprit.allocatedBy };
  // One INSERT through the process's SQL adapter: a crawler process loads no Prisma Client (a few
  // MB of RSS) for this one rare write. Columns as in prisma/schema.prisma (model LeakReport).
  const [row] = await r.sql.query<{ id: number }>(
    `INSERT INTO leak_reports (crawl_id, daemon_id, host, worker_id, pid, jobs_done, jobs_at_detection, kind, evidence, figures, growers,
       growing_class, retainer_path, allocation_site, allocation_sites, snapshots)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11::jsonb, $12, $13::text[], $14, $15::jsonb, $16::text[])
     RETURNING id`,
    [
      r.crawlId,
      r.daemonId,
      os.hostname(),
      workerSlot(r.workerId) ?? 0,
      process.pid,
      r.jobsDone,
      r.jobsAtDetection,
      r.kinds.join('+') || 'heap',
      r.evidence,
      json(figures),
      json(growers),
      culprit.growingClass,
      culprit.retainerPath,
      culprit.allocationSite,
      json(r.sites.slice(0, TOP_SITES)),
      r.snapshots,
    ],
  );
  return { id: row!.id, culprit };
}

/** Sampled bytes by whose code allocated them, biggest first. */
function allocatedBy(sites: readonly AllocationSite[], total: number): string {
  if (total <= 0) return '';
  const by = new Map<string, number>();
  for (const s of sites) by.set(s.origin, (by.get(s.origin) ?? 0) + s.bytes);
  return [...by].sort((a, b) => b[1] - a[1]).map(([origin, bytes]) => `${origin} ${Math.round((100 * bytes) / total)}%`).join(', ');
}

/** "RetainedPage <- Array (element [12]) <- system / Context (variable `cache`) in /srv/leaky.mjs": up to the first named variable. */
export function shortPath(path: readonly string[]): string {
  const end = path.findIndex((s) => s.includes('(variable `'));
  return (end >= 0 ? path.slice(0, end + 1) : path.slice(0, 4)).join(' <- ');
}

function json(value: unknown): string {
  return JSON.stringify(value ?? null);
}

/** How a report's heap diff ended; kept in its figures (`diff.status`). */
export type DiffStatus = 'pending' | 'done' | 'failed' | 'timed out' | 'stopped';

/**
 * Completes a report stored before its heap diff ran (the process that leaked was replaced
 * meanwhile): the growing classes and the culprit's names from the diff, and how the diff ended.
 */
export async function completeLeakReport(sql: SqlRunner, id: number, diff: { status: DiffStatus; ms: number; message?: string; growers: ClassDelta[]; sites: AllocationSite[]; siteBytes: number }): Promise<Culprit> {
  const growers = diff.growers.slice(0, TOP_GROWERS);
  const culprit = nameCulprit(growers, diff.sites, diff.siteBytes);
  const patch = { diffMs: diff.ms, diff: { status: diff.status, ms: diff.ms, ...(diff.message ? { message: diff.message } : {}) } };
  await sql.execute(
    `UPDATE leak_reports SET figures = figures || $2::jsonb, growers = CASE WHEN $3::jsonb = '[]'::jsonb THEN growers ELSE $3::jsonb END,
       growing_class = COALESCE($4, growing_class), retainer_path = CASE WHEN cardinality($5::text[]) = 0 THEN retainer_path ELSE $5::text[] END
     WHERE id = $1`,
    [id, json(patch), json(growers), culprit.growingClass, culprit.retainerPath],
  );
  return culprit;
}
