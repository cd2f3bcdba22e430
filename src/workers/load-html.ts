/**
 * Parses HTML into a cheerio document with htmlparser2 (cheerio/slim's parser), with nesting
 * capped at MAX_DEPTH open elements, as Blink's HTML parser caps it at 512. htmlparser2 keeps
 * its open elements in an array it shifts and unshifts, so 100,000 nested tags cost it seconds
 * (quadratic), and every later selector walks that depth again: a hostile page could hold a
 * crawler process for tens of seconds. At the cap, a new element closes the innermost open one
 * first, so the tree stays shallow; pages that nest less than 512 deep parse exactly as before.
 */
import { load, type CheerioAPI } from 'cheerio/slim';
import { DomHandler } from 'domhandler';
import { Parser } from 'htmlparser2';

export const MAX_DEPTH = 512;

interface ParserInternals {
  stack: unknown;
  emitOpenTag(name: string): void;
  isVoidElement(name: string): boolean;
}

export function loadHtml(html: string): CheerioAPI {
  const handler = new DomHandler();
  const parser = new Parser(handler, { decodeEntities: true });
  capDepth(parser as unknown as ParserInternals, handler);
  parser.end(html);
  return load(handler.root);
}

function capDepth(p: ParserInternals, handler: DomHandler): void {
  const open = p.emitOpenTag;
  if (typeof open !== 'function' || !Array.isArray(p.stack)) return; // another htmlparser2 layout: parse uncapped
  const stack = p.stack as string[];
  p.emitOpenTag = function emitOpenTag(this: ParserInternals, name: string) {
    if (stack.length >= MAX_DEPTH && !this.isVoidElement(name)) {
      stack.shift();
      handler.onclosetag(); // the innermost open element ends here
    }
    open.call(this, name);
  };
}
