/**
 * The XML layer under the MM7 parser: bytes -> text, a pre-scan that enforces the limits and refuses
 * DOCTYPE before any parser sees the document, fast-xml-parser for the tokens, and a small namespace-resolved
 * element tree. Entity processing in fast-xml-parser is OFF; the five predefined entities and character
 * references are decoded here, and any other reference is a well-formedness error (there is no DTD to
 * declare one, and DOCTYPE is refused).
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { Mm7Error } from './errors.js';

export interface Mm7Limits {
  /** Size of the SOAP XML in bytes (the MIME attachments are not part of it). Default 1 MiB. */
  maxBytes?: number;
  /** Start tags in the document. Default 5000 (a SubmitReq to 1000 recipients is ~3000). */
  maxElements?: number;
  /** Element nesting. Default 32 (MM7 itself needs 6). */
  maxDepth?: number;
}

export const DEFAULT_LIMITS: Required<Mm7Limits> = { maxBytes: 1 << 20, maxElements: 5000, maxDepth: 32 };

export interface XmlAttr {
  local: string;
  /** Namespace URI, '' for an unprefixed attribute. */
  ns: string;
  value: string;
}

export interface XmlElement {
  local: string;
  /** Namespace URI, '' for none. */
  ns: string;
  attrs: XmlAttr[];
  children: XmlElement[];
  /** Direct character data (text and CDATA), entity-decoded, untrimmed. */
  text: string;
}

const XML_NS = 'http://www.w3.org/XML/1998/namespace';

/** Bytes or text -> text, enforcing maxBytes. A Buffer is decoded per BOM / XML declaration (default UTF-8). */
export function toText(input: string | Buffer, maxBytes: number): string {
  if (typeof input === 'string') {
    if (input.length > maxBytes || Buffer.byteLength(input, 'utf8') > maxBytes) {
      throw new Mm7Error('TOO_LARGE', `SOAP XML above ${maxBytes} bytes`);
    }
    return input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  }
  if (input.length > maxBytes) throw new Mm7Error('TOO_LARGE', `SOAP XML above ${maxBytes} bytes`);
  let label = 'utf-8';
  let body: Uint8Array = input;
  if (input[0] === 0xef && input[1] === 0xbb && input[2] === 0xbf) body = input.subarray(3);
  else if (input[0] === 0xfe && input[1] === 0xff) label = 'utf-16be';
  else if (input[0] === 0xff && input[1] === 0xfe) label = 'utf-16le';
  else {
    // The declaration is ASCII in every encoding MM7 peers use (UTF-8, ISO-8859-x, GB2312 ...).
    const head = input.subarray(0, 200).toString('latin1');
    const m = /^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head);
    if (m) label = m[1].toLowerCase();
  }
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(label, { fatal: true, ignoreBOM: false });
  } catch {
    throw new Mm7Error('NOT_XML', `unsupported XML encoding ${label.slice(0, 40)}`);
  }
  try {
    return decoder.decode(body);
  } catch {
    throw new Mm7Error('NOT_XML', `bytes are not valid ${label}`);
  }
}

/**
 * One linear pass over the text before parsing: counts start tags and nesting, and refuses `<!DOCTYPE` /
 * `<!ENTITY` (anything `<!` but a comment or CDATA). It never builds anything, so 10^5 elements or a
 * billion-laughs DTD cost one scan up to the point of refusal.
 */
export function prescan(xml: string, maxElements: number, maxDepth: number): void {
  const n = xml.length;
  let i = 0;
  let depth = 0;
  let count = 0;
  const unterminated = (what: string) => new Mm7Error('NOT_XML', `unterminated ${what}`);
  for (;;) {
    const lt = xml.indexOf('<', i);
    if (lt < 0) return;
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
      throw new Mm7Error('DOCTYPE', 'DOCTYPE and markup declarations are refused');
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
    let j = lt + 1;
    let quote = 0;
    for (; j < n; j++) {
      const ch = xml.charCodeAt(j);
      if (quote !== 0) {
        if (ch === quote) quote = 0;
      } else if (ch === 0x22 || ch === 0x27) quote = ch;
      else if (ch === 0x3e) break;
    }
    if (j >= n) throw unterminated('start tag');
    if (++count > maxElements) throw new Mm7Error('TOO_MANY_ELEMENTS', `more than ${maxElements} elements`);
    if (xml.charCodeAt(j - 1) !== 0x2f && ++depth > maxDepth) {
      throw new Mm7Error('TOO_DEEP', `elements nested deeper than ${maxDepth}`);
    }
    i = j + 1;
  }
}

const PREDEFINED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const REF = /^(?:#x([0-9A-Fa-f]{1,6})|#([0-9]{1,7})|(amp|lt|gt|quot|apos));/;

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

/** Decodes the five predefined entities and character references; anything else after `&` is NOT_XML. */
export function decodeEntities(raw: string): string {
  if (!raw.includes('&')) return raw;
  const parts = raw.split('&');
  let out = parts[0];
  for (let k = 1; k < parts.length; k++) {
    const seg = parts[k];
    const m = REF.exec(seg);
    if (!m) throw new Mm7Error('NOT_XML', 'reference to an undeclared entity, or a bare &');
    if (m[3] !== undefined) out += PREDEFINED[m[3]];
    else {
      const cp = m[1] !== undefined ? parseInt(m[1], 16) : parseInt(m[2], 10);
      if (!isXmlChar(cp)) throw new Mm7Error('NOT_XML', 'character reference to a character XML does not allow');
      out += String.fromCodePoint(cp);
    }
    out += seg.slice(m[0].length);
  }
  return out;
}

// Tag and attribute names are prefixed with '>' (impossible in a name) so that no XML name can become a
// dangerous JS property (fast-xml-parser refuses `constructor`, `__proto__` outright, which would make an
// ignorable unknown element fatal). The library applies the transform twice to self-closing tags, hence
// stripping every leading '>'.
const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  cdataPropName: '#cdata',
  commentPropName: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  removeNSPrefix: false,
  allowBooleanAttributes: false,
  transformTagName: (name: string) => '>' + name,
  transformAttributeName: (name: string) => '>' + name,
});

