// Serialising a multipart body for outbound requests (MM7 client, later MM4). Pure: the caller supplies
// the boundaries, so the output is a function of the input.
import { isAscii, isUtf8 } from 'node:buffer';
import type { ContentType } from './content-type.js';
import { formatContentType, parseContentType } from './content-type.js';
import type { OutboundMultipart, OutboundPart } from './model.js';

const CRLF = '\r\n';
// RFC 2046 §5.1.1: bcharsnospace plus space, 1-70 characters, not ending in a space.
const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;
const FIELD_NAME = /^[!-9;-~]+$/;
// Fields buildMultipart writes itself; a second copy in `headers` would contradict them.
const OWN_FIELDS = new Set(['content-type', 'content-transfer-encoding', 'content-id', 'content-location']);

type Entry = OutboundPart | OutboundMultipart;

/**
 * Build a multipart body; `boundary(depth)` gives the boundary of the multipart at that depth (0 = the
 * outer one). Text parts (text/*, application/smil, XML types) that are valid UTF-8 without NUL and with
 * lines of at most 998 bytes are sent as 8bit, every other part as base64 in 76-character lines
 * (RFC 2045 §2.8, §6.8). Content-ID is written with <>.
 * Throws RangeError for input that cannot be written: a bad boundary or field, a boundary that occurs
 * inside the content it delimits (RFC 2046 §5.1.1: pick another one), a nested type that disagrees.
 */
export function buildMultipart(
  type: string,
  params: Record<string, string>,
  parts: Entry[],
  boundary: (depth: number) => string,
): { contentType: string; body: Buffer } {
  const { contentType, chunks } = serialise(type, params, parts, boundary, 0);
  return { contentType, body: Buffer.concat(chunks) };
}

/** buildMultipart's body as the pieces it is made of, for a caller that writes them after bytes of its own (MM4). */
export function buildMultipartChunks(
  type: string,
  params: Record<string, string>,
  parts: Entry[],
  boundary: (depth: number) => string,
): { contentType: string; chunks: Buffer[] } {
  const { contentType, chunks } = serialise(type, params, parts, boundary, 0);
  return { contentType, chunks };
}

/**
 * What serialise and its parts produce: the bytes as pieces, joined once by buildMultipart (a 50 KB picture
 * was copied into a new buffer at every level: leaf, multipart, nested multipart). Every piece boundary has CR
 * or LF on one side, so a boundary (which has neither) cannot straddle two pieces: each is searched alone.
 */
interface Built {
  chunks: Buffer[];
  eightBit: boolean;
}

function serialise(
  type: string,
  params: Record<string, string>,
  parts: Entry[],
  boundary: (depth: number) => string,
  depth: number,
): Built & { contentType: string } {
  if (!type.toLowerCase().startsWith('multipart/')) throw new RangeError(`${type} is not multipart/*`);
  if (parts.length === 0) throw new RangeError('a multipart needs at least one part (RFC 2046 §5.1.1)');
  const b = boundary(depth);
  if (!BOUNDARY.test(b)) throw new RangeError(`boundary "${b}" is not 1-70 RFC 2046 bchars`);
  const rest = Object.fromEntries(Object.entries(params).filter(([k]) => k.toLowerCase() !== 'boundary'));
  const contentType = formatContentType({ type, params: { boundary: b, ...rest } });
  const dash = Buffer.from(`--${b}`);
  const chunks: Buffer[] = [];
  let eightBit = false;
  for (const entry of parts) {
    const part = 'multipart' in entry ? nested(entry, boundary, depth) : leaf(entry);
    eightBit ||= part.eightBit;
    if (part.chunks.some((c) => c.includes(dash))) throw new RangeError(`boundary "${b}" occurs inside a part`);
    chunks.push(Buffer.from(`--${b}${CRLF}`), ...part.chunks, Buffer.from(CRLF));
  }
  chunks.push(Buffer.from(`--${b}--${CRLF}`));
  return { contentType, chunks, eightBit };
}

