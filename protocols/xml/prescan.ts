/**
 * The pre-scan every XML codec here runs on network input before fast-xml-parser sees it: one linear pass that
 * counts start tags and nesting and refuses markup declarations, so that 10^5 elements or a billion-laughs DTD
 * cost one scan up to the point of refusal and no entity is ever declared, let alone expanded. It never builds
 * anything. Each codec passes its own error factory so that it keeps throwing its own typed error.
 */

/** The refusals the XML layer can produce; MM7 and PAP both have error codes of these names. */
export type XmlRefusalCode = 'NOT_XML' | 'DOCTYPE' | 'TOO_MANY_ELEMENTS' | 'TOO_DEEP';

/** Builds the codec's own error (Mm7Error, PapError ...) for a refusal; the scan throws what it returns. */
export type XmlFail = (code: XmlRefusalCode, detail: string) => Error;

export interface PrescanOptions {
  /** Start tags in the document. */
  maxElements: number;
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
 * Walks every `<` of `xml` and throws `fail(...)` for an unterminated construct (NOT_XML), a refused
 * declaration (DOCTYPE), more than maxElements start tags (TOO_MANY_ELEMENTS) or nesting deeper than maxDepth
 * (TOO_DEEP). Returns the text to parse: `xml` itself, or with an allowed DOCTYPE replaced by spaces (same
 * length, so the parser's line numbers still point into the original).
 */
export function prescan(xml: string, opts: PrescanOptions, fail: XmlFail): string {
  const { maxElements, maxDepth } = opts;
  const n = xml.length;
  let i = 0;
  let depth = 0;
  let count = 0;
  let doctype: [start: number, end: number] | undefined;
  const unterminated = (what: string): Error => fail('NOT_XML', `unterminated ${what}`);
  for (;;) {
    const lt = xml.indexOf('<', i);
    if (lt < 0) break;
    const c = xml.charCodeAt(lt + 1);
    if (c === 0x21 /* ! */) {
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
      if (xml.startsWith('<!DOCTYPE', lt) && doctype === undefined && count === 0) {
        const j = markupEnd(xml, lt + 9, true);
        if (j < n && xml.charCodeAt(j) === LSQB) throw fail('DOCTYPE', 'a DTD internal subset is refused (entity declarations are never read)');
        if (j >= n) throw unterminated('DOCTYPE');
        doctype = [lt, j + 1];
        i = j + 1;
        continue;
      }
      throw fail('DOCTYPE', 'markup declarations (<!ENTITY, <!ELEMENT, a second DOCTYPE) are refused');
    }
    if (c === 0x3f /* ? */) {
      const e = xml.indexOf('?>', lt + 2);
      if (e < 0) throw unterminated('processing instruction');
      i = e + 2;
      continue;
    }
    if (c === 0x2f /* / */) {
      const e = xml.indexOf('>', lt + 2);
      if (e < 0) throw unterminated('end tag');
      depth--;
      i = e + 1;
      continue;
    }
    const j = markupEnd(xml, lt + 1, false);
    if (j >= n) throw unterminated('start tag');
    if (++count > maxElements) throw fail('TOO_MANY_ELEMENTS', `more than ${maxElements} elements`);
    // An empty-element tag (`/>`) opens no level.
    if (xml.charCodeAt(j - 1) !== 0x2f && ++depth > maxDepth) throw fail('TOO_DEEP', `elements nested deeper than ${maxDepth}`);
    i = j + 1;
  }
  return doctype ? xml.slice(0, doctype[0]) + ' '.repeat(doctype[1] - doctype[0]) + xml.slice(doctype[1]) : xml;
}
