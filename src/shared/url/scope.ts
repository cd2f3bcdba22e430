/** Whether a URL belongs to a crawl: scope (host/domain/any) and include/exclude regexes. Pure. */
import { getDomain } from 'tldts';
import type { CrawlOptions } from '../crawl-options.js';

export interface ScopeRules {
  scope: CrawlOptions['scope'];
  seedHosts: ReadonlySet<string>;
  seedDomains: ReadonlySet<string>;
  include: RegExp[];
  exclude: RegExp[];
}

export function compileScope(options: Pick<CrawlOptions, 'scope' | 'include' | 'exclude'>, seedHosts: readonly string[]): ScopeRules {
  return {
    scope: options.scope,
    seedHosts: new Set(seedHosts),
    seedDomains: new Set(seedHosts.map((h) => registrableDomain(new URL(`http://${h}`).hostname))),
    include: options.include.map((r) => new RegExp(r)),
    exclude: options.exclude.map((r) => new RegExp(r)),
  };
}

/** The registrable domain (example.co.uk for a.b.example.co.uk); the host itself for IPs and localhost. */
export function registrableDomain(host: string): string {
  return getDomain(host, { allowPrivateDomains: true }) ?? host;
}

/** URL.host and URL.hostname of a normalized http(s) URL, read without parsing it again (this runs per link). */
export function hostParts(url: string): { host: string; hostname: string } {
  const start = url.indexOf('//') + 2;
  const end = url.indexOf('/', start);
  const host = end < 0 ? url.slice(start) : url.slice(start, end);
  const colon = host.startsWith('[') ? host.indexOf(']') + 1 : host.indexOf(':');
  const hostname = colon < 0 ? host : host.slice(0, colon);
  return { host, hostname };
}

/** Seed hosts are URL.host values (with a port where one is given). `url` must be normalized. Returns null when in scope, else the reason it is not. */
export function outOfScope(url: string, rules: ScopeRules): string | null {
  const { host, hostname } = hostParts(url);
  if (rules.scope === 'host' && !rules.seedHosts.has(host)) return `host ${host} is not a seed host`;
  if (rules.scope === 'domain' && !rules.seedDomains.has(registrableDomain(hostname))) return `host ${host} is outside the seeds' domains`;
  if (rules.include.length > 0 && !rules.include.some((r) => r.test(url))) return 'matches no --include pattern';
  const excluded = rules.exclude.find((r) => r.test(url));
  if (excluded) return `matches --exclude ${excluded.source}`;
  return null;
}
