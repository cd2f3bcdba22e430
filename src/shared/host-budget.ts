/**
 * --max-pages-per-host: pages a crawl may discover on one host (a guard against calendar
 * traps and other endless URL spaces). Counted in crawl_hosts, whose rows are locked by the
 * upsert until the transaction commits, so concurrent writers cannot overshoot; hosts are
 * upserted in sorted order so two transactions never wait on each other in a circle.
 */
import type { SqlRunner } from './db/sql.js';

interface Row {
  id: bigint;
  url: string;
}

/** Splits freshly inserted rows into those within the per-host budget and those over it (newest first to go). */
export async function enforceHostBudget<R extends Row>(tx: SqlRunner, crawlId: number, maxPerHost: number, rows: R[]): Promise<{ kept: R[]; dropped: R[] }> {
  const byHost = new Map<string, R[]>();
  for (const r of rows) {
    const host = new URL(r.url).host;
    byHost.set(host, [...(byHost.get(host) ?? []), r]);
  }
  const hosts = [...byHost.keys()].sort();
  const counts = await tx.query<{ host: string; discovered: number }>(
    `INSERT INTO crawl_hosts (crawl_id, host, discovered)
     SELECT $1::int, h.host, h.n FROM unnest($2::text[], $3::int[]) AS h(host, n)
     ON CONFLICT (crawl_id, host) DO UPDATE SET discovered = crawl_hosts.discovered + EXCLUDED.discovered
     RETURNING host, discovered`,
    [crawlId, hosts, hosts.map((h) => byHost.get(h)!.length)],
  );
  const kept: R[] = [];
  const dropped: R[] = [];
  const capped: string[] = [];
  for (const { host, discovered } of counts) {
    const hostRows = byHost.get(host) ?? [];
    const over = Math.min(hostRows.length, Math.max(0, discovered - maxPerHost));
    kept.push(...hostRows.slice(0, hostRows.length - over));
    dropped.push(...hostRows.slice(hostRows.length - over));
    if (over > 0) capped.push(host);
  }
  if (capped.length > 0) {
    await tx.execute('UPDATE crawl_hosts SET discovered = $1 WHERE crawl_id = $2 AND host = ANY($3::text[])', [maxPerHost, crawlId, capped]);
  }
  return { kept, dropped };
}
