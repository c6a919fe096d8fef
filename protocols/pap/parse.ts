/**
 * The PPG's answer to a push submission: a PAP document holding a push-response (WAP-247-PAP-20010429 §9.3)
 * or a badmessage-response (§9.12). The input comes from the network, so it is bounded before it is read:
 * size first, then one linear pre-scan that counts elements and depth and refuses any DTD internal subset or
 * markup declaration (so no entity is ever declared, let alone expanded: billion laughs and external entities
 * end there). A plain `<!DOCTYPE pap PUBLIC "..." "...">`, which PPGs send (Kannel sends the PAP 1.0 one), is
 * allowed and blanked out. fast-xml-parser then reads the tokens with its entity processing off; the five
 * predefined entities and character references are decoded here, any other reference is NOT_XML.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { isPapCode } from './codes.js';
import { PapError } from './errors.js';
import type { PapLimits, PapResponse } from './model.js';

export const DEFAULT_PAP_LIMITS: Readonly<Required<PapLimits>> = Object.freeze({ maxBytes: 64 * 1024, maxElements: 100, maxDepth: 16 });

/** Bytes -> text: BOM or the declaration's encoding (PAP documents are UTF-8 unless they say otherwise). */
function toText(input: string | Buffer, maxBytes: number): string {
  if (typeof input === 'string') {
    if (input.length > maxBytes) throw new PapError('TOO_LARGE', `answer above ${maxBytes} bytes`);
    return input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  }
  if (!Buffer.isBuffer(input)) throw new PapError('NOT_XML', 'input is neither a string nor a Buffer');
  if (input.length > maxBytes) throw new PapError('TOO_LARGE', `answer above ${maxBytes} bytes`);
  let label = 'utf-8';
  let body: Uint8Array = input;
  if (input[0] === 0xef && input[1] === 0xbb && input[2] === 0xbf) body = input.subarray(3);
  else if (input[0] === 0xfe && input[1] === 0xff) label = 'utf-16be';
  else if (input[0] === 0xff && input[1] === 0xfe) label = 'utf-16le';
  else {
    const m = /^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]{1,40})["']/.exec(input.subarray(0, 200).toString('latin1'));
    if (m) label = m[1]!.toLowerCase();
  }
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(label, { fatal: true, ignoreBOM: false });
  } catch {
    throw new PapError('NOT_XML', `unsupported XML encoding ${label}`);
  }
  try {
    return decoder.decode(body);
  } catch {
    throw new PapError('NOT_XML', `bytes are not valid ${label}`);
  }
}

/**
 * One pass over the text: counts start tags and nesting, refuses `<!` other than a comment, CDATA or one
 * DOCTYPE without internal subset, and returns the text with that DOCTYPE blanked (same length).
 */
function prescan(xml: string, maxElements: number, maxDepth: number): string {
  const n = xml.length;
  let i = 0;
  let depth = 0;
  let count = 0;
  let doctype: [number, number] | undefined;
  const unterminated = (what: string): PapError => new PapError('NOT_XML', `unterminated ${what}`);
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
      if (xml.startsWith('<!DOCTYPE', lt) && doctype === undefined && count === 0) {
        let j = lt + 9;
        let quote = 0;
        for (; j < n; j++) {
          const ch = xml.charCodeAt(j);
          if (quote !== 0) {
            if (ch === quote) quote = 0;
          } else if (ch === 0x22 || ch === 0x27) quote = ch;
          else if (ch === 0x5b /* [ */) throw new PapError('DOCTYPE', 'a DTD internal subset is refused (entity declarations are never read)');
          else if (ch === 0x3e) break;
        }
        if (j >= n) throw unterminated('DOCTYPE');
        doctype = [lt, j + 1];
        i = j + 1;
        continue;
      }
      throw new PapError('DOCTYPE', 'markup declarations (<!ENTITY, <!ELEMENT, a second DOCTYPE) are refused');
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
    if (++count > maxElements) throw new PapError('TOO_MANY_ELEMENTS', `more than ${maxElements} elements`);
    if (xml.charCodeAt(j - 1) !== 0x2f && ++depth > maxDepth) throw new PapError('TOO_DEEP', `elements nested deeper than ${maxDepth}`);
    i = j + 1;
  }
  return doctype ? xml.slice(0, doctype[0]) + ' '.repeat(doctype[1] - doctype[0]) + xml.slice(doctype[1]) : xml;
}

const PREDEFINED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const REF = /^(?:#x([0-9A-Fa-f]{1,6})|#([0-9]{1,7})|(amp|lt|gt|quot|apos));/;

function isXmlChar(cp: number): boolean {
  return cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

/** An attribute value as XML means it: literal white space normalised (§3.3.3), then references decoded. */
function attrValue(raw: string): string {
  const s = raw.replace(/[\t\n\r]/g, ' ');
  if (!s.includes('&')) return s;
  const parts = s.split('&');
  let out = parts[0]!;
  for (let k = 1; k < parts.length; k++) {
    const seg = parts[k]!;
    const m = REF.exec(seg);
    if (!m) throw new PapError('NOT_XML', 'reference to an undeclared entity, or a bare &');
    if (m[3] !== undefined) out += PREDEFINED[m[3]];
    else {
      const cp = m[1] !== undefined ? parseInt(m[1], 16) : parseInt(m[2]!, 10);
      if (!isXmlChar(cp)) throw new PapError('NOT_XML', 'character reference to a character XML does not allow');
      out += String.fromCodePoint(cp);
    }
    out += seg.slice(m[0].length);
  }
  return out;
}

// preserveOrder keeps every element as { name: children[], ':@': attrs } in an array, so that no element
// or attribute name ever becomes a property of a plain object the code below trusts. Names are prefixed with
// '>' (impossible in an XML name): fast-xml-parser refuses `__proto__`/`constructor` as names otherwise.
const ATTRS = ':@';
const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  commentPropName: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  removeNSPrefix: false,
  allowBooleanAttributes: false,
  transformTagName: (name: string) => '>' + name,
  transformAttributeName: (name: string) => '>' + name,
});

