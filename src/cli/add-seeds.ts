/**
 * Creates or updates a crawl and adds its seeds, in one transaction: the crawl row (options =
 * stored or defaults, overridden by the given ones; seedHosts = union), then the seeds' pages
 * rows at depth 0. Their queue jobs are added after the commit.
 */
import type { Queue } from 'bullmq';
import { crawlOptionsSchema, type CrawlOptions } from '../shared/crawl-options.js';
import { prismaRunner, type Db } from '../shared/db/client.js';
import { enqueuePages, insertPages, type NewPageRow } from '../shared/frontier.js';
import type { PageJob } from '../shared/page-jobs.js';

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

export async function addSeeds(db: Db, queue: Queue<PageJob>, input: AddSeedsInput): Promise<AddSeedsResult> {
  const hosts = input.seeds.map((u) => new URL(u).host);
  const { result, rows } = await db.$transaction(async (tx) => {
    const fresh = crawlOptionsSchema.parse(input.options);
    const { count } = await tx.crawl.createMany({ data: [{ name: input.name, options: fresh, seedHosts: [...new Set(hosts)] }], skipDuplicates: true });
    const [row] = await tx.$queryRaw<Array<{ id: number; options: unknown; seed_hosts: string[] | null }>>`
      SELECT id, options, seed_hosts FROM crawls WHERE name = ${input.name} FOR UPDATE`;
    if (!row) throw new Error(`crawl ${input.name} vanished during enqueue`);
    const options = crawlOptionsSchema.parse({ ...(row.options as object), ...input.options });
    const seedHosts = [...new Set([...(row.seed_hosts ?? []), ...hosts])];
    if (count === 0) await tx.crawl.update({ where: { id: row.id }, data: { options, seedHosts } });
    // crawls.discovered is only kept while a crawl has --max-pages: count it afresh when it gets one.
    if (count === 0 && options.maxPages > 0) {
      await tx.$executeRaw`UPDATE crawls SET discovered = (SELECT count(*) FROM pages WHERE crawl_id = ${row.id}) WHERE id = ${row.id}`;
    }
    const rows: NewPageRow[] = [];
    let known = 0;
    let overLimit = 0;
    for (let i = 0; i < input.seeds.length; i += CHUNK) {
      const chunk = input.seeds.slice(i, i + CHUNK).map((url) => ({ url, depth: 0 }));
      const r = await insertPages(prismaRunner(tx), row.id, options, chunk);
      rows.push(...r.inserted);
      known += r.known.length;
      overLimit += r.overLimit;
    }
    return { rows, result: { crawlId: row.id, created: count === 1, options, inserted: rows.length, known, overLimit } };
  }, { timeout: 120_000, maxWait: 10_000 });
  await enqueuePages(queue, result.crawlId, rows, input.attempts);
  return result;
}
