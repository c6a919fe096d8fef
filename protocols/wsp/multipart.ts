import { isMultipart } from './content-types.js';
import { PduError } from './errors.js';
import { HEADER_CONTENT_DISPOSITION, HEADER_CONTENT_DISPOSITION_14, HEADER_CONTENT_ID, HEADER_CONTENT_LOCATION } from './header-names.js';
import type { ExtraHeader, Part } from './model.js';
import { Reader } from './reader.js';
import {
  mediaTypeOf,
  readContentDisposition,
  readContentType,
  writeContentDisposition,
  writeContentType,
  writeExtraHeader,
} from './values.js';
import { Writer } from './writer.js';

export interface MultipartLimits {
  /** Most entries in the whole message, nested ones included. */
  maxParts: number;
  /** Most levels of multipart, the body's own included (at most MAX_DEPTH: decoding recurses). */
  maxDepth: number;
}

/** Hard ceiling on maxDepth, well below where the recursion would exhaust Node's default stack (~2800). */
export const MAX_DEPTH = 1024;

export const DEFAULT_MULTIPART_LIMITS: MultipartLimits = { maxParts: 1000, maxDepth: 8 };

const EMPTY = Buffer.alloc(0);

interface Budget {
  parts: number;
  limits: MultipartLimits;
}

/**
 * Multipart = nEntries *Multipart-entry                                   ; WAP-230 8.5.2
 * Multipart-entry = HeadersLen DataLen ContentType Headers Data             ; WAP-230 8.5.3
 * HeadersLen, DataLen = Uintvar; HeadersLen covers ContentType and Headers.
 * Reads from r.pos to r.end. Entry data are zero-copy slices of the input.
 */
export function readMultipart(r: Reader, limits: MultipartLimits = DEFAULT_MULTIPART_LIMITS): Part[] {
  const bounded = { maxParts: limits.maxParts, maxDepth: Math.min(limits.maxDepth, MAX_DEPTH) };
  return readEntries(r, { parts: 0, limits: bounded }, 0);
}

function readEntries(r: Reader, budget: Budget, depth: number): Part[] {
  const at = r.pos;
  const n = r.uintvar();
  // Each entry takes at least 3 octets, so a count beyond that is a lie we need not allocate for.
  if (budget.parts + n > budget.limits.maxParts) {
    r.fail('TOO_MANY_PARTS', `multipart declares ${n} entries; the limit is ${budget.limits.maxParts}`, at);
  }
  if (n * 3 > r.remaining) r.fail('LENGTH_OVERFLOW', `multipart declares ${n} entries in ${r.remaining} bytes`, at);
  budget.parts += n;
  const parts: Part[] = new Array<Part>(n);
  for (let i = 0; i < n; i++) parts[i] = readEntry(r, budget, depth);
  return parts;
}

function readEntry(r: Reader, budget: Budget, depth: number): Part {
  const at = r.pos;
  const headersLen = r.uintvar();
  const dataLen = r.uintvar();
  if (headersLen + dataLen > r.remaining) {
    r.fail('LENGTH_OVERFLOW', `entry of ${headersLen}+${dataLen} bytes exceeds the ${r.remaining} left`, at);
  }
  if (headersLen === 0) r.fail('BAD_VALUE', 'entry without a content type', at);
  const outer = r.enter(headersLen);
  const part = { contentType: readContentType(r) } as Part;
  if (r.pos < r.end) readEntryHeaders(r, part);
  r.leave(outer);
  part.data = dataLen === 0 ? EMPTY : r.bytes(dataLen);
  if (isMultipart(mediaTypeOf(part.contentType)) && dataLen > 0) {
    if (depth + 1 >= budget.limits.maxDepth) r.fail('TOO_DEEP', `multipart nested deeper than ${budget.limits.maxDepth}`, at);
    const inner = new Reader(r.buf, r.pos - dataLen, r.pos);
    const spent = budget.parts;
    try {
      const parts = readEntries(inner, budget, depth + 1);
      // Only data that is exactly a multipart becomes parts; anything left over would be lost on re-encoding.
      if (inner.pos === inner.end) part.parts = parts;
      else budget.parts = spent;
    } catch (e) {
      // A resource limit is fatal; data that merely is not a WSP multipart stays opaque.
      if (!(e instanceof PduError) || e.code === 'TOO_DEEP' || e.code === 'TOO_MANY_PARTS') throw e;
      budget.parts = spent;
    }
  }
  return part;
}