interface Element {
  name: string;
  attrs: Map<string, string>;
  children: Element[];
}

const unmark = (name: string): string => name.replace(/^>+/, '');

/** fast-xml-parser's ordered output -> elements (text nodes dropped: PAP carries everything in attributes). */
function toElements(nodes: unknown): Element[] {
  if (!Array.isArray(nodes)) return [];
  const out: Element[] = [];
  for (const node of nodes) {
    if (node === null || typeof node !== 'object') continue;
    const keys = Object.keys(node).filter((k) => k !== ATTRS && k !== '#text');
    if (keys.length !== 1) continue;
    const key = keys[0]!;
    const attrs = new Map<string, string>();
    const rawAttrs = (node as Record<string, unknown>)[ATTRS];
    if (rawAttrs !== null && typeof rawAttrs === 'object') {
      for (const [k, v] of Object.entries(rawAttrs)) if (typeof v === 'string') attrs.set(unmark(k), attrValue(v));
    }
    out.push({ name: unmark(key), attrs, children: toElements((node as Record<string, unknown>)[key]) });
  }
  return out;
}

function code(el: Element, where: string): number {
  const raw = el.attrs.get('code');
  if (raw === undefined) throw new PapError('MISSING_FIELD', `${where} has no code`);
  const v = raw.trim();
  if (!/^[0-9]{4}$/.test(v) || !isPapCode(Number(v))) throw new PapError('BAD_CODE', `${where} code "${v.slice(0, 20)}" is not a PAP status code (§9.13)`);
  return Number(v);
}

/** A PAP timestamp (YYYY-MM-DDThh:mm:ssZ); undefined when it is not one. */
function timestamp(v: string | undefined): Date | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)Z$/.exec(v.trim());
  if (!m) return undefined;
  const d = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
  return d.getUTCMonth() === +m[2]! - 1 && d.getUTCDate() === +m[3]! && d.getUTCHours() === +m[4]! ? d : undefined;
}

const opt = <K extends string>(key: K, v: string | undefined): { [P in K]?: string } => (v === undefined ? {} : ({ [key]: v } as { [P in K]?: string }));

/**
 * Read a PPG's answer. Throws PapError (never anything else) for input that is too large, not well-formed,
 * declares entities, is not a PAP document, or lacks what §9.3 / §9.12 make mandatory (push-id, the
 * response-result and its code; the code of a badmessage-response).
 */
export function parsePapResponse(xml: Buffer | string, limits: PapLimits = {}): PapResponse {
  const lim = { ...DEFAULT_PAP_LIMITS, ...limits };
  // Leading white space before the declaration is not well-formed XML, but harmless; some servers send it.
  const text = prescan(toText(xml, lim.maxBytes), lim.maxElements, lim.maxDepth).trimStart();
  if (text === '') throw new PapError('NOT_XML', 'empty answer');
  let valid: true | { err: { msg: string; line: number } };
  let doc: unknown;
  try {
    valid = XMLValidator.validate(text, { allowBooleanAttributes: false }) as true | { err: { msg: string; line: number } };
    if (valid === true) doc = parser.parse(text);
  } catch (e) {
    throw new PapError('NOT_XML', `XML parser: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  if (valid !== true) throw new PapError('NOT_XML', `${valid.err.msg} (line ${valid.err.line})`);

  const roots = toElements(doc);
  if (roots.length !== 1 || roots[0]!.name !== 'pap') throw new PapError('NOT_PAP', `root element is ${roots.map((r) => `<${r.name}>`).join(', ') || 'missing'}, not <pap>`);
  const body = roots[0]!.children;
  if (body.length !== 1) throw new PapError('NOT_PAP', `<pap> holds ${body.length} elements, not one`);
  const el = body[0]!;

  if (el.name === 'push-response') {
    const pushId = el.attrs.get('push-id');
    if (pushId === undefined) throw new PapError('MISSING_FIELD', 'push-response has no push-id');
    const results = el.children.filter((c) => c.name === 'response-result');
    if (results.length !== 1) throw new PapError('MISSING_FIELD', `push-response holds ${results.length} response-result elements, not one`);
    const result = results[0]!;
    const replyTime = timestamp(el.attrs.get('reply-time'));
    return {
      kind: 'push-response',
      pushId,
      code: code(result, 'response-result'),
      ...opt('description', result.attrs.get('desc')),
      ...opt('senderAddress', el.attrs.get('sender-address')),
      ...opt('senderName', el.attrs.get('sender-name')),
      ...(replyTime ? { replyTime } : {}),
    };
  }
  if (el.name === 'badmessage-response') {
    return {
      kind: 'badmessage-response',
      code: code(el, 'badmessage-response'),
      ...opt('description', el.attrs.get('desc')),
      ...opt('badMessageFragment', el.attrs.get('bad-message-fragment')),
    };
  }
  throw new PapError('UNEXPECTED_RESPONSE', `<pap> holds <${el.name.slice(0, 40)}>, not push-response or badmessage-response`);
}
