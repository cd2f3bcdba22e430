/** The demo's closing summary, from the crawl's status and the sample site's request log. Pure. */
import type { SampleSite } from '../sample-site/index.js';
import type { CrawlStatus } from './crawl-status.js';

const byCode = (counts: Record<string, number>) =>
  Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([code, n]) => `${code} ${n}`)
    .join(', ');

/** How many requests the site received for any of these URLs. */
export function requestsFor(site: Pick<SampleSite, 'requests'>, urls: string[]): number {
  const paths = new Set(urls.map((u) => new URL(u).pathname));
  return site.requests.filter((r) => paths.has(r.split('?')[0]!)).length;
}

export function demoSummary(status: CrawlStatus, site: Pick<SampleSite, 'requests' | 'expected'>, elapsedMs: number): string {
  const rows = status.fetched + status.failed + status.skipped + status.redirected;
  const seconds = elapsedMs / 1000;
  const { notFound, nonHtml, disallowed } = site.expected;
  return [
    `crawl ${JSON.stringify(status.name)} finished: ${rows} URLs stored`,
    `  pages fetched: ${status.fetched} (the site expects ${site.expected.fetchable.length})`,
    `  failed: ${status.failed}${status.failed > 0 ? ` (${byCode(status.failedByCode)})` : ''}`,
    `    deliberate traps of the sample site: ${notFound.length} links to pages that do not exist (404), ${nonHtml.length} PDF files (not HTML)`,
    `  skipped: ${status.skipped}${status.skipped > 0 ? ` (${byCode(status.skippedByCode)})` : ''}`,
    `    deliberate: ${disallowed.length} links under /private/, which robots.txt disallows (never requested)`,
    `  redirected: ${status.redirected} (each target fetched at most once, like any link)`,
    `  elapsed: ${seconds.toFixed(1)} s, ${(status.fetched / Math.max(seconds, 0.001)).toFixed(1)} pages fetched/s`,
    `  robots-disallowed pages requested: ${requestsFor(site, site.expected.disallowed)}`,
    `  nofollow-only pages requested: ${requestsFor(site, site.expected.nofollowOnly)}`,
  ].join('\n');
}

/** The exact commands to look further, for the demo's own prefix and database. */
export function lookFurther(crawl: string, prefix: string, databaseUrl: string): string {
  const target = `--prefix ${prefix} --database-url '${databaseUrl}'`;
  return [
    'to look further:',
    `  spiderd status --crawl ${crawl} ${target}`,
    `  spiderd mem ${target}`,
    `  spiderd export --crawl ${crawl} ${target}`,
  ].join('\n');
}
