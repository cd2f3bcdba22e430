// A handler with a deliberate leak, for trying spiderd's leak hunting (README, "Hunting a
// leak"). It keeps every page it sees in a module-level cache that nothing ever empties:
// the most common leak in real extraction code.
class PageCacheEntry {
  constructor(url, html, title) {
    this.url = url;
    this.html = html;
    this.title = title;
  }
}

const cache = [];

export default async function leaky(page) {
  const title = page.$('title').text();
  cache.push(new PageCacheEntry(page.url, page.html, title));
  return { title };
}
