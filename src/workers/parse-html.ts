/**
 * One pass of htmlparser2 (cheerio/slim's parser) over a page: its events go to the page
 * extractor, and, when a handler needs one, to a DOM builder whose document becomes the cheerio
 * `$`. Without a handler no DOM is built at all (most of a parse's memory and time).
 *
 * Nesting is capped at MAX_DEPTH open elements, as Blink's HTML parser caps it at 512:
 * htmlparser2 keeps its open elements in an array it shifts and unshifts, so 100,000 nested tags
 * cost it seconds (quadratic), and every later walk of the DOM pays the depth again. At the cap a
 * new element closes the innermost open one first; pages nested less than 512 deep parse as before.
 *
 * One parser, one DOM builder and one event relay serve every page of the process (parsing is
 * synchronous, so pages never share them at once; they are reset after each page so nothing of
 * it stays referenced). A parser per page made V8's optimized tokenizer code embed objects that
 * die with the page: every major GC then threw that code away to recompile it (seen with
 * --trace-deopt, "weak objects"), which made each GC, and the leak sentinel's forced ones, cost
 * hundreds of milliseconds of CPU.
 */
import { load, type CheerioAPI } from 'cheerio/slim';
import { DomHandler } from 'domhandler';
import { Parser, type Handler, type ParserOptions } from 'htmlparser2';
import { SkimmingTokenizer } from './skimming-tokenizer.js';

export const MAX_DEPTH = 512;

/** The members of htmlparser2's Parser (10.x) the cap and the attribute skipping rely on; TypeScript declares them private. */
interface ParserInternals {
  stack: string[];
  cbs: Partial<Handler>;
  attribs: Record<string, string> | null;
  emitOpenTag(name: string): void;
  isVoidElement(name: string): boolean;
  onattribname(start: number, endIndex: number): void;
  onattribdata(start: number, endIndex: number): void;
  onattribentity(codePoint: number): void;
  end(chunk: string): void;
  reset(): void;
}

const BaseParser = Parser as unknown as new (cbs: Partial<Handler>, options: ParserOptions) => ParserInternals;

class DepthCappedParser extends BaseParser {
  /** Without a DOM, the only tags whose attributes are collected (and open-tag events sent); null: all. */
  openTags: ReadonlySet<string> | null = null;

  override emitOpenTag(name: string): void {
    if (Array.isArray(this.stack) && this.stack.length >= MAX_DEPTH && !this.isVoidElement(name)) {
      const innermost = this.stack.shift()!;
      this.cbs.onclosetag?.(innermost, true);
    }
    super.emitOpenTag(name);
    if (this.openTags !== null && !this.openTags.has(name)) this.attribs = null;
  }

  // A tag whose attributes nobody reads skips building their names and values.
  override onattribname(start: number, endIndex: number): void {
    if (this.attribs !== null) super.onattribname(start, endIndex);
  }
  override onattribdata(start: number, endIndex: number): void {
    if (this.attribs !== null) super.onattribdata(start, endIndex);
  }
  override onattribentity(codePoint: number): void {
    if (this.attribs !== null) super.onattribentity(codePoint);
  }
}

/** Passes every parser event to the DOM builder (when the page needs one), then to the page's extractor. */
class EventRelay implements Partial<Handler> {
  dom: DomHandler | null = null;
  events: Partial<Handler> = {};

  onparserinit(parser: Parser): void {
    this.dom?.onparserinit(parser);
  }
  onreset(): void {
    this.dom?.onreset();
  }
  onend(): void {
    this.dom?.onend();
  }
  onerror(error: Error): void {
    this.dom?.onerror(error);
  }
  onopentag(name: string, attribs: Record<string, string>): void {
    this.dom?.onopentag(name, attribs);
    this.events.onopentag?.(name, attribs, false);
  }
  onclosetag(name: string, isImplied: boolean): void {
    this.dom?.onclosetag();
    this.events.onclosetag?.(name, isImplied);
  }
  ontext(data: string): void {
    this.dom?.ontext(data);
    this.events.ontext?.(data);
  }
  oncomment(data: string): void {
    this.dom?.oncomment(data);
  }
  oncommentend(): void {
    this.dom?.oncommentend();
  }
  oncdatastart(): void {
    this.dom?.oncdatastart();
  }
  oncdataend(): void {
    this.dom?.oncdataend();
  }
  onprocessinginstruction(name: string, data: string): void {
    this.dom?.onprocessinginstruction(name, data);
  }
}

const relay = new EventRelay();
const builder = new DomHandler();
const parser = new DepthCappedParser(relay, { decodeEntities: true, Tokenizer: SkimmingTokenizer as unknown as ParserOptions['Tokenizer'] });

const NO_EVENTS: Partial<Handler> = {};

/** The cheerio document of `html` alone (what a handler's `page.$` is built from, on first read). */
export function parseDom(html: string): CheerioAPI {
  return parseHtml(html, NO_EVENTS, true)!;
}

/**
 * Parses `html`, sending its events to `events`; returns the cheerio document when `dom` is set.
 * Without a DOM, `openTags` (lower-case names) limits open-tag events, and the work of reading
 * attributes, to the tags the caller reads; close-tag and text events still come for every tag.
 */
export function parseHtml(html: string, events: Partial<Handler>, dom: boolean, openTags: ReadonlySet<string> | null = null): CheerioAPI | null {
  relay.events = events;
  relay.dom = dom ? builder : null;
  parser.openTags = dom ? null : openTags;
  try {
    parser.reset();
    parser.end(html);
    return dom ? load(builder.root) : null;
  } finally {
    parser.reset(); // drops the parser's and the builder's references to this page
    parser.openTags = null;
    relay.dom = null;
    relay.events = {};
  }
}
