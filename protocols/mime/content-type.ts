// Content-Type values (RFC 2045 §5.1) with RFC 2231 parameter continuations and charsets.
import { decodeCharset, percentDecode } from './charset.js';
import { MimeError } from './errors.js';

export interface ContentType {
  /** lower-case "type/subtype" */
  type: string;
  /** parameter names lower-case; values unquoted; RFC 2231 continuations (name*0, name*1*) and charset'lang'%XX values decoded */
  params: Record<string, string>;
}

// RFC 2045 §5.1: token := 1*<any (US-ASCII) CHAR except SPACE, CTLs, or tspecials>
const TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+$/;
// Per character code (a table: this runs for every part of every request, a regex test per char costs more).
const IS_TOKEN = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`{|}~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") IS_TOKEN[c.charCodeAt(0)] = 1;
const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
// RFC 2231 §3-4: name*N (section N), trailing * (value is charset'lang'%XX encoded).
const SECTION = /^(.+?)(?:\*(\d{1,3}))?(\*)?$/;

interface Collected {
  plain?: string;
  sections?: Map<number, { value: string; encoded: boolean }>;
}

export function parseContentType(value: string): ContentType {
  const collected = new Map<string, Collected>();
  const type = scan(value, (name, v) => {
    const m = name.includes('*') ? (SECTION.exec(name) as RegExpExecArray) : undefined;
    const base = m ? (m[1] as string) : name;
    let entry = collected.get(base);
    if (!entry) collected.set(base, (entry = {}));
    if (m === undefined || (m[2] === undefined && m[3] === undefined)) {
      entry.plain ??= v; // first occurrence wins
    } else {
      const n = m[2] === undefined ? 0 : Number(m[2]);
      const sections = (entry.sections ??= new Map());
      // "name*" alone is section 0, encoded (RFC 2231 §4).
      if (!sections.has(n)) sections.set(n, { value: v, encoded: m[3] !== undefined });
    }
  });

  const params = new Map<string, string>();
  for (const [name, entry] of collected) {
    const joined = entry.sections ? joinSections(entry.sections) : undefined;
    params.set(name, joined ?? entry.plain ?? '');
  }
  // fromEntries defines own properties, so a parameter named __proto__ cannot reach the prototype.
  return { type, params: Object.fromEntries(params) };
}

/** One parameter of a Content-Type as written. */
export interface ContentTypeParam {
  /** lower-case, RFC 2231 suffixes kept ("name*", "name*0", "name*1*") */
  name: string;
  /** unquoted; sections neither joined nor decoded */
  value: string;
}

/**
 * The parameters of a Content-Type value as written, in order, repeats included (parseContentType keeps the
 * first and joins RFC 2231 sections): for a caller that must know how a parameter was given. Refuses what
 * parseContentType refuses.
 */
export function contentTypeParams(value: string): ContentTypeParam[] {
  const params: ContentTypeParam[] = [];
  scan(value, (name, v) => params.push({ name, value: v }));
  return params;
}

/** Reads a Content-Type value: returns the lower-case "type/subtype" and hands each parameter to `onParam`. */
function scan(value: string, onParam: (name: string, value: string) => void): string {
  const fail = (why: string): never => {
    throw new MimeError('BAD_CONTENT_TYPE', `Content-Type ${why}`);
  };
  const s = value;
  let i = 0;
  // Skips whitespace and RFC 822 comments (nested, with quoted-pairs).
  const skip = (): void => {
    for (;;) {
      while (i < s.length && isSpace(s.charCodeAt(i))) i++;
      if (s[i] !== '(') return;
      let depth = 0;
      for (; i < s.length; i++) {
        const c = s[i];
        if (c === '\\') i++;
        else if (c === '(') depth++;
        else if (c === ')' && --depth === 0) break;
      }
      if (i >= s.length) fail('has an unterminated comment');
      i++;
    }
  };
  const token = (): string => {
    const start = i;
    while (i < s.length && IS_TOKEN[s.charCodeAt(i)] === 1) i++;
    return s.slice(start, i);
  };

  skip();
  const type = token();
  if (type === '') fail('has no type');
  skip();
  if (s[i] !== '/') fail('has no "/" between type and subtype');
  i++;
  skip();
  const subtype = token();
  if (subtype === '') fail('has no subtype');

  for (;;) {
    skip();
    if (i >= s.length) break;
    if (s[i] !== ';') fail(`has "${s[i]}" where ";" or the end was expected`);
    i++;
    skip();
    // Liberal: empty parameters (";;", a trailing ";") are skipped.
    if (i >= s.length || s[i] === ';') continue;
    const name = token().toLowerCase();
    if (name === '') fail('has a parameter without a name');
    skip();
    if (s[i] !== '=') fail(`parameter "${name}" has no "="`);
    i++;
    skip();
    let v: string;
    const close = s[i] === '"' ? s.indexOf('"', i + 1) : -1;
    if (close > 0 && s.lastIndexOf('\\', close) <= i) {
      // A quoted string without quoted-pairs (the usual case): its text as it stands.
      v = s.slice(i + 1, close);
      i = close + 1;
    } else if (s[i] === '"') {
      // RFC 822 quoted-string: backslash quotes the next character.
      i++;
      let out = '';
      for (;;) {
        if (i >= s.length) fail(`parameter "${name}" has an unterminated quoted string`);
        const c = s[i++] as string;
        if (c === '"') break;
        if (c === '\\' && i < s.length) out += s[i++];
        else out += c;
      }
      v = out;
    } else {
      // Liberal: real senders leave tspecials such as "=" or "/" unquoted (boundary=-=_abc, Name=a/b):
      // an unquoted value runs to whitespace or ";".
      const start = i;
      while (i < s.length && !isSpace(s.charCodeAt(i)) && s.charCodeAt(i) !== 0x3b) i++;
      v = s.slice(start, i);
    }
    onParam(name, v);
  }
  return `${type}/${subtype}`.toLowerCase();
}

// RFC 2231 §3-4: sections 0..n in order (a gap ends the value); encoded sections are %XX bytes in the
// charset named by section 0 ("charset'lang'..."). Undefined when there is no section 0.
function joinSections(sections: Map<number, { value: string; encoded: boolean }>): string | undefined {
  const first = sections.get(0);
  if (!first) return undefined;
  let charset = 'us-ascii';
  const bytes: Buffer[] = [];
  const raw: string[] = [];
  let anyEncoded = false;
  for (let n = 0; ; n++) {
    const sec = sections.get(n);
    if (!sec) break;
    let v = sec.value;
    raw.push(v);
    if (sec.encoded) {
      anyEncoded = true;
      if (n === 0) {
        const q1 = v.indexOf("'");
        const q2 = q1 < 0 ? -1 : v.indexOf("'", q1 + 1);
        if (q2 >= 0) {
          charset = v.slice(0, q1);
          v = v.slice(q2 + 1);
        }
      }
      bytes.push(percentDecode(v));
    } else {
      bytes.push(Buffer.from(v, 'utf8'));
    }
  }
  if (!anyEncoded) return raw.join('');
  // An unknown charset leaves the value as written.
  return decodeCharset(Buffer.concat(bytes), charset) ?? raw.join('');
}

/** Formats a Content-Type value; values are quoted when they hold tspecials, space or CTLs (RFC 2045 §5.1), and
 * written as RFC 2231 name*=utf-8''%XX when they are not printable US-ASCII. */
export function formatContentType(ct: ContentType): string {
  const [type, subtype, extra] = ct.type.split('/');
  if (type === undefined || subtype === undefined || extra !== undefined || !TOKEN.test(type) || !TOKEN.test(subtype)) {
    throw new MimeError('BAD_CONTENT_TYPE', `"${ct.type}" is not a type/subtype of RFC 2045 tokens`);
  }
  let out = ct.type.toLowerCase();
  for (const [name, value] of Object.entries(ct.params)) {
    if (!TOKEN.test(name) || name.includes('*')) {
      throw new MimeError('BAD_CONTENT_TYPE', `parameter name "${name}" is not an RFC 2045 token`);
    }
    out += `; ${formatParam(name.toLowerCase(), value)}`;
  }
  return out;
}

function formatParam(name: string, value: string): string {
  if (TOKEN.test(value)) return `${name}=${value}`;
  if (/^[\x20-\x7e]*$/.test(value)) return `${name}="${value.replace(/["\\]/g, '\\$&')}"`;
  // RFC 2231 §4: attribute-char excludes "*", "'", "%" and tspecials; everything else is %XX.
  const pct = [...Buffer.from(value, 'utf8')]
    .map((b) =>
      b < 0x80 && /[!#$&+\-.0-9A-Z^_`a-z{|}~]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');
  return `${name}*=utf-8''${pct}`;
}
