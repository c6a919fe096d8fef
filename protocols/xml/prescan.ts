/**
 * The pre-scan every XML codec here runs on network input before fast-xml-parser sees it: one linear pass that
 * counts start tags, attributes, every other token and nesting, and refuses markup declarations, so that 10^5
 * elements, 10^5 attributes or a billion-laughs DTD cost one scan up to the point of refusal and no entity is
 * ever declared, let alone expanded. It never builds anything. The parser behind it costs a few µs per token
 * (an attribute ~4 µs, a CDATA section ~2 µs), so these counts, with the document's size, are what bound the
 * time one document can hold the event loop. Each codec passes its own error factory so that it keeps
 * throwing its own typed error.
 */

/** The refusals the XML layer can produce; MM7 and PAP both have error codes of these names. */
export type XmlRefusalCode = 'NOT_XML' | 'DOCTYPE' | 'TOO_MANY_ELEMENTS' | 'TOO_MANY_ATTRIBUTES' | 'TOO_MANY_TOKENS' | 'TOO_DEEP';

/** Builds the codec's own error (Mm7Error, PapError ...) for a refusal; the scan throws what it returns. */
export type XmlFail = (code: XmlRefusalCode, detail: string) => Error;

export interface PrescanOptions {
  /** Start tags in the document. */
  maxElements: number;
  /** Attributes in the document, namespace declarations included (each name in a start tag). */
  maxAttributes: number;
  /**
   * Tokens in the document: start and end tags, attributes, comments, CDATA sections, processing instructions,
   * the DOCTYPE, and every `&` (a reference, wherever it stands).
   */
  maxTokens: number;
  /** Element nesting. */
  maxDepth: number;
  /**
   * 'refuse': any `<!` but a comment or CDATA section (MM7 has no use for a DTD).
   * 'allow-external': one `<!DOCTYPE` before the first element and without an internal subset (PPGs send the
   * PAP PUBLIC one) is accepted and blanked out of the returned text; any other declaration is refused.
   */
  doctype: 'refuse' | 'allow-external';
}

const GT = 0x3e;
const LSQB = 0x5b;

/**
 * Index of the first `>` at or after `from` that is not inside a quoted literal, or of the first such `[` when
 * `stopAtSubset`; xml.length when there is none. Quotes matter: `>` is legal inside an attribute value.
 */
function markupEnd(xml: string, from: number, stopAtSubset: boolean): number {
  const n = xml.length;
  let quote = 0;
  let j = from;
  for (; j < n; j++) {
    const ch = xml.charCodeAt(j);
    if (quote !== 0) {
      if (ch === quote) quote = 0;
    } else if (ch === 0x22 || ch === 0x27) quote = ch;
    else if (ch === GT || (stopAtSubset && ch === LSQB)) break;
  }
  return j;
}

/**
 * Index of the `>` that ends the start tag whose name begins at `from` (xml.length when there is none), as
 * markupEnd finds it, counting its attributes into `budget`: an attribute is a name after white space or
 * directly after a closing quote, outside quotes (so `a="1"`, `a = "1"`, a bare `a` and the packed `a=""b=""`,
 * which the parser refuses only after reading it all, all count).
 */
function startTagEnd(xml: string, from: number, budget: Budget): number {
  const n = xml.length;
  let quote = 0;
  // A name may start here: after white space, or right after a value's closing quote.
  let boundary = false;
  let j = from;
  for (; j < n; j++) {
    const ch = xml.charCodeAt(j);
    if (quote !== 0) {
      if (ch === quote) {
        quote = 0;
        boundary = true;
      }
    } else if (ch === 0x22 || ch === 0x27) {
      quote = ch;
      boundary = false;
    } else if (ch === GT) break;
    else if (ch === 0x20 || ch === 0x09 || ch === 0x0a || ch === 0x0d) boundary = true;
    else {
      if (boundary && ch !== 0x3d /* = */ && ch !== 0x2f /* / */) budget.attribute();
      boundary = false;
    }
  }
  return j;
}

/** The counts of one scan against their limits: each method throws the codec's error at the first one over. */
class Budget {
  private elements = 0;
  private attributes = 0;
  private tokens = 0;

  constructor(
    private readonly opts: PrescanOptions,
    private readonly fail: XmlFail,
  ) {}

