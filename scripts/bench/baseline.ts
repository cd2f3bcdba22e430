/**
 * The yardstick: a plain loop of undici fetch (same Accept-Encoding, bodies decompressed) +
 * cheerio parse over the same URLs the daemon crawls, in one process, no queue, no database. Also times cheerio's two parsers.
 */
import { load as loadParse5 } from 'cheerio';
import { load as loadSlim } from 'cheerio/slim';
import zlib from 'node:zlib';
import { Agent, request } from 'undici';

export interface BaselineResult {
  pages: number;
  seconds: number;
  pagesPerSecond: number;
  links: number;
}

export async function plainLoop(urls: string[], concurrency: number): Promise<BaselineResult> {
  const agent = new Agent({ keepAliveTimeout: 10_000, connections: concurrency });
  let next = 0;
  let links = 0;
  const started = performance.now();
  const lane = async () => {
    while (next < urls.length) {
      const url = urls[next++]!;
      // The same request a crawler process sends, so both pay for compressed bodies alike.
      const res = await request(url, { dispatcher: agent, headers: { 'user-agent': 'spiderd-bench', 'accept-encoding': 'gzip, deflate, br' } });
      const html = decode(Buffer.from(await res.body.arrayBuffer()), String(res.headers['content-encoding'] ?? ''));
      const $ = loadSlim(html);
      $('title').text();
      $('a[href]').each((_, el) => {
        if (URL.canParse($(el).attr('href') ?? '', url)) links++;
      });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  const seconds = (performance.now() - started) / 1000;
  await agent.close();
  return { pages: urls.length, seconds, pagesPerSecond: urls.length / seconds, links };
}

function decode(body: Buffer, encoding: string): string {
  if (encoding.includes('gzip')) return zlib.gunzipSync(body).toString('utf8');
  if (encoding.includes('br')) return zlib.brotliDecompressSync(body).toString('utf8');
  if (encoding.includes('deflate')) return zlib.inflateSync(body).toString('utf8');
  return body.toString('utf8');
}

/** Parse-only throughput of cheerio's default (parse5) and htmlparser2 ("slim") paths on the same pages. */
export function parseRates(htmls: string[]): { parse5: number; htmlparser2: number } {
  const rate = (load: (html: string) => unknown) => {
    const started = performance.now();
    for (const html of htmls) load(html);
    return htmls.length / ((performance.now() - started) / 1000);
  };
  return { parse5: rate(loadParse5), htmlparser2: rate(loadSlim) };
}
