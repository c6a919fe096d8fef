import { XMLValidator, type XMLParser } from 'fast-xml-parser';
import { attrValue, unmarkName } from './index.js';
import type { XmlFail } from './prescan.js';

/** An element of a document read by readElements: text nodes dropped (the codecs that use it read attributes and structure). */
export interface XmlElement {
  name: string;
  attrs: Map<string, string>;
  children: XmlElement[];
}

const ATTRS = ':@';

/**
 * The elements of `text` (which the pre-scan has passed): checked well-formed by fast-xml-parser's validator,
 * read by `parser` (a markedParser), then turned into elements whose element and attribute names are
 * `name(unmarked name)` (a codec matches by local name, case, ...). A document that is not well-formed throws
 * `fail('NOT_XML', ...)`; the parser's own exceptions too.
 */
export function readElements(text: string, parser: XMLParser, fail: XmlFail, name: (raw: string) => string = (n) => n): XmlElement[] {
  let valid: true | { err: { msg: string; line: number } };
  let doc: unknown;
  try {
    valid = XMLValidator.validate(text, { allowBooleanAttributes: false }) as true | { err: { msg: string; line: number } };
    if (valid === true) doc = parser.parse(text);
  } catch (e) {
    throw fail('NOT_XML', `XML parser: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (valid !== true) throw fail('NOT_XML', `${valid.err.msg} (line ${valid.err.line})`);
  return toElements(doc, fail, name);
}

/** fast-xml-parser's ordered output -> elements. */
function toElements(nodes: unknown, fail: XmlFail, name: (raw: string) => string): XmlElement[] {
  if (!Array.isArray(nodes)) return [];
  const out: XmlElement[] = [];
  for (const node of nodes) {
    if (node === null || typeof node !== 'object') continue;
    const keys = Object.keys(node).filter((k) => k !== ATTRS && k !== '#text');
    if (keys.length !== 1) continue;
    const key = keys[0]!;
    const attrs = new Map<string, string>();
    const raw = (node as Record<string, unknown>)[ATTRS];
    if (raw !== null && typeof raw === 'object') {
      for (const [k, v] of Object.entries(raw)) if (typeof v === 'string') attrs.set(name(unmarkName(k)), attrValue(v, fail));
    }
    out.push({ name: name(unmarkName(key)), attrs, children: toElements((node as Record<string, unknown>)[key], fail, name) });
  }
  return out;
}