  token(): void {
    if (++this.tokens > this.opts.maxTokens) {
      throw this.fail(
        'TOO_MANY_TOKENS',
        `more than ${this.opts.maxTokens} tokens (tags, attributes, references, comments, CDATA sections, PIs)`,
      );
    }
  }

  element(): void {
    this.token();
    if (++this.elements > this.opts.maxElements) throw this.fail('TOO_MANY_ELEMENTS', `more than ${this.opts.maxElements} elements`);
  }

  attribute(): void {
    this.token();
    if (++this.attributes > this.opts.maxAttributes)
      throw this.fail('TOO_MANY_ATTRIBUTES', `more than ${this.opts.maxAttributes} attributes`);
  }

  /** Whether a start tag was seen (a DOCTYPE must come before the first). */
  get started(): boolean {
    return this.elements > 0;
  }
}

/**
 * Walks every `<` of `xml` and throws `fail(...)` for an unterminated construct (NOT_XML), a refused
 * declaration (DOCTYPE), more than maxElements start tags (TOO_MANY_ELEMENTS), maxAttributes attributes
 * (TOO_MANY_ATTRIBUTES) or maxTokens tokens (TOO_MANY_TOKENS), or nesting deeper than maxDepth (TOO_DEEP).
 * Returns the text to parse: `xml` itself, or with an allowed DOCTYPE replaced by spaces (same length, so the
 * parser's line numbers still point into the original).
 */
export function prescan(xml: string, opts: PrescanOptions, fail: XmlFail): string {
  const { maxDepth } = opts;
  const budget = new Budget(opts, fail);
  const n = xml.length;
  // References first: one indexOf pass, refused at the first `&` over the budget.
  for (let a = xml.indexOf('&'); a >= 0; a = xml.indexOf('&', a + 1)) budget.token();
  let i = 0;
  let depth = 0;
  let doctype: [start: number, end: number] | undefined;
  const unterminated = (what: string): Error => fail('NOT_XML', `unterminated ${what}`);
  for (;;) {
    const lt = xml.indexOf('<', i);
    if (lt < 0) break;
    const c = xml.charCodeAt(lt + 1);
    if (c === 0x21 /* ! */) {
      budget.token();
      if (xml.startsWith('<!--', lt)) {
        const e = xml.indexOf('-->', lt + 4);
        if (e < 0) throw unterminated('comment');
        i = e + 3;
        continue;
      }
      if (xml.startsWith('<![CDATA[', lt)) {
        const e = xml.indexOf(']]>', lt + 9);
        if (e < 0) throw unterminated('CDATA section');
        i = e + 3;
        continue;
      }
      if (opts.doctype === 'refuse') throw fail('DOCTYPE', 'DOCTYPE and markup declarations are refused');
      // Only the prolog's one DOCTYPE (case-sensitive, as XML is); an internal subset is where entities live.
      if (xml.startsWith('<!DOCTYPE', lt) && doctype === undefined && !budget.started) {
        const j = markupEnd(xml, lt + 9, true);
        if (j < n && xml.charCodeAt(j) === LSQB)
          throw fail('DOCTYPE', 'a DTD internal subset is refused (entity declarations are never read)');
        if (j >= n) throw unterminated('DOCTYPE');
        doctype = [lt, j + 1];
        i = j + 1;
        continue;
      }
      throw fail('DOCTYPE', 'markup declarations (<!ENTITY, <!ELEMENT, a second DOCTYPE) are refused');
    }
    if (c === 0x3f /* ? */) {
      budget.token();
      const e = xml.indexOf('?>', lt + 2);
      if (e < 0) throw unterminated('processing instruction');
      i = e + 2;
      continue;
    }
    if (c === 0x2f /* / */) {
      budget.token();
      const e = xml.indexOf('>', lt + 2);
      if (e < 0) throw unterminated('end tag');
      depth--;
      i = e + 1;
      continue;
    }
    budget.element();
    const j = startTagEnd(xml, lt + 1, budget);
    if (j >= n) throw unterminated('start tag');
    // An empty-element tag (`/>`) opens no level.
    if (xml.charCodeAt(j - 1) !== 0x2f && ++depth > maxDepth) throw fail('TOO_DEEP', `elements nested deeper than ${maxDepth}`);
    i = j + 1;
  }
  return doctype ? xml.slice(0, doctype[0]) + ' '.repeat(doctype[1] - doctype[0]) + xml.slice(doctype[1]) : xml;
}
