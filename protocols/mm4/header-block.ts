// The top-level header block of an RFC 5322 message (§2.2, §3.6), read with bounded work: the header block of
// an MM4 message is an e-mail's, not a MIME part's, so protocols/mime's scanner (which starts at a boundary)
// does not read it; its fields become protocols/mime's MimeHeaders all the same.
//
//   message      = fields [ CRLF body ]          (RFC 5322 §3.5; a message may end after its fields)
//   field        = field-name ":" unstructured CRLF
//   field-name   = 1*ftext                        (§3.6.8: printable US-ASCII except ":")
//   folding      = CRLF 1*WSP                     (§2.2.3: unfolding removes the CRLF, keeps the WSP)
// Bare LF line endings (common after a trip through Unix mail tools) are read as CRLF.
import { MimeHeaders } from '../mime/index.js';
import { Mm4Error } from './errors.js';
import type { Mm4Limits } from './model.js';

const FIELD_NAME = /^([!-9;-~]+)[ \t]*:/; // ftext, with obs-optional WSP before ":" (RFC 5322 §4.5.3)
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Header bytes as text: UTF-8 (RFC 6532) when valid, else Latin-1 so that no byte is lost. */
function headerText(b: Uint8Array): string {
  try {
    return utf8.decode(b);
  } catch {
    return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
  }
}

/** Splits `bytes` into its header fields (unfolded, trimmed, not RFC 2047-decoded) and its body. */
export function splitMessage(bytes: Buffer, limits: Mm4Limits): { headers: MimeHeaders; body: Buffer } {
  const fields: Array<{ name: string; value: string }> = [];
  let pos = 0;
  let lines = 0;
  for (;;) {
    if (pos >= bytes.length) return { headers: done(fields), body: Buffer.alloc(0) }; // fields only, no body
    const lf = bytes.indexOf(0x0a, pos);
    const next = lf < 0 ? bytes.length : lf + 1;
    // The limit is checked before the line is read: an endless line or endless folding stops at the limit.
    if (next > limits.maxHeaderBytes || ++lines > limits.maxHeaders) {
      throw new Mm4Error('HEADER_TOO_LARGE', `header block over ${limits.maxHeaderBytes} bytes or ${limits.maxHeaders} lines`);
    }
    let end = lf < 0 ? bytes.length : lf;
    if (end > pos && bytes[end - 1] === 0x0d) end--;
    if (end === pos) return { headers: done(fields), body: bytes.subarray(next) }; // the blank line
    const text = headerText(bytes.subarray(pos, end));
    pos = next;
    if (text[0] === ' ' || text[0] === '\t') {
      const last = fields[fields.length - 1];
      if (!last) throw new Mm4Error('MALFORMED', 'header block starts with a continuation line');
      last.value += text;
      continue;
    }
    const m = FIELD_NAME.exec(text);
    if (!m) throw new Mm4Error('MALFORMED', `header line ${lines} is not a header field`);
    fields.push({ name: m[1] as string, value: text.slice(m[0].length) });
  }
}

function done(fields: Array<{ name: string; value: string }>): MimeHeaders {
  return new MimeHeaders(fields.map((f) => ({ name: f.name, value: f.value.trim() })));
}

/**
 * The header block of a message that arrives in chunks: read (at most limits.maxHeaderBytes of it, as
 * splitMessage) until its blank line, then the body as what is left of the chunk and the rest of `source`,
 * not read yet. The body iterable is read once; the caller's iterator is left open when it is not read to its end.
 */
export async function readHeaderBlock(
  source: AsyncIterable<Uint8Array>,
  limits: Mm4Limits,
): Promise<{ headers: MimeHeaders; body: AsyncIterable<Buffer> }> {
  const it = source[Symbol.asyncIterator]();
  let acc = Buffer.alloc(0);
  for (;;) {
    const r = await it.next();
    if (r.done) return { headers: splitMessage(acc, limits).headers, body: rest(Buffer.alloc(0), undefined) };
    acc = acc.length === 0 ? Buffer.from(r.value) : Buffer.concat([acc, r.value]);
    const end = blankLineEnd(acc);
    if (end >= 0) return { headers: splitMessage(acc.subarray(0, end), limits).headers, body: rest(acc.subarray(end), it) };
    // No blank line within the limit: splitMessage throws HEADER_TOO_LARGE at the line that crosses it.
    if (acc.length > limits.maxHeaderBytes) splitMessage(acc, limits);
  }
}

/** The offset just after the blank line that ends the header block (CRLF or bare LF), or -1 when not there yet. */
function blankLineEnd(b: Buffer): number {
  let pos = 0;
  for (;;) {
    const lf = b.indexOf(0x0a, pos);
    if (lf < 0) return -1;
    if (lf === pos || (lf === pos + 1 && b[pos] === 0x0d)) return lf + 1;
    pos = lf + 1;
  }
}

async function* rest(first: Buffer, it: AsyncIterator<Uint8Array> | undefined): AsyncIterable<Buffer> {
  if (first.length > 0) yield first;
  if (!it) return;
  for (;;) {
    const r = await it.next();
    if (r.done) return;
    yield Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
  }
}
