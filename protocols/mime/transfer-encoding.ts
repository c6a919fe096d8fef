// Content-Transfer-Encoding (RFC 2045 §6): the five standard encodings, decoded leniently.

/** RFC 2045 §6.1 mechanisms; anything else (x-token or a typo) is BAD_ENCODING. */
export const KNOWN_ENCODINGS: ReadonlySet<string> = new Set(['7bit', '8bit', 'binary', 'base64', 'quoted-printable']);

/** Decodes `raw` per `encoding` (lower-case, one of KNOWN_ENCODINGS). */
export function decodeTransfer(raw: Buffer, encoding: string): Buffer {
  if (encoding === 'base64') return decodeBase64(raw);
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(raw);
  return raw;
}

const B64 = new Int8Array(256).fill(-1);
for (const [i, c] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].entries()) B64[c.charCodeAt(0)] = i;

/** Outside the alphabet, line breaks and "=": such a piece takes the lenient loop (Node reads "-" and "_" as base64url). */
const NOT_PLAIN = /[^A-Za-z0-9+/\r\n=]/;
/** What may follow the first "=" for the platform's decoder to read the piece as the loop would: "=" or "==", line breaks. */
const PADDING_ONLY = /^(?:=[\r\n]*){1,2}$/;

/** Occurrences of `c` in `text` from `from` on. */
function count(text: string, c: string, from: number): number {
  let n = 0;
  for (let i = text.indexOf(c, from); i >= 0; i = text.indexOf(c, i + 1)) n++;
  return n;
}

/**
 * RFC 2045 §6.8, leniently: characters outside the alphabet are ignored (as §6.8 tells decoders to),
 * "=" ends a quantum and decoding resumes after it (concatenated encodings), and a lone trailing
 * character, which holds less than a byte, is dropped. Never fails. Fed piece by piece, it carries the
 * partial quantum from one piece to the next.
 *
 * Speed: a plain piece (the alphabet in lines, padding only at its end: what every encoder writes) is decoded
 * by Buffer.from(…, 'base64'), which skips line breaks (native, >10x the loop), whole quanta only; the
 * characters finishing a quantum the last piece began, and those of an unfinished last quantum, go through the
 * loop, which carries its state. Padding ends the quantum as the loop's reset does: Node decodes an unpadded
 * remainder of 2 or 3 characters to the same 1 or 2 bytes, and 1 to none.
 */
class Base64Decoder {
  private acc = 0;
  private bits = 0;

  push(raw: Uint8Array): Buffer {
    if (raw.length < 64) return this.loop(raw);
    const text = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1');
    if (NOT_PLAIN.test(text)) return this.loop(raw);
    const eq = text.indexOf('=');
    if (eq >= 0 && !PADDING_ONLY.test(text.slice(eq))) return this.loop(raw);
    // Finish the quantum carried from the last piece in the loop (bits 6, 4, 2: 3, 2, 1 characters to go).
    let start = 0;
    for (let need = this.bits / 2; need > 0; start++) {
      if (start >= text.length || text[start] === '=') return this.loop(raw);
      if (text[start] !== '\r' && text[start] !== '\n') need--;
    }
    const first = start > 0 ? this.loop(raw.subarray(0, start)) : undefined;
    // Without padding, an unfinished last quantum is left to the loop (it carries it to the next piece).
    let end = text.length;
    if (eq < 0) {
      let extra = (end - start - count(text, '\n', start) - count(text, '\r', start)) % 4;
      while (extra > 0) if (text[--end] !== '\r' && text[end] !== '\n') extra--;
    }
    const out: Buffer[] = [Buffer.from(start > 0 || end < text.length ? text.slice(start, end) : text, 'base64')];
    if (end < text.length) out.push(this.loop(raw.subarray(end)));
    if (first !== undefined) out.unshift(first);
    return out.length === 1 ? out[0]! : Buffer.concat(out);
  }

  private loop(raw: Uint8Array): Buffer {
    const out = Buffer.allocUnsafe(Math.floor((raw.length * 3) / 4) + 3);
    let n = 0;
    let { acc, bits } = this;
    for (const c of raw) {
      const v = B64[c] as number;
      if (v >= 0) {
        acc = ((acc << 6) | v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
          bits -= 8;
          out[n++] = (acc >> bits) & 0xff;
        }
      } else if (c === 0x3d) {
        acc = 0; // padding: the partial quantum is complete, leftover bits are zero fill
        bits = 0;
      }
    }
    this.acc = acc;
    this.bits = bits;
    return out.subarray(0, n);
  }
}

