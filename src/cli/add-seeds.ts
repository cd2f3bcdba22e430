/**
 * Creates or updates a crawl and adds its seeds, in one transaction: the crawl row (options =
 * stored or defaults, overridden by the given ones; seedHosts = union), then the seeds' pages
 * rows at depth 0. Their queue jobs are added after the commit. Hand-written SQL (no Prisma
 * Client), so `spiderd enqueue` starts in a fraction of the time and memory.
 */
import { crawlOptionsSchema, type CrawlOptions } from '../shared/crawl-options.js';
import { applyPolicy } from '../shared/recrawl/make-due.js';
import { jsonColumn, type Sql } from '../shared/db/sql.js';
import { enqueuePages, insertPages, type NewPageRow } from '../shared/frontier.js';
import type { PageQueues } from '../shared/page-queues.js';

/** Seeds per insertPages call (keeps statements far below PostgreSQL's parameter limit). */
const CHUNK = 1_000;

export interface AddSeedsInput {
  name: string;
  /** Options given on this call; the others keep their stored (or default) values. */
  options: Partial<CrawlOptions>;
  /** Normalized seed URLs. */
  seeds: string[];
  attempts: number;
}

export interface AddSeedsResult {
  crawlId: number;
  created: boolean;
  options: CrawlOptions;
  inserted: number;
  known: number;
  overLimit: number;
}

type CrawlRow = { id: number; options: unknown; seed_hosts: string[] | null };

export async function addSeeds(sql: Pick<Sql, 'transaction'>, queue: Pick<PageQueues, 'addBulk'>, input: AddSeedsInput): Promise<AddSeedsResult> {
  const hosts = input.seeds.map((u) => new URL(u).host);
  const { result, rows } = await sql.transaction(async (tx) => {
    const fresh = crawlOptionsSchema.parse(input.options);
    const created = await tx.query<{ id: number }>(
      `INSERT INTO crawls (name, options, seed_hosts, updated_at) VALUES ($1, $2::jsonb, $3::text[], CURRENT_TIMESTAMP)
       ON CONFLICT (name) DO NOTHING RETURNING id`,
      [input.name, JSON.stringify(fresh), [...new Set(hosts)]],
    );
    const [row] = await tx.query<CrawlRow>('SELECT id, options, seed_hosts FROM crawls WHERE name = $1 FOR UPDATE', [input.name]);
    if (!row) throw new Error(`crawl ${input.name} vanished during enqueue`);
    const options = crawlOptionsSchema.parse({ ...(jsonColumn(row.options) as object), ...input.options });
    const seedHosts = [...new Set([...(row.seed_hosts ?? []), ...hosts])];
    const isNew = created.length === 1;
    if (!isNew) {
      await tx.execute('UPDATE crawls SET options = $1::jsonb, seed_hosts = $2::text[], updated_at = CURRENT_TIMESTAMP WHERE id = $3', [JSON.stringify(options), seedHosts, row.id]);
    }
    // Pages fetched before the revisit policy was set or changed are scheduled under the new one.
    const before = isNew ? null : (crawlOptionsSchema.parse(jsonColumn(row.options) ?? {}).recrawl ?? null);
    if (!isNew && JSON.stringify(before) !== JSON.stringify(options.recrawl ?? null)) await applyPolicy(tx, row.id, options.recrawl ?? null);
    // crawls.discovered is only kept while a crawl has --max-pages: count it afresh when it gets one.
    if (!isNew && options.maxPages > 0) {
      await tx.execute('UPDATE crawls SET discovered = (SELECT count(*) FROM pages WHERE crawl_id = $1) WHERE id = $1', [row.id]);
    }
    const rows: NewPageRow[] = [];
    let known = 0;
    let overLimit = 0;
    for (let i = 0; i < input.seeds.length; i += CHUNK) {
      const chunk = input.seeds.slice(i, i + CHUNK).map((url) => ({ url, depth: 0 }));
      const r = await insertPages(tx, row.id, options, chunk);
      rows.push(...r.inserted);
      known += r.known.length;
      overLimit += r.overLimit;
    }
    return { rows, result: { crawlId: row.id, created: isNew, options, inserted: rows.length, known, overLimit } };
  });
  await enqueuePages(queue, result.crawlId, rows, input.attempts);
  return result;
}