function nested(entry: OutboundMultipart, boundary: (depth: number) => string, depth: number): Built {
  const declared = ctOf(entry.contentType).type;
  const { type, params, parts } = entry.multipart;
  if (declared !== type.toLowerCase()) throw new RangeError(`nested part declared ${declared} but is ${type}`);
  const inner = serialise(type, params, parts, boundary, depth + 1);
  const head = [`Content-Type: ${inner.contentType}`];
  // RFC 2045 §6.4: a multipart is 7bit, 8bit or binary; say 8bit when a part inside is.
  if (inner.eightBit) head.push('Content-Transfer-Encoding: 8bit');
  if (entry.contentId !== undefined) head.push(`Content-ID: <${bare(entry.contentId, 'Content-ID')}>`);
  return { chunks: [Buffer.from(head.join(CRLF) + CRLF + CRLF), ...inner.chunks], eightBit: inner.eightBit };
}

function leaf(part: OutboundPart): Built {
  const ct = ctOf(part.contentType);
  const asText = isTextual(ct.type) && sendable8bit(part.body);
  const head = [`Content-Type: ${formatContentType(ct)}`, `Content-Transfer-Encoding: ${asText ? '8bit' : 'base64'}`];
  if (part.contentId !== undefined) head.push(`Content-ID: <${bare(part.contentId, 'Content-ID')}>`);
  if (part.contentLocation !== undefined) head.push(`Content-Location: ${fieldValue(part.contentLocation, 'Content-Location')}`);
  for (const h of part.headers ?? []) {
    if (!FIELD_NAME.test(h.name)) throw new RangeError(`"${h.name}" is not a header field name`);
    if (OWN_FIELDS.has(h.name.toLowerCase())) throw new RangeError(`${h.name} is written by buildMultipart; set it on the part`);
    head.push(`${h.name}: ${fieldValue(h.value, h.name)}`);
  }
  const body = asText ? part.body : base64Lines(part.body);
  return { chunks: [Buffer.from(head.join(CRLF) + CRLF + CRLF), body], eightBit: asText && !isAscii(part.body) };
}

function ctOf(ct: ContentType | string): ContentType {
  return typeof ct === 'string' ? parseContentType(ct) : { type: ct.type.toLowerCase(), params: ct.params };
}

function isTextual(type: string): boolean {
  return type.startsWith('text/') || type === 'application/smil' || type.endsWith('/xml') || type.endsWith('+xml');
}

// RFC 2045 §2.8 8bit data: no NUL, lines of at most 998 octets (here: between LFs, CR excluded).
function sendable8bit(body: Buffer): boolean {
  if (body.includes(0) || !isUtf8(body)) return false;
  let start = 0;
  for (;;) {
    const lf = body.indexOf(0x0a, start);
    const end = lf < 0 ? body.length : lf;
    const len = end - start - (end > start && body[end - 1] === 0x0d ? 1 : 0);
    if (len > 998) return false;
    if (lf < 0) return true;
    start = lf + 1;
  }
}

/**
 * `body` in base64 (RFC 2045 §6.8), in lines of 76 characters separated by CRLF, as bytes: encoded once
 * natively into the one output buffer, then the lines moved apart in place (a string per line, joined and
 * encoded again, cost a forward's build several times this, most of it garbage).
 */
export function base64Lines(body: Buffer): Buffer {
  const text = body.toString('base64');
  const lines = Math.ceil(text.length / 76);
  const out = Buffer.allocUnsafe(text.length + 2 * Math.max(0, lines - 1));
  out.write(text, 0, 'latin1');
  // Last line first, each moved to its place (at or after where it is): nothing is overwritten before it moves.
  for (let k = lines - 1; k > 0; k--) {
    const from = 76 * k;
    const to = from + 2 * k;
    out.copyWithin(to, from, Math.min(from + 76, text.length));
    out[to - 2] = 0x0d;
    out[to - 1] = 0x0a;
  }
  return out;
}

function fieldValue(v: string, name: string): string {
  // A CR or LF would end the field and let the value write headers of its own.
  if (/[\r\n\0]/.test(v)) throw new RangeError(`${name} contains a line break or NUL`);
  return v;
}

function bare(id: string, name: string): string {
  return fieldValue(id.trim().replace(/^<(.*)>$/, '$1'), name);
}
