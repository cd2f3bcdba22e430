/**
 * Each job needs its crawl's options and compiled scope. They are loaded once per crawl and
 * kept for a few seconds (so option changes reach running processes quickly) instead of
 * being read per page. Concurrent jobs of one crawl share one load.
 */
import { jsonColumn, type SqlRunner } from '../shared/db/sql.js';
import { parseCrawlOptions, type CrawlOptions } from '../shared/crawl-options.js';
import { SpiderdError, coerceError } from '../shared/errors.js';
import { compileScope, type ScopeRules } from '../shared/url/scope.js';
import { dbError } from './db-errors.js';

export type CachedCrawl =
  | { id: number; name: string; ok: true; options: CrawlOptions; scope: ScopeRules }
  /** The stored options do not validate: every page of the crawl fails with this error. */
  | { id: number; name: string; ok: false; error: SpiderdError };

interface Entry {
  at: number;
  value: Promise<CachedCrawl | null>;
}

export class CrawlCache {
  private readonly entries = new Map<number, Entry>();

  constructor(
    private readonly sql: SqlRunner,
    private readonly ttlMs = 5_000,
  ) {}

  /** The crawl, or null when it no longer exists. Throws SPIDERD_DB_UNAVAILABLE on a DB blip. */
  get(crawlId: number): Promise<CachedCrawl | null> {
    const now = Date.now();
    const hit = this.entries.get(crawlId);
    if (hit && now - hit.at < this.ttlMs) return hit.value;
    if (this.entries.size > 1_000) this.prune(now);
    const value = this.load(crawlId);
    this.entries.set(crawlId, { at: now, value });
    value.catch(() => {
      if (this.entries.get(crawlId)?.value === value) this.entries.delete(crawlId); // never cache a failed load
    });
    return value;
  }

  private async load(crawlId: number): Promise<CachedCrawl | null> {
    let row: { id: number; name: string; options: unknown; seedHosts: string[] } | null;
    try {
      const [found] = await this.sql.query<{ id: number; name: string; options: unknown; seed_hosts: string[] | null }>(
        'SELECT id, name, options, seed_hosts FROM crawls WHERE id = $1',
        [crawlId],
      );
      // The driver adapter hands jsonb over as its text.
      const options = jsonColumn(found?.options);
      row = found ? { id: found.id, name: found.name, options, seedHosts: found.seed_hosts ?? [] } : null;
    } catch (err) {
      throw dbError(`loading crawl ${crawlId}`, err);
    }
    if (!row) return null;
    try {
      const options = parseCrawlOptions(row.options);
      return { id: row.id, name: row.name, ok: true, options, scope: compileScope(options, row.seedHosts) };
    } catch (err) {
      const cause = coerceError(err);
      return { id: row.id, name: row.name, ok: false, error: new SpiderdError('SPIDERD_BAD_INPUT', `crawl ${row.name} has invalid stored options: ${cause.message}`, { cause }) };
    }
  }

  private prune(now: number): void {
    for (const [id, e] of this.entries) if (now - e.at >= this.ttlMs) this.entries.delete(id);
  }
}
