/**
 * One pass of htmlparser2 (cheerio/slim's parser) over a page: its events go to the page
 * extractor, and, when a handler needs one, to a DOM builder whose document becomes the cheerio
 * `$`. Without a handler no DOM is built at all (most of a parse's memory and time).
 *
 * Nesting is capped at MAX_DEPTH open elements, as Blink's HTML parser caps it at 512:
 * htmlparser2 keeps its open elements in an array it shifts and unshifts, so 100,000 nested tags
 * cost it seconds (quadratic), and every later walk of the DOM pays the depth again. At the cap a
 * new element closes the innermost open one first; pages nested less than 512 deep parse as before.
 * Both are classes defined once, so per-page objects keep one shape and V8's optimized code stays valid.
 */
import { load, type CheerioAPI } from 'cheerio/slim';
import { DomHandler } from 'domhandler';
import { Parser, type Handler } from 'htmlparser2';

export const MAX_DEPTH = 512;

/** The members of htmlparser2's Parser (10.x) the cap relies on; TypeScript declares them private. */
interface ParserInternals {
  stack: string[];
  cbs: Partial<Handler>;
  emitOpenTag(name: string): void;
  isVoidElement(name: string): boolean;
  end(chunk: string): void;
}

const BaseParser = Parser as unknown as new (cbs: Partial<Handler>, options: { decodeEntities: boolean }) => ParserInternals;

class DepthCappedParser extends BaseParser {
  override emitOpenTag(name: string): void {
    if (Array.isArray(this.stack) && this.stack.length >= MAX_DEPTH && !this.isVoidElement(name)) {
      const innermost = this.stack.shift()!;
      this.cbs.onclosetag?.(innermost, true);
    }
    super.emitOpenTag(name);
  }
}

/** Passes every parser event to the DOM builder, then to the extractor. */
class BothHandlers implements Partial<Handler> {
  constructor(
    private readonly dom: DomHandler,
    private readonly events: Partial<Handler>,
  ) {}

  onparserinit(parser: Parser): void {
    this.dom.onparserinit(parser);
  }
  onreset(): void {
    this.dom.onreset();
  }
  onend(): void {
    this.dom.onend();
  }
  onerror(error: Error): void {
    this.dom.onerror(error);
  }
  onopentag(name: string, attribs: Record<string, string>): void {
    this.dom.onopentag(name, attribs);
    this.events.onopentag?.(name, attribs, false);
  }
  onclosetag(name: string, isImplied: boolean): void {
    this.dom.onclosetag();
    this.events.onclosetag?.(name, isImplied);
  }
  ontext(data: string): void {
    this.dom.ontext(data);
    this.events.ontext?.(data);
  }
  oncomment(data: string): void {
    this.dom.oncomment(data);
  }
  oncommentend(): void {
    this.dom.oncommentend();
  }
  oncdatastart(): void {
    this.dom.oncdatastart();
  }
  oncdataend(): void {
    this.dom.oncdataend();
  }
  onprocessinginstruction(name: string, data: string): void {
    this.dom.onprocessinginstruction(name, data);
  }
}

/** Parses `html`, sending its events to `events`; returns the cheerio document when `dom` is set. */
export function parseHtml(html: string, events: Partial<Handler>, dom: boolean): CheerioAPI | null {
  const builder = dom ? new DomHandler() : null;
  const parser = new DepthCappedParser(builder ? new BothHandlers(builder, events) : events, { decodeEntities: true });
  parser.end(html);
  return builder ? load(builder.root) : null;
}
