/**
 * What spiderd reads from a page, collected from the HTML parser's events in the same pass that
 * tokenizes it (pure, no DOM needed): the first <title> outside SVG, the first <base href>, the
 * description and robots <meta>s, the canonical <link>, and the <a>/<area> hrefs with their rel.
 * parse-page.ts resolves and normalizes them.
 */
import type { Handler } from 'htmlparser2';

export interface RawLink {
  href: string;
  rel: string | undefined;
}

/** Anchors looked at per page; parse-page keeps the first MAX_LINKS_PER_PAGE distinct ones of them. */
export const MAX_ANCHORS = 20_000;

/** The tags whose open-tag events (and attributes) the extractor reads. */
export const EXTRACTED_TAGS: ReadonlySet<string> = new Set(['a', 'area', 'svg', 'title', 'base', 'meta', 'link']);

export class PageExtractor implements Partial<Handler> {
  title: string | null = null;
  base: string | null = null;
  description: string | null = null;
  canonical: string | null = null;
  readonly robots: string[] = [];
  readonly links: RawLink[] = [];
  private titleText: string[] | null = null;
  private svgDepth = 0;

  onopentag(name: string, attribs: Record<string, string>): void {
    switch (name) {
      case 'a':
      case 'area':
        if (attribs.href !== undefined && this.links.length < MAX_ANCHORS) this.links.push({ href: attribs.href, rel: attribs.rel });
        return;
      case 'svg':
        this.svgDepth++;
        return;
      case 'title':
        if (this.title === null && this.titleText === null && this.svgDepth === 0) this.titleText = [];
        return;
      case 'base':
        if (this.base === null && attribs.href !== undefined) this.base = attribs.href;
        return;
      case 'meta':
        this.meta(attribs);
        return;
      case 'link':
        if (this.canonical === null && attribs.href !== undefined && relTokens(attribs.rel).includes('canonical')) this.canonical = attribs.href;
        return;
      default:
    }
  }

  ontext(text: string): void {
    this.titleText?.push(text);
  }

  onclosetag(name: string): void {
    if (name === 'svg' && this.svgDepth > 0) this.svgDepth--;
    if (name === 'title' && this.titleText !== null) {
      this.title = this.titleText.join('');
      this.titleText = null;
    }
  }

  private meta(attribs: Record<string, string>): void {
    const name = attribs.name?.trim().toLowerCase();
    const content = attribs.content;
    if (name === undefined || content === undefined) return;
    if (name === 'description' && this.description === null) this.description = content;
    if (name === 'robots') this.robots.push(content);
  }
}

export function relTokens(rel: string | undefined): string[] {
  return rel === undefined ? [] : rel.toLowerCase().split(/\s+/);
}
