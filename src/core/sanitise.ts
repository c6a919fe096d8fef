/**
 * What every edge does to the names and labels of a message before it accepts it, so that nothing accepted
 * is undeliverable for its form: a name a client chose (a REST file name, an MM7 attachment's Content-ID or
 * Content-Location, an m-send-req part's) goes out again in a MIME header field (MM7 DeliverReq, later MM4),
 * a WSP Text-string (m-retrieve-conf), an HTTP header and an HTML page (the web view), and the subject in
 * XML and WSP. Each of those refuses something: a CR, LF or NUL ends a MIME header field (the builder
 * refuses them rather than let a value write headers of its own), a NUL ends a Text-string, XML 1.0 cannot
 * carry most C0 controls, a Content-Type needs RFC 2045 tokens, a WSP parameter its typed form. A message
 * that would be refused at every attempt is repaired here, once, and the repair logged; every repair is
 * possible, so nothing is refused here (an edge refuses only a part it cannot read at all).
 */
import { formatContentType, stripAngles } from '../../protocols/mime/index.js';
import { Writer, writeParams } from '../../protocols/wsp/index.js';
import type { ContentRef, CoreMessage } from './message.js';

/** Longest name kept (Content-Location, Content-ID, a name or filename parameter), in characters. */
export const MAX_NAME_CHARS = 256;
/** Longest other parameter value kept, in characters. */
export const MAX_PARAM_CHARS = 1024;

