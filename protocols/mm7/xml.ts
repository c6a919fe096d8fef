/**
 * The XML layer under the MM7 parser: bytes -> text, a pre-scan that enforces the limits and refuses
 * DOCTYPE before any parser sees the document, fast-xml-parser for the tokens, and a small namespace-resolved
 * element tree. Entity processing in fast-xml-parser is OFF; the five predefined entities and character
 * references are decoded here, and any other reference is a well-formedness error (there is no DTD to
 * declare one, and DOCTYPE is refused).
 */
import { XMLValidator } from 'fast-xml-parser';
import { attrValue, decodeReferences, decodeXmlBytes, markedParser, prescan, unmarkName, type XmlFail } from '../xml/index.js';
import { Mm7Error } from './errors.js';

export interface Mm7Limits {
  /** Size of the SOAP XML in bytes (the MIME attachments are not part of it). Default 1 MiB. */
  maxBytes?: number;
  /** Start tags in the document. Default 5000 (a SubmitReq to 1000 recipients is ~3000). */
  maxElements?: number;
  /** Attributes in the document, namespace declarations included. Default 5000 (~20 ms of parsing). */
  maxAttributes?: number;
  /** Tokens (tags, attributes, references, comments, CDATA sections, PIs: prescan.ts). Default 20000. */
  maxTokens?: number;
  /** Element nesting. Default 32 (MM7 itself needs 6). */
  maxDepth?: number;
}

export const DEFAULT_LIMITS: Required<Mm7Limits> = {
  maxBytes: 1 << 20,
  maxElements: 5000,
  maxAttributes: 5000,
  maxTokens: 20_000,
  maxDepth: 32,
};

export interface XmlAttr {
  local: string;
  /** `local` in lower case: MM7 names are matched case-insensitively (parse.ts), so once here. */
  lower: string;
  /** Namespace URI, '' for an unprefixed attribute. */
  ns: string;
  value: string;
}

export interface XmlElement {
  local: string;
  /** `local` in lower case (see XmlAttr.lower). */
  lower: string;
  /** Namespace URI, '' for none. */
  ns: string;
  attrs: XmlAttr[];
  children: XmlElement[];
  /** Direct character data (text and CDATA), entity-decoded, untrimmed. */
  text: string;
}

const XML_NS = 'http://www.w3.org/XML/1998/namespace';

/** Raises the pre-scan's and the reference decoder's refusals as Mm7Error (status 4004 for all of them). */
const fail: XmlFail = (code, detail) => new Mm7Error(code, detail);

/** Bytes or text -> text, enforcing maxBytes. A Buffer is decoded per BOM / XML declaration (default UTF-8). */
export function toText(input: string | Buffer, maxBytes: number): string {
  if (typeof input === 'string') {
    if (input.length > maxBytes || Buffer.byteLength(input, 'utf8') > maxBytes) {
      throw new Mm7Error('TOO_LARGE', `SOAP XML above ${maxBytes} bytes`);
    }
    return input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  }
  if (input.length > maxBytes) throw new Mm7Error('TOO_LARGE', `SOAP XML above ${maxBytes} bytes`);
  return decodeXmlBytes(input, fail);
}

// Text is kept untrimmed (XmlElement.text); CDATA is kept apart so that it is not reference-decoded.
const parser = markedParser({ trimValues: false, cdataPropName: '#cdata' });

type OrderedNode = Record<string, unknown>;

function splitQName(qname: string): [prefix: string, local: string] {
  const colon = qname.indexOf(':');
  if (colon < 0 && qname !== '') return ['', qname];
  if (colon > 0 && colon < qname.length - 1 && qname.indexOf(':', colon + 1) < 0) return [qname.slice(0, colon), qname.slice(colon + 1)];
  throw new Mm7Error('NOT_XML', 'a name is not a valid namespace-qualified name');
}

function buildElement(node: OrderedNode, scope: ReadonlyMap<string, string>): XmlElement {
  let tag: string | undefined;
  for (const key in node) if (key !== ':@') tag = key;
  if (tag === undefined) throw new Mm7Error('NOT_XML', 'malformed element');
  const rawAttrs = node[':@'] as Record<string, unknown> | undefined;

  // Namespace declarations first (they apply to the element's own name and attributes), then the rest.
  let inScope = scope;
  let plain: [string, string][] | undefined;
  if (rawAttrs !== undefined) {
    let own: Map<string, string> | undefined;
    for (const k in rawAttrs) {
      const name = unmarkName(k);
      const value = attrValue(String(rawAttrs[k]), fail);
      if (name === 'xmlns') (own ??= new Map(scope)).set('', value);
      else if (name.startsWith('xmlns:')) {
        const prefix = name.slice(6);
        if (prefix === '' || prefix.includes(':')) throw new Mm7Error('NOT_XML', 'malformed namespace declaration');
        if (value === '') throw new Mm7Error('NOT_XML', 'a namespace prefix is undeclared to the empty name');
        (own ??= new Map(scope)).set(prefix, value);
      } else (plain ??= []).push([name, value]);
    }
    if (own) inScope = own;
  }

  const [prefix, local] = splitQName(unmarkName(tag));
  const ns = prefix === '' ? (inScope.get('') ?? '') : resolve(inScope, prefix);
  const attrs: XmlAttr[] =
    plain === undefined
      ? []
      : plain.map(([name, value]) => {
          const [p, l] = splitQName(name);
          // Unprefixed attributes are in no namespace (Namespaces in XML §6.2), whatever the default is.
          return { local: l, lower: l.toLowerCase(), ns: p === '' ? '' : resolve(inScope, p), value };
        });

  const children: XmlElement[] = [];
  let text = '';
  const content = node[tag];
  if (Array.isArray(content)) {
    for (const child of content as OrderedNode[]) {
      const t = child['#text'];
      if (t !== undefined) text += decodeReferences(String(t), fail);
      else if ('#cdata' in child) {
        for (const piece of child['#cdata'] as OrderedNode[]) text += String(piece['#text'] ?? '');
      } else children.push(buildElement(child, inScope));
    }
  }
  return { local, lower: local.toLowerCase(), ns, attrs, children, text };
}

function resolve(inScope: ReadonlyMap<string, string>, prefix: string): string {
  if (prefix === 'xml') return XML_NS;
  const uri = inScope.get(prefix);
  if (uri === undefined) throw new Mm7Error('NOT_XML', 'undeclared namespace prefix');
  return uri;
}

/** Text -> the root element, namespace-resolved. Limits and DOCTYPE are checked before parsing. */
export function parseXml(xml: string, limits: Required<Mm7Limits>): XmlElement {
  // With doctype 'refuse' the pre-scan hands back `xml` itself, so only its throws matter here.
  prescan(
    xml,
    {
      maxElements: limits.maxElements,
      maxAttributes: limits.maxAttributes,
      maxTokens: limits.maxTokens,
      maxDepth: limits.maxDepth,
      doctype: 'refuse',
    },
    fail,
  );
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
