/**
 * htmlparser2's Tokenizer with a fast path over plain text. With entity decoding on, the stock
 * tokenizer looks at every character of a text run and of a quoted attribute value one loop turn
 * at a time, only to find the next `<` or `&` (or closing quote); on text-heavy pages that loop
 * is most of a parse. Here a run of characters that cannot change the state is skipped with
 * String#indexOf, and the stock state code still handles the character that ends it, so events,
 * their positions and entity decoding are the same as the stock tokenizer's.
 *
 * Each searched character's next position is remembered, so a page costs one indexOf scan per
 * character kind, not one per text run.
 *
 * One tokenizer serves every page of the process (parse-html.ts), so reset() also clears what
 * the stock one leaves behind.
 */
import { Tokenizer } from 'htmlparser2';

const LT = 0x3c; // <
const AMP = 0x26; // &
const DQ = 0x22; // "

/** The members of htmlparser2's Tokenizer (10.x) the fast path relies on; TypeScript declares them private. */
interface TokenizerInternals {
  buffer: string;
  index: number;
  offset: number;
  isSpecial: boolean;
  sequenceIndex: number;
  write(chunk: string): void;
  reset(): void;
  stateText(c: number): void;
  handleInAttributeValue(c: number, quote: number): void;
}

type TokenizerArgs = ConstructorParameters<typeof Tokenizer>;
const BaseTokenizer = Tokenizer as unknown as new (...args: TokenizerArgs) => TokenizerInternals;

export class SkimmingTokenizer extends BaseTokenizer {
  /** Next position in `buffer` of `<`, `&`, `"` and `'` found by the last search for each (buffer.length when none; -1 before any). */
  private nextLt = -1;
  private nextAmp = -1;
  private nextDq = -1;
  private nextSq = -1;

  override write(chunk: string): void {
    this.forget();
    super.write(chunk);
  }

  /**
   * The stock reset() leaves `isSpecial` set when a page ends inside a <script>, <style> or
   * <title> start tag (a truncated body): the next page's first tag then entered a raw-text
   * state with no end sequence and threw. A reset here starts from a clean tokenizer.
   */
  override reset(): void {
    this.forget();
    super.reset();
    this.isSpecial = false;
    this.sequenceIndex = 0;
  }

  override stateText(c: number): void {
    if (c === LT || c === AMP) {
      super.stateText(c);
      return;
    }
    const from = this.index - this.offset + 1;
    if (this.nextLt < from) this.nextLt = this.find('<', from);
    if (this.nextAmp < from) this.nextAmp = this.find('&', from);
    this.index = Math.min(this.nextLt, this.nextAmp) + this.offset - 1;
  }

  override handleInAttributeValue(c: number, quote: number): void {
    if (c === quote || c === AMP) {
      super.handleInAttributeValue(c, quote);
      return;
    }
    const from = this.index - this.offset + 1;
    let end: number;
    if (quote === DQ) {
      if (this.nextDq < from) this.nextDq = this.find('"', from);
      end = this.nextDq;
    } else {
      if (this.nextSq < from) this.nextSq = this.find("'", from);
      end = this.nextSq;
    }
    if (this.nextAmp < from) this.nextAmp = this.find('&', from);
    // The parse loop moves on by one after this call: its next character is the first stop.
    this.index = Math.min(end, this.nextAmp) + this.offset - 1;
  }

  private find(char: string, from: number): number {
    const at = this.buffer.indexOf(char, from);
    return at < 0 ? this.buffer.length : at;
  }

  private forget(): void {
    this.nextLt = this.nextAmp = this.nextDq = this.nextSq = -1;
  }
}
