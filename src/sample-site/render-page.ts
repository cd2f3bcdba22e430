/** Renders a sample-site page model to HTML (5-15 KB of realistic markup by default). Pure. */
import type { LinkSpec, PageSpec } from './generate.js';
import { paragraph, prng, sentence } from './text.js';

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function href(link: LinkSpec, origin: string): string {
  switch (link.style) {
    case 'absolute':
      return link.target.startsWith('http') ? link.target : `${origin}${link.target}`;
    case 'relative-to-base':
      return link.target.slice(1);
    case 'fragment':
      return `${link.target}#top`;
    default:
      return link.target;
  }
}

function anchor(link: LinkSpec, origin: string): string {
  const rel = link.rel === undefined ? '' : ` rel="${escapeHtml(link.rel)}"`;
  return `<a href="${escapeHtml(href(link, origin))}"${rel}>${escapeHtml(link.text)}</a>`;
}

/** How many paragraphs a page has: min + [0, spread). The default gives 5-15 KB pages. */
export interface PageSize {
  minParagraphs: number;
  spread: number;
}

export const DEFAULT_PAGE_SIZE: PageSize = { minParagraphs: 8, spread: 12 };

export function renderPage(page: PageSpec, origin: string, path: string, size: PageSize = DEFAULT_PAGE_SIZE): string {
  const rand = prng((page.n || path.length) * 2_654_435 + 17);
  const paragraphs = size.minParagraphs + Math.floor(rand() * size.spread);
  const links = page.links.map((l) => anchor(l, origin));
  const body: string[] = [];
  for (let p = 0; p < paragraphs; p++) {
    body.push(`<p>${paragraph(rand)}</p>`);
    if (p % 3 === 1 && links.length > 0) body.push(`<p class="see-also">See also: ${links.splice(0, 2).join(' and ')}.</p>`);
    if (p === 3) body.push(`<h2>${escapeHtml(sentence(rand).slice(0, 60))}</h2>`);
  }
  const rest = links.length > 0 ? `<ul class="more">${links.map((a) => `<li>${a}</li>`).join('')}</ul>` : '';
  const head = [
    '<meta charset="utf-8">',
    `<title>${escapeHtml(page.title)}</title>`,
    `<meta name="description" content="${escapeHtml(page.description)}">`,
    page.base === null ? '' : `<base href="${escapeHtml(page.base)}">`,
    page.n > 0 ? `<link rel="canonical" href="/page/${page.n}">` : '',
    page.metaNofollow ? '<meta name="robots" content="nofollow">' : '',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
  ].filter((s) => s !== '');
  return [
    '<!doctype html>',
    '<html lang="en">',
    `<head>${head.join('\n')}</head>`,
    '<body>',
    '<header><nav class="site"><span>spiderd sample site</span></nav></header>',
    `<main id="top"><article><h1>${escapeHtml(page.title)}</h1>`,
    body.join('\n'),
    rest,
    '</article></main>',
    `<footer><p>${sentence(rand)}</p></footer>`,
    '</body></html>',
    '',
  ].join('\n');
}
