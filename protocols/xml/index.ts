/**
 * The XML pieces MM7, PAP, SMIL and UAProf share for reading hostile network input: bytes -> text, the pre-scan, a
 * fast-xml-parser configured never to expand or coerce anything, and the decoding of the references that
 * parser leaves alone. Every function takes the codec's error factory, so each codec keeps its own error type.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { XmlFail } from './prescan.js';

export { prescan, type PrescanOptions, type XmlFail, type XmlRefusalCode } from './prescan.js';

/**
 * A document's bytes -> text, per its BOM or its XML declaration's encoding (UTF-8 when neither says). The
 * caller has already checked the size. Undecodable bytes or an encoding TextDecoder does not know are NOT_XML:
 * guessing would hand the parser text the sender did not write.
 */
export function decodeXmlBytes(input: Buffer, fail: XmlFail): string {
  let label = 'utf-8';
  let body: Uint8Array = input;
  if (input[0] === 0xef && input[1] === 0xbb && input[2] === 0xbf) body = input.subarray(3);
  else if (input[0] === 0xfe && input[1] === 0xff) label = 'utf-16be';
  else if (input[0] === 0xff && input[1] === 0xfe) label = 'utf-16le';
  else {
    // The declaration is ASCII in every encoding these peers use (UTF-8, ISO-8859-x, GB2312 ...).
    const head = input.subarray(0, 200).toString('latin1');
    const m = /^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head);
    if (m) label = m[1]!.toLowerCase();
  }
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(label, { fatal: true, ignoreBOM: false });
  } catch {
    throw fail('NOT_XML', `unsupported XML encoding ${label.slice(0, 40)}`);
  }
  try {
    return decoder.decode(body);
  } catch {
    throw fail('NOT_XML', `bytes are not valid ${label}`);
  }
}

const PREDEFINED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const REF = /^(?:#x([0-9A-Fa-f]{1,6})|#([0-9]{1,7})|(amp|lt|gt|quot|apos));/;

/** XML 1.0 §2.2 Char: what a character reference may name. */
function isXmlChar(cp: number): boolean {
  return (
    cp === 0x9 ||
    cp === 0xa ||
    cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

/**
 * Decodes the five predefined entities and character references. Anything else after `&` is NOT_XML: the
 * pre-scan refused every declaration, so no other entity can exist, and a bare `&` is not well-formed.
 */
export function decodeReferences(raw: string, fail: XmlFail): string {
  if (!raw.includes('&')) return raw;
  const parts = raw.split('&');
  let out = parts[0]!;
  for (let k = 1; k < parts.length; k++) {
    const seg = parts[k]!;
    const m = REF.exec(seg);
    if (!m) throw fail('NOT_XML', 'reference to an undeclared entity, or a bare &');
    if (m[3] !== undefined) out += PREDEFINED[m[3]];
    else {
      const cp = m[1] !== undefined ? parseInt(m[1], 16) : parseInt(m[2]!, 10);
      if (!isXmlChar(cp)) throw fail('NOT_XML', 'character reference to a character XML does not allow');
      out += String.fromCodePoint(cp);
    }
    out += seg.slice(m[0].length);
  }
  return out;
}

/** An attribute value as XML means it: literal white space normalised (XML 1.0 §3.3.3), then references decoded. */
export function attrValue(raw: string, fail: XmlFail): string {
  return decodeReferences(raw.replace(/[\t\n\r]/g, ' '), fail);
}

/**
 * A fast-xml-parser for input the pre-scan has passed: ordered output ({ name: children[], ':@': attrs } in
 * arrays, so no name becomes a property of an object the codec trusts), entity processing off (references go
 * through decodeReferences), no value coercion, declarations and PIs dropped. Tag and attribute names are
 * prefixed with '>' (impossible in an XML name): fast-xml-parser refuses `__proto__`/`constructor` as names
 * otherwise, which would make an ignorable unknown element fatal. Read names back with unmarkName.
 */
export function markedParser(opts: { trimValues: boolean; cdataPropName?: string | false }): XMLParser {
  return new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: '',
    processEntities: false,
    htmlEntities: false,
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: opts.trimValues,
    cdataPropName: opts.cdataPropName ?? false,
    commentPropName: false,
    ignoreDeclaration: true,
    ignorePiTags: true,
    removeNSPrefix: false,
    allowBooleanAttributes: false,
    // Callbacks (none is used) get the path matcher rather than a path string built for every element.
    jPath: false,
    transformTagName: (name: string) => '>' + name,
    transformAttributeName: (name: string) => '>' + name,
  });
}

/** A name from markedParser without its mark. The library applies the transform twice to self-closing tags, hence every leading '>'. */
export function unmarkName(name: string): string {
  let k = 0;
  while (name.charCodeAt(k) === 0x3e) k++;
  return name.slice(k);
}

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
