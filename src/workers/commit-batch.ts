/**
 * One transaction for a batch of page results: each crawl's new discoveries first (insertPages,
 * with the crawl's page budgets), then the page rows (one UPDATE, only rows still 'queued').
 * That order matters: pages link to each other, and a pages UPDATE leaves a new unique-index
 * entry that makes another transaction's INSERT of the same URL wait. Inserting first (URLs
 * sorted, crawls in id order) means no transaction waits on another while holding updated rows:
 * no deadlocks. Returns the new pages and the URLs the crawl already had, per crawl.
 */
import type { Db } from '../shared/db/client.js';
import { insertPages, type Candidate, type NewPageRow } from '../shared/frontier.js';
import type { PageResult } from './page-result.js';
import { writePageRows } from './write-pages.js';

export interface CrawlDiscoveries {
  crawlId: number;
  inserted: NewPageRow[];
  known: string[];
}

const TX_OPTIONS = { maxWait: 10_000, timeout: 30_000 };

/** `offered` holds, per crawl, the candidates to insert (already filtered of URLs known to exist). */
export function commitBatch(db: Db, batch: PageResult[], offered: Map<number, Candidate[]>): Promise<CrawlDiscoveries[]> {
  const byPage = new Map<string, PageResult>();
  for (const r of batch) if (!byPage.has(r.pageId)) byPage.set(r.pageId, r); // the first result wins, as across batches
  const results = [...byPage.values()];
  const budgets = new Map<number, { maxPages: number; maxPagesPerHost: number }>();
  for (const r of results) {
    if (r.discovered.length > 0 && !budgets.has(r.crawlId)) budgets.set(r.crawlId, { maxPages: r.maxPages, maxPagesPerHost: r.maxPagesPerHost });
  }
  return db.$transaction(async (tx) => {
    const out: CrawlDiscoveries[] = [];
    for (const crawlId of [...offered.keys()].sort((a, b) => a - b)) {
      const candidates = offered.get(crawlId)!;
      if (candidates.length === 0) continue;
      const res = await insertPages(tx, crawlId, budgets.get(crawlId) ?? { maxPages: 0, maxPagesPerHost: 0 }, candidates);
      out.push({ crawlId, inserted: res.inserted, known: res.known });
    }
    await writePageRows(tx, results);
    return out;
  }, TX_OPTIONS);
}
