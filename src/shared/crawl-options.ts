/**
 * Options stored with each crawl (in crawls.options), so every process and every daemon
 * applies the same ones. Defaults are polite.
 */
import { z } from 'zod';
import { recrawlPolicySchema } from './recrawl/policy.js';

const regex = z.string().refine((s) => {
  try {
    new RegExp(s);
    return true;
  } catch {
    return false;
  }
}, 'is not a valid regular expression');

/**
 * Crawls enqueued before the user agent became a daemon setting stored this default, which
 * names a repository that is not the project's; they get the daemon's instead.
 */
const LEGACY_DEFAULT_USER_AGENT = 'spiderd/0.1 (+https://github.com/spiderd/spiderd)';

export const crawlOptionsSchema = z.object({
  /** host: the seeds' hosts only; domain: their registrable domains and subdomains; any: no limit. */
  scope: z.enum(['host', 'domain', 'any']).default('host'),
  include: z.array(regex).default([]),
  exclude: z.array(regex).default([]),
  maxDepth: z.number().int().min(0).max(1000).default(10),
  /** 0 = no limit. Counts every URL the crawl discovers (seeds included). */
  maxPages: z.number().int().min(0).default(0),
  /** 0 = no limit. The same, per host (host:port): a guard against calendar traps and other endless URL spaces. */
  maxPagesPerHost: z.number().int().min(0).default(0),
  perHostConcurrency: z.number().int().min(1).max(1000).default(2),
  perHostDelayMs: z.number().int().min(0).max(3_600_000).default(1000),
  /** The User-Agent header; unset = the daemon's (config userAgent, `spiderd/<version>` unless its operator set one). */
  userAgent: z.preprocess((v) => (v === LEGACY_DEFAULT_USER_AGENT ? undefined : v), z.string().min(1).max(500).optional()),
  ignoreRobots: z.boolean().default(false),
  /** Path of an extraction handler module for this crawl (overrides the daemon's --handler). */
  handler: z.string().min(1).optional(),
  /** The revisit policy (docs/recrawl.md); unset (or null) = every page is fetched once. */
  recrawl: recrawlPolicySchema.nullable().optional(),
  /** Run the handler again on a refetch whose body hash is unchanged (default: keep its stored data). */
  handleUnchanged: z.boolean().default(false),
  /** Read each origin's sitemaps (robots.txt Sitemap: lines, else /sitemap.xml) for URLs to crawl. */
  sitemaps: z.boolean().default(false),
});

export type CrawlOptions = z.infer<typeof crawlOptionsSchema>;

export function parseCrawlOptions(raw: unknown): CrawlOptions {
  return crawlOptionsSchema.parse(raw ?? {});
}
