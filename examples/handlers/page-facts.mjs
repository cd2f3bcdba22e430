// An extraction handler: spiderd calls it for every fetched HTML page and stores what it
// returns (JSON-able) in pages.data. Use it with `spiderd start --handler ./examples/handlers/page-facts.mjs`
// or per crawl with `spiderd enqueue ... --handler ./examples/handlers/page-facts.mjs`.
//
// page: { url, finalUrl, status, headers, html, $ (a cheerio document), depth, crawl }
export default async function pageFacts(page) {
  const { $ } = page;
  return {
    h1: $('h1').first().text().trim() || null,
    headings: $('h1, h2, h3').length,
    words: $('body').text().split(/\s+/).filter(Boolean).length,
    lang: $('html').attr('lang') ?? null,
  };
}