type OrderedNode = Record<string, unknown>;

function stripMark(name: string): string {
  let k = 0;
  while (name.charCodeAt(k) === 0x3e) k++;
  return name.slice(k);
}

function splitQName(qname: string): [prefix: string, local: string] {
  const parts = qname.split(':');
  if (parts.length === 1 && parts[0] !== '') return ['', parts[0]];
  if (parts.length === 2 && parts[0] !== '' && parts[1] !== '') return [parts[0], parts[1]];
  throw new Mm7Error('NOT_XML', 'a name is not a valid namespace-qualified name');
}

function normaliseAttr(raw: string): string {
  // XML 1.0 §3.3.3 attribute-value normalisation, then references.
  return decodeEntities(raw.replace(/[\t\n\r]/g, ' '));
}

function buildElement(node: OrderedNode, scope: ReadonlyMap<string, string>): XmlElement {
  let tag: string | undefined;
  for (const key of Object.keys(node)) if (key !== ':@') tag = key;
  if (tag === undefined) throw new Mm7Error('NOT_XML', 'malformed element');
  const qname = stripMark(tag);
  const rawAttrs = (node[':@'] ?? {}) as Record<string, string>;

  let own: Map<string, string> | undefined;
  const plain: [string, string][] = [];
  for (const [k, v] of Object.entries(rawAttrs)) {
    const name = stripMark(k);
    const value = normaliseAttr(String(v));
    if (name === 'xmlns') (own ??= new Map(scope)).set('', value);
    else if (name.startsWith('xmlns:')) {
      const prefix = name.slice(6);
      if (prefix === '' || prefix.includes(':')) throw new Mm7Error('NOT_XML', 'malformed namespace declaration');
      if (value === '') throw new Mm7Error('NOT_XML', 'a namespace prefix is undeclared to the empty name');
      (own ??= new Map(scope)).set(prefix, value);
    } else plain.push([name, value]);
  }
  const inScope = own ?? scope;
  const resolve = (prefix: string): string => {
    if (prefix === 'xml') return XML_NS;
    const uri = inScope.get(prefix);
    if (uri === undefined) throw new Mm7Error('NOT_XML', 'undeclared namespace prefix');
    return uri;
  };

  const [prefix, local] = splitQName(qname);
  const ns = prefix === '' ? (inScope.get('') ?? '') : resolve(prefix);
  const attrs: XmlAttr[] = plain.map(([name, value]) => {
    const [p, l] = splitQName(name);
    // Unprefixed attributes are in no namespace (Namespaces in XML §6.2), whatever the default is.
    return { local: l, ns: p === '' ? '' : resolve(p), value };
  });

  const children: XmlElement[] = [];
  let text = '';
  const content = node[tag];
  if (Array.isArray(content)) {
    for (const child of content as OrderedNode[]) {
      if ('#text' in child) text += decodeEntities(String(child['#text']));
      else if ('#cdata' in child) {
        for (const piece of child['#cdata'] as OrderedNode[]) text += String(piece['#text'] ?? '');
      } else children.push(buildElement(child, inScope));
    }
  }
  return { local, ns, attrs, children, text };
}

/** Text -> the root element, namespace-resolved. Limits and DOCTYPE are checked before parsing. */
export function parseXml(xml: string, limits: Required<Mm7Limits>): XmlElement {
  prescan(xml, limits.maxElements, limits.maxDepth);
  const valid = XMLValidator.validate(xml, { allowBooleanAttributes: false });
  if (valid !== true) {
    throw new Mm7Error('NOT_XML', `not well-formed XML (line ${valid.err.line}: ${valid.err.code})`);
  }
  let nodes: OrderedNode[];
  try {
    nodes = parser.parse(xml) as OrderedNode[];
  } catch {
    throw new Mm7Error('NOT_XML', 'not well-formed XML');
  }
  const roots: XmlElement[] = [];
  const scope = new Map<string, string>();
  for (const node of nodes) {
    if ('#text' in node) {
      if (String(node['#text']).trim() !== '') throw new Mm7Error('NOT_XML', 'text outside the root element');
      continue;
    }
    if ('#cdata' in node) throw new Mm7Error('NOT_XML', 'CDATA outside the root element');
    roots.push(buildElement(node, scope));
  }
  if (roots.length !== 1) throw new Mm7Error('NOT_XML', roots.length === 0 ? 'no root element' : 'more than one root element');
  return roots[0];
}

/** Text of an element and all its descendants (own text first, then each child's): for Details. */
export function deepText(e: XmlElement): string {
  let s = e.text;
  for (const c of e.children) s += deepText(c);
  return s;
}
