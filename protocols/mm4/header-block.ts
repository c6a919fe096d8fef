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
