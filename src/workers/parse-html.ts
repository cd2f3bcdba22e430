/**
 * One pass of htmlparser2 (cheerio/slim's parser) over a page: its events go to the page
 * extractor, and, when a handler needs one, to a DOM builder whose document becomes the cheerio
 * `$`. Without a handler no DOM is built at all (most of a parse's memory and time).
 *
 * Nesting is capped at MAX_DEPTH open elements, as Blink's HTML parser caps it at 512:
 * htmlparser2 keeps its open elements in an array it shifts and unshifts, so 100,000 nested tags
 * cost it seconds (quadratic), and every later walk of the DOM pays the depth again. At the cap a
 * new element closes the innermost open one first; pages nested less than 512 deep parse as before.
 */
import { load, type CheerioAPI } from 'cheerio/slim';
import { DomHandler } from 'domhandler';
import { Parser, type Handler } from 'htmlparser2';

export const MAX_DEPTH = 512;

interface ParserInternals {
  stack: unknown;
  emitOpenTag(name: string): void;
  isVoidElement(name: string): boolean;
}

/** Parses `html`, sending its events to `events`; returns the cheerio document when `dom` is set. */
export function parseHtml(html: string, events: Partial<Handler>, dom: boolean): CheerioAPI | null {
  const builder = dom ? new DomHandler() : null;
  const handler = builder ? both(builder, events) : events;
  const parser = new Parser(handler, { decodeEntities: true });
  capDepth(parser as unknown as ParserInternals, (name) => handler.onclosetag?.(name, true));
  parser.end(html);
  return builder ? load(builder.root) : null;
}

const EVENTS = ['onparserinit', 'onreset', 'onend', 'onerror', 'onclosetag', 'onopentagname', 'onattribute', 'onopentag', 'ontext', 'oncomment', 'oncdatastart', 'oncdataend', 'oncommentend', 'onprocessinginstruction'] as const;

/** A handler that passes every event to the DOM builder, then to the extractor. */
function both(dom: DomHandler, events: Partial<Handler>): Partial<Handler> {
  const out: Record<string, (...args: unknown[]) => void> = {};
  for (const name of EVENTS) {
    const a = (dom as unknown as Record<string, ((...args: unknown[]) => void) | undefined>)[name];
    const b = (events as Record<string, ((...args: unknown[]) => void) | undefined>)[name];
    if (a && b) out[name] = (...args) => (a.apply(dom, args), b.apply(events, args));
    else if (a) out[name] = (...args) => a.apply(dom, args);
    else if (b) out[name] = (...args) => b.apply(events, args);
  }
  return out as Partial<Handler>;
}

function capDepth(p: ParserInternals, closeInnermost: (name: string) => void): void {
  const open = p.emitOpenTag;
  if (typeof open !== 'function' || !Array.isArray(p.stack)) return; // another htmlparser2 layout: parse uncapped
  const stack = p.stack as string[];
  p.emitOpenTag = function emitOpenTag(this: ParserInternals, name: string) {
    if (stack.length >= MAX_DEPTH && !this.isVoidElement(name)) closeInnermost(stack.shift()!);
    open.call(this, name);
  };
}