// Not XML 1.0 Chars (§2.2): C0 controls but TAB, CR, LF; U+FFFE, U+FFFF; lone surrogates (not UTF-8 either).
// eslint-disable-next-line no-control-regex
const NOT_XML =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
// In a header parameter nothing needs a control character: C0 (CR, LF and NUL among them), DEL, C1, and what
// XML cannot carry.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
// In a name, also the formatting characters that make a name show as another: bidi marks, embeddings and
// isolates (U+202E turns "photo\u202Egpj.exe" into "photoexe.jpg" on screen), line and paragraph separators,
// the BOM.
const FORMAT = /[\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;
// RFC 2045 §5.1 token, without "*" (RFC 2231 syntax: the MIME builder writes such values itself).
const PARAM_NAME = /^[!#$%&'+\-.0-9A-Z^_`a-z{|}~]+$/;
const TOKEN = "[!#$%&'*+\\-.0-9^_`a-z{|}~]+";
const MEDIA_TYPE = new RegExp(`^${TOKEN}/${TOKEN}$`);

/** A part type that is not type/subtype of tokens becomes this (it can still be delivered, as bytes). */
const OPAQUE = 'application/octet-stream';
const MIXED = 'application/vnd.wap.multipart.mixed';

/**
 * Makes `m` deliverable in every outbound form, in place: the subject, each part's type and parameters,
 * Content-ID and Content-Location, and the message's own type and parameters. Content-IDs and
 * Content-Locations are made unique per message (a later duplicate gets "-2", "-3" before its extension
 * or "@"): a reference (SMIL, an href) names one part, and a handset saves attachments by name. Returns
 * what it changed, one line each, for the edge's log; empty for a message that needed nothing.
 */
export function sanitiseMessage(m: CoreMessage): string[] {
  const changes: string[] = [];
  let more = 0;
  const note = (what: string, before: unknown, after: unknown): void => {
    // A log line, not a report: bounded whatever the client sent (a part may repeat a name 1,000 times).
    if (changes.length < MAX_NOTES) changes.push(`${what}: ${show(before)} -> ${after === undefined ? 'removed' : show(after)}`);
    else more++;
  };

  if (m.subject !== undefined) {
    const s = m.subject.replace(NOT_XML, '');
    if (s !== m.subject) note('Subject', m.subject, s);
    m.subject = s;
  }

  m.parts.forEach((p, i) => safePart(p, `part ${i + 1}`, note));
  unique(m.parts, 'contentId', idKey, renameId, note);
  unique(m.parts, 'contentLocation', (v) => v, renameLocation, note);

  const type = safeMediaType(m.contentType) ?? (m.parts.length === 1 ? m.parts[0]!.contentType : MIXED);
  if (type !== m.contentType) note('message Content-Type', m.contentType, type);
  m.contentType = type;
  if (m.contentTypeParams) {
    const params = safeParams(m.contentTypeParams, 'message', note);
    if (params) m.contentTypeParams = params;
    else delete m.contentTypeParams;
  }
  if (more > 0) changes.push(`and ${more} more changes`);
  return changes;
}

/** Changes listed one by one for the log; beyond, they are counted. */
const MAX_NOTES = 20;

function safePart(p: ContentRef, label: string, note: (what: string, before: unknown, after: unknown) => void): void {
  const type = safeMediaType(p.contentType) ?? OPAQUE;
  if (type !== p.contentType) note(`${label} Content-Type`, p.contentType, type);
  p.contentType = type;
  if (p.params) {
    const params = safeParams(p.params, label, note);
    if (params) p.params = params;
    else delete p.params;
  }
  if (p.contentId !== undefined) {
    const id = safeId(p.contentId);
    if (id !== p.contentId) note(`${label} Content-ID`, p.contentId, id);
    if (id === undefined) delete p.contentId;
    else p.contentId = id;
  }
  if (p.contentLocation !== undefined) {
    const loc = safeName(p.contentLocation);
    if (loc !== p.contentLocation) note(`${label} Content-Location`, p.contentLocation, loc);
    if (loc === undefined) delete p.contentLocation;
    else p.contentLocation = loc;
  }
}

/** A media type as the outbound forms take it: lower-case type/subtype of RFC 2045 tokens, else undefined. */
function safeMediaType(t: string): string | undefined {
  const v = t.trim().toLowerCase();
  return MEDIA_TYPE.test(v) ? v : undefined;
}

/**
 * A name without controls and formatting characters, at most MAX_NAME_CHARS long (the extension kept), or
 * undefined when nothing is left.
 */
export function safeName(v: string): string | undefined {
  const s = bound(v.replace(CONTROL, '').replace(FORMAT, '').trim(), MAX_NAME_CHARS);
  return s === '' ? undefined : s;
}

/** A Content-ID as safeName makes it, without "<" or ">" inside; angle brackets around it kept as they came. */
export function safeId(v: string): string | undefined {
  const t = v.trim();
  const wrapped = t.startsWith('<') && t.endsWith('>');
  const id = safeName(stripAngles(t).replace(/[<>]/g, ''));
  return id === undefined ? undefined : wrapped ? `<${id}>` : id;
}

/**
 * Parameters both outbound encoders accept: a name that is an RFC 2045 token, a value without controls
 * (names and Content-ID references cleaned as such), and a value of the form the WSP encoder needs for
 * that parameter (a charset it knows, a number where a number is due); what cannot be made so is removed.
 * Undefined when none is left.
 */
function safeParams(
  params: Record<string, string | number>,
  label: string,
  note: (what: string, before: unknown, after: unknown) => void,
): Record<string, string | number> | undefined {
  const out: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(params)) {
    const what = `${label} parameter ${show(name)}`;
    let v: string | number | undefined = value;
    if (!PARAM_NAME.test(name)) v = undefined;
    else if (typeof value === 'number') v = Number.isSafeInteger(value) && value >= 0 ? value : undefined;
    else {
      const key = name.toLowerCase();
      v =
        key === 'name' || key === 'filename'
          ? safeName(value)
          : key === 'start'
            ? safeId(value)
            : bound(value.replace(CONTROL, ''), MAX_PARAM_CHARS);
    }
    if (v !== undefined && !encodable(name, v)) v = undefined;
    if (v !== value) note(what, value, v);
    if (v !== undefined) out[name] = v;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Whether the WSP encoder (m-retrieve-conf) and the MIME one (DeliverReq) both write this parameter. */
function encodable(name: string, value: string | number): boolean {
  try {
    writeParams(new Writer(64), { [name]: value });
    formatContentType({ type: OPAQUE, params: { [name]: String(value) } });
    return true;
  } catch {
    return false;
  }
}

/** At most `max` characters (code points), the extension of a file name kept. */
function bound(s: string, max: number): string {
  if (s.length <= max) return s; // UTF-16 units: never fewer than code points
  const ext = /\.[0-9A-Za-z]{1,10}$/.exec(s)?.[0] ?? '';
  const keep = max - ext.length;
  let end = 0;
  for (let n = 0; n < keep && end < s.length; n++) end += (s.codePointAt(end) ?? 0) > 0xffff ? 2 : 1;
  if (end >= s.length) return s;
  return s.slice(0, end).trimEnd() + ext;
}

const idKey = (v: string): string => stripAngles(v);

/** "img@vasp" -> "img-2@vasp"; "<x>" -> "<x-2>". */
function renameId(v: string, n: number): string {
  const wrapped = v.startsWith('<') && v.endsWith('>');
  const id = stripAngles(v);
  const at = id.lastIndexOf('@');
  const local = at > 0 ? id.slice(0, at) : id;
  const rest = at > 0 ? id.slice(at) : '';
  const renamed = bound(local, MAX_NAME_CHARS - rest.length - `-${n}`.length) + `-${n}` + rest;
  return wrapped ? `<${renamed}>` : renamed;
}

/** "photo.jpg" -> "photo-2.jpg"; "notes" -> "notes-2". */
function renameLocation(v: string, n: number): string {
  const ext = /\.[0-9A-Za-z]{1,10}$/.exec(v)?.[0] ?? '';
  const stem = v.slice(0, v.length - ext.length);
  return bound(stem, MAX_NAME_CHARS - ext.length - `-${n}`.length) + `-${n}` + ext;
}

/** Later parts whose `key` repeats an earlier one's get the first free "-n" name. */
function unique(
  parts: ContentRef[],
  key: 'contentId' | 'contentLocation',
  keyOf: (v: string) => string,
  rename: (v: string, n: number) => string,
  note: (what: string, before: unknown, after: unknown) => void,
): void {
  const taken = new Set<string>();
  // The next suffix to try per repeated value: k copies of one name cost k renames, not k²/2 (a handset's
  // m-send-req may carry 1,000 parts of one name).
  const next = new Map<string, number>();
  parts.forEach((p, i) => {
    const v = p[key];
    if (v === undefined) return;
    let name = v;
    let n = next.get(keyOf(v)) ?? 2;
    while (taken.has(keyOf(name))) name = rename(v, n++);
    next.set(keyOf(v), n);
    if (name !== v) {
      note(`part ${i + 1} ${key === 'contentId' ? 'Content-ID' : 'Content-Location'} (a duplicate)`, v, name);
      p[key] = name;
    }
    taken.add(keyOf(name));
  });
}

/** A value for a log line: quoted with its control characters escaped, and short. */
function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
