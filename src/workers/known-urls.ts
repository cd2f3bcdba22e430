/**
 * URLs this process has seen committed to a crawl's frontier (inserted by it, or found already
 * there). Most links of a page point at pages the crawl knows (navigation, ancestors, siblings),
 * so they are not offered to PostgreSQL again. Bounded (the least recently used quarter goes when
 * it is full), and exact: a URL is only remembered after PostgreSQL confirmed its row, so nothing
 * unknown is ever skipped.
 */
import type { Candidate } from '../shared/frontier.js';

export const KNOWN_URLS_CAP = 20_000;

export class KnownUrls {
  /** Per crawl, URL -> the use count when last seen (a Map keeps insertion order, not use order). */
  private readonly crawls = new Map<number, Map<string, number>>();
  private count = 0;
  private clock = 0;

  constructor(private readonly cap = KNOWN_URLS_CAP) {}

  /** The candidates the cache does not know (a hit counts as a use). */
  unknown(crawlId: number, candidates: Candidate[]): Candidate[] {
    const urls = this.crawls.get(crawlId);
    if (urls === undefined) return candidates;
    const out: Candidate[] = [];
    for (const c of candidates) {
      if (urls.has(c.url)) urls.set(c.url, ++this.clock);
      else out.push(c);
    }
    return out;
  }

  /** Whether the cache knows `url` to be in the crawl (not counted as a use). */
  has(crawlId: number, url: string): boolean {
    return this.crawls.get(crawlId)?.has(url) === true;
  }

  remember(crawlId: number, urls: Iterable<string>): void {
    let known = this.crawls.get(crawlId);
    if (known === undefined) this.crawls.set(crawlId, (known = new Map()));
    for (const url of urls) {
      if (!known.has(url)) this.count++;
      known.set(url, ++this.clock);
    }
    if (this.count > this.cap) this.evict();
  }

  get size(): number {
    return this.count;
  }

  /** Drops the least recently used quarter, so eviction is rare and its cost spread over many pages. */
  private evict(): void {
    const uses: number[] = [];
    for (const urls of this.crawls.values()) for (const used of urls.values()) uses.push(used);
    uses.sort((a, b) => a - b);
    const cutoff = uses[Math.floor(this.cap / 4)] ?? 0;
    for (const [crawlId, urls] of this.crawls) {
      for (const [url, used] of urls) {
        if (used > cutoff) continue;
        urls.delete(url);
        this.count--;
      }
      if (urls.size === 0) this.crawls.delete(crawlId);
    }
  }
}
