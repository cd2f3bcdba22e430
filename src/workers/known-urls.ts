/**
 * URLs this process has seen committed to a crawl's frontier (inserted by it, or found already
 * there). Most links of a page point at pages the crawl knows (navigation, ancestors, siblings),
 * so they are not offered to PostgreSQL again. Bounded (least recently used go first), and exact:
 * a URL is only remembered after PostgreSQL confirmed its row, so nothing unknown is ever skipped.
 */
import type { Candidate } from '../shared/frontier.js';

export const KNOWN_URLS_CAP = 50_000;

export class KnownUrls {
  private readonly urls = new Map<string, true>();

  constructor(private readonly cap = KNOWN_URLS_CAP) {}

  /** The candidates the cache does not know (a hit counts as a use). */
  unknown(crawlId: number, candidates: Candidate[]): Candidate[] {
    const out: Candidate[] = [];
    for (const c of candidates) {
      const key = `${crawlId} ${c.url}`;
      if (this.urls.delete(key)) this.urls.set(key, true);
      else out.push(c);
    }
    return out;
  }

  remember(crawlId: number, urls: Iterable<string>): void {
    for (const url of urls) {
      const key = `${crawlId} ${url}`;
      this.urls.delete(key);
      this.urls.set(key, true);
    }
    for (const oldest of this.urls.keys()) {
      if (this.urls.size <= this.cap) break;
      this.urls.delete(oldest);
    }
  }

  get size(): number {
    return this.urls.size;
  }
}
