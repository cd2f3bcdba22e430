/**
 * Commits a batch of page results: each crawl's new discoveries first, then the page rows (only
 * rows still 'queued'). That order matters: pages link to each other, and a pages UPDATE leaves a
 * new unique-index entry that makes another writer's INSERT of the same URL wait. Inserting first
 * (URLs sorted, crawls in id order) means no writer waits on another while holding updated rows:
 * no deadlocks.
 *
 * Without page budgets (the usual case) the batch is ONE statement, one round trip: the INSERT
 * is a CTE the main query reads, so PostgreSQL runs it before the UPDATE, an unread CTE it
 * completes at the end. A crawl with --max-pages or --max-pages-per-host takes the budget's row
 * locks in a transaction instead. Returns the new pages and the URLs the crawl already had.
 */
import type { Sql } from '../shared/db/sql.js';
import { INSERT_PAGES, candidateColumns, dedupe, insertPages, toNewRow, type Candidate, type InsertedRow, type NewPageRow } from '../shared/frontier.js';
import type { PageResult } from './page-result.js';
import { pageRowsPayload, updatePageRows, writePageRows } from './write-pages.js';

export interface CrawlDiscoveries {
  crawlId: number;
  inserted: NewPageRow[];
  known: string[];
}

/** `offered` holds, per crawl, the candidates to insert (already filtered of URLs known to exist). */
export function commitBatch(sql: Sql, batch: PageResult[], offered: Map<number, Candidate[]>): Promise<CrawlDiscoveries[]> {
  const byPage = new Map<string, PageResult>();
  for (const r of batch) if (!byPage.has(r.pageId)) byPage.set(r.pageId, r); // the first result wins, as across batches
  const results = [...byPage.values()];
  const budgets = new Map<number, { maxPages: number; maxPagesPerHost: number }>();
  for (const r of results) {
    if (r.discovered.length > 0 && !budgets.has(r.crawlId)) budgets.set(r.crawlId, { maxPages: r.maxPages, maxPagesPerHost: r.maxPagesPerHost });
  }
  const crawls = [...offered.keys()].sort((a, b) => a - b);
  const budgeted = crawls.some((id) => (budgets.get(id)?.maxPages ?? 0) > 0 || (budgets.get(id)?.maxPagesPerHost ?? 0) > 0);
  return budgeted ? commitWithBudgets(sql, results, crawls, offered, budgets) : commitInOneStatement(sql, results, crawls, offered);
}

async function commitInOneStatement(sql: Sql, results: PageResult[], crawls: number[], offered: Map<number, Candidate[]>): Promise<CrawlDiscoveries[]> {
  const ids: number[] = [];
  const candidates: Candidate[] = [];
  for (const crawlId of crawls) {
    for (const c of dedupe(offered.get(crawlId)!)) {
      ids.push(crawlId);
      candidates.push(c);
    }
  }
  const args = [ids, ...candidateColumns(candidates), pageRowsPayload(results)];
  const rows = await sql.query<InsertedRow & { crawl_id: number }>(`WITH inserted AS (${INSERT_PAGES}), written AS (${updatePageRows('$7')}) SELECT * FROM inserted`, args);
  return crawls.map((crawlId) => {
    const inserted = rows.filter((r) => r.crawl_id === crawlId).map(toNewRow);
    const fresh = new Set(inserted.map((r) => r.url));
    return { crawlId, inserted, known: offered.get(crawlId)!.map((c) => c.url).filter((u) => !fresh.has(u)) };
  });
}

function commitWithBudgets(
  sql: Sql,
  results: PageResult[],
  crawls: number[],
  offered: Map<number, Candidate[]>,
  budgets: Map<number, { maxPages: number; maxPagesPerHost: number }>,
): Promise<CrawlDiscoveries[]> {
  return sql.transaction(async (tx) => {
    const out: CrawlDiscoveries[] = [];
    for (const crawlId of crawls) {
      const candidates = offered.get(crawlId)!;
      if (candidates.length === 0) continue;
      const res = await insertPages(tx, crawlId, budgets.get(crawlId) ?? { maxPages: 0, maxPagesPerHost: 0 }, candidates);
      out.push({ crawlId, inserted: res.inserted, known: res.known });
    }
    await writePageRows(tx, results);
    return out;
  });
}