/** Headers = *Header ; Header = Well-known-header | Application-header   ; WAP-230 8.4.2.6 */
function readEntryHeaders(r: Reader, p: Part): void {
  while (r.pos < r.end) {
    const at = r.pos;
    const b = r.byte();
    if (b >= 0x80) {
      const code = b & 0x7f;
      if (code === HEADER_CONTENT_ID) {
        if (r.peek() !== 0x22) p.contentIdUnquoted = true;
        p.contentId = r.quotedString();
      } else if (code === HEADER_CONTENT_LOCATION) p.contentLocation = r.textString();
      else if (code === HEADER_CONTENT_DISPOSITION || code === HEADER_CONTENT_DISPOSITION_14) {
        p.contentDisposition = readContentDisposition(r);
      } else addHeader(p, { code, value: Buffer.from(r.skipValue()) });
    } else if (b >= 32 && b !== 127) {
      r.pos = at;
      const name = r.textString();
      addHeader(p, { name, value: r.textString() });
    } else {
      r.fail('BAD_HEADER', `header code-page shift 0x${b.toString(16)} is not supported in entry headers`, at);
    }
  }
}

function addHeader(p: Part, h: ExtraHeader): void {
  (p.headers ??= []).push(h);
}

/** Encode parts as a WSP multipart. An entry with `parts` is encoded from them (its `data` is then ignored). */
export function writeMultipart(w: Writer, parts: readonly Part[], depth = 0): void {
  if (depth > DEFAULT_MULTIPART_LIMITS.maxDepth) throw new PduError('ENCODE_INVALID', 'multipart nested too deep', -1);
  w.uintvar(parts.length);
  for (const part of parts) {
    let data: Uint8Array;
    if (part.parts) {
      const inner = new Writer(sizeOf(part.parts) + 64);
      writeMultipart(inner, part.parts, depth + 1);
      data = inner.finish();
    } else data = part.data;
    // The entry headers go straight into the output after room for the two uintvars: DataLen's size is known,
    // HeadersLen's is taken to be one octet (headers under 128 octets, nearly all entries); longer headers
    // move right by what their length takes more. No writer of their own per entry, and mostly no move.
    const lenAt = w.pos;
    const dataLenSize = uintvarSize(data.length);
    w.ensure(1 + dataLenSize);
    w.pos += 1 + dataLenSize;
    const headersAt = w.pos;
    writeContentType(w, part.contentType);
    writeEntryHeaders(w, part);
    const headersLen = w.pos - headersAt;
    const end = w.pos;
    if (headersLen >= 0x80) {
      const more = uintvarSize(headersLen) - 1;
      w.ensure(more);
      w.buf.copyWithin(headersAt + more, headersAt, end);
      w.pos = lenAt;
      w.uintvar(headersLen);
      w.uintvar(data.length);
      w.pos = end + more;
    } else {
      w.pos = lenAt;
      w.byte(headersLen);
      w.uintvar(data.length);
      w.pos = end;
    }
    w.bytes(data);
  }
}

/** Octets of a uintvar of `v` (WAP-230 8.1.2). */
function uintvarSize(v: number): number {
  let n = 1;
  for (let t = v; t >= 0x80; t = Math.floor(t / 128)) n++;
  return n;
}

/** Entry headers in the part's key order (so a decoded entry re-encodes in its original order). */
function writeEntryHeaders(hw: Writer, part: Part): void {
  for (const key in part) {
    switch (key) {
      case 'contentId':
        if (part.contentId === undefined) break;
        hw.byte(0x80 | HEADER_CONTENT_ID);
        if (part.contentIdUnquoted) hw.textString(part.contentId);
        else hw.quotedString(part.contentId);
        break;
      case 'contentLocation':
        if (part.contentLocation === undefined) break;
        hw.byte(0x80 | HEADER_CONTENT_LOCATION);
        hw.textString(part.contentLocation);
        break;
      case 'contentDisposition':
        if (part.contentDisposition === undefined) break;
        hw.byte(0x80 | HEADER_CONTENT_DISPOSITION);
        writeContentDisposition(hw, part.contentDisposition);
        break;
      case 'headers':
        for (const h of part.headers ?? []) writeExtraHeader(hw, h);
        break;
    }
  }
}

/**
 * Sum of entry data sizes and room for each entry's headers: a size hint for the writer. Generous per entry
 * (256 octets: headers are rarely a third of that), so that the output buffer is allocated once; an
 * undersized hint made the writer double and copy everything written so far, large parts included.
 */
export function sizeOf(parts: readonly Part[]): number {
  let n = 8;
  for (const p of parts) n += (p.parts ? sizeOf(p.parts) : p.data.length) + 256;
  return n;
}
