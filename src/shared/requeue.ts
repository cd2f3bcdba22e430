/**
 * Rebuilds the queue from PostgreSQL: every page still in state queued gets its job back.
 * Jobs are keyed by page id, so pages whose job still exists are left alone. Used after a
 * crawler process died abnormally (rows it committed but had not yet enqueued), when Redis
 * lost its data, and by `spiderd requeue`.
 */
import type { Queue } from 'bullmq';
import type { Db } from './db/client.js';
import { pageJobs, type PageJob } from './queue.js';

export async function requeueFromDb(db: Db, queue: Queue<PageJob>, attempts: number, crawlId?: number): Promise<number> {
  let after = 0n;
  let total = 0;
  for (;;) {
    const rows = await db.page.findMany({
      where: { state: 'queued', id: { gt: after }, ...(crawlId === undefined ? {} : { crawlId }) },
      select: { id: true, url: true, depth: true, crawlId: true },
      orderBy: { id: 'asc' },
      take: 1000,
    });
    if (rows.length === 0) return total;
    const byCrawl = new Map<number, typeof rows>();
    for (const r of rows) byCrawl.set(r.crawlId, [...(byCrawl.get(r.crawlId) ?? []), r]);
    for (const [id, pages] of byCrawl) await queue.addBulk(pageJobs(pages, id, attempts));
    total += rows.length;
    after = rows[rows.length - 1]!.id;
  }
}