export function decodeBase64(raw: Uint8Array): Buffer {
  return new Base64Decoder().push(raw);
}

/**
 * A decoder fed a body piece by piece (for streamed parts): base64 carries its partial quantum from one
 * piece to the next; quoted-printable its incomplete last line; 7bit/8bit/binary pass pieces through.
 */
export interface PieceDecoder {
  push(piece: Buffer): Buffer | undefined;
  finish(): Buffer | undefined;
}

export function pieceDecoder(encoding: string): PieceDecoder {
  if (encoding === 'base64') {
    const d = new Base64Decoder();
    return { push: (piece) => d.push(piece), finish: () => undefined };
  }
  if (encoding === 'quoted-printable') return new QuotedPrintableDecoder();
  return { push: (piece) => piece, finish: () => undefined };
}

/** Longest incomplete line carried between pieces before part of it is decoded anyway. */
const QP_CARRY = 64 * 1024;

/**
 * Quoted-printable piece by piece. decodeQuotedPrintable looks no further than the end of the line it is
 * in, so decoding up to the last line break and carrying the rest gives the bytes decoding the whole would.
 * A line longer than QP_CARRY (no sender writes one: RFC 2045 §6.7 rule 5 says 76) is cut where neither an
 * "=XX" nor trailing white space is split, so that it cannot make the carry grow with the body.
 */
class QuotedPrintableDecoder implements PieceDecoder {
  private carry: Buffer | undefined;

  push(piece: Buffer): Buffer | undefined {
    const data = this.carry ? Buffer.concat([this.carry, piece]) : piece;
    let cut = data.lastIndexOf(0x0a) + 1;
    if (cut === 0 && data.length > QP_CARRY) cut = safeCut(data);
    // A copy: `piece` is a view of an input chunk, which must not be held past this call.
    this.carry = cut < data.length ? Buffer.from(data.subarray(cut)) : undefined;
    return cut > 0 ? decodeQuotedPrintable(data.subarray(0, cut)) : undefined;
  }

  finish(): Buffer | undefined {
    const rest = this.carry;
    this.carry = undefined;
    return rest ? decodeQuotedPrintable(rest) : undefined;
  }
}

/** A cut point inside one line where decoding the two sides apart decodes as the whole would; 0 if none. */
function safeCut(line: Buffer): number {
  const isWs = (b: number | undefined) => b === 0x20 || b === 0x09;
  for (let k = line.length - 2; k >= 2; k--) {
    const last = line[k - 1];
    if (last !== 0x3d && !isWs(last) && line[k - 2] !== 0x3d) return k;
  }
  return 0;
}

const hex = (c: number | undefined): number =>
  c === undefined ? -1 : c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x41 && c <= 0x46 ? c - 0x37 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1;

/**
 * RFC 2045 §6.7: =XX is a byte (lower-case hex accepted), "=" at the end of a line (after optional
 * white space) is a soft line break, white space at the end of a line is dropped (rule 3), and an
 * "=" that starts neither is kept as written (the §6.7 note's advice). Never fails.
 */
export function decodeQuotedPrintable(raw: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(raw.length);
  let n = 0;
  let i = 0;
  while (i < raw.length) {
    const c = raw[i] as number;
    if (c === 0x3d) {
      const h = hex(raw[i + 1]);
      const l = hex(raw[i + 2]);
      if (h >= 0 && l >= 0) {
        out[n++] = (h << 4) | l;
        i += 3;
        continue;
      }
      let j = i + 1;
      while (raw[j] === 0x20 || raw[j] === 0x09) j++;
      if (raw[j] === 0x0d && raw[j + 1] === 0x0a) j++;
      if (raw[j] === 0x0a || j >= raw.length) {
        i = j + 1; // soft line break (or a final "=" with nothing after it)
        continue;
      }
      out[n++] = c;
      i++;
    } else if (c === 0x20 || c === 0x09) {
      // Trailing white space before a line break (or the end) is padding, not data.
      let j = i;
      while (raw[j] === 0x20 || raw[j] === 0x09) j++;
      const eol = j >= raw.length || raw[j] === 0x0a || (raw[j] === 0x0d && raw[j + 1] === 0x0a);
      if (!eol) raw.subarray(i, j).forEach((b) => (out[n++] = b));
      i = j;
    } else {
      out[n++] = c;
      i++;
    }
  }
  return out.subarray(0, n);
}
