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
  const done = status.fetched + status.failed + status.skipped + status.redirected;
  const seconds = elapsedMs / 1000;
  return [
    `crawl ${JSON.stringify(status.name)} finished`,
    `  pages fetched: ${status.fetched} (the site expects ${site.expected.fetchable.length})`,
    `  failed: ${status.failed}${status.failed > 0 ? ` (${byCode(status.failedByCode)})` : ''}`,
    `  skipped: ${status.skipped}${status.skipped > 0 ? ` (${byCode(status.skippedByCode)})` : ''}`,
    `  redirected: ${status.redirected} (each target fetched at most once, like any link)`,
    `  elapsed: ${seconds.toFixed(1)} s, ${(done / Math.max(seconds, 0.001)).toFixed(1)} pages/s`,
    `  robots-disallowed pages requested: ${requestsFor(site, site.expected.disallowed)}`,
    `  nofollow-only pages requested: ${requestsFor(site, site.expected.nofollowOnly)}`,
  ].join('\n');
}
