// RFC 2047 encoded-words in header values: =?charset?B?...?= and =?charset?Q?...?=.
import { decodeCharset } from './charset.js';
import { decodeBase64 } from './transfer-encoding.js';

// §2: encoded-word = "=?" charset "?" encoding "?" encoded-text "?="; RFC 2231 §5 adds "*lang" to the charset.
const ENCODED_WORD = /=\?([^?\s*]+)(?:\*[^?\s]*)?\?([BbQq])\?([^?\s]*)\?=/g;

/** RFC 2047 encoded-words (=?charset?B|Q?...?=) decoded to a JS string; unknown charsets left as-is. */
export function decodeEncodedWords(value: string): string {
  let out = '';
  let last = 0;
  // A run of adjacent words in one charset is decoded as one byte string, so a multi-byte character
  // split across two words (as many mailers do) comes out whole.
  let run: { charset: string; bytes: Buffer[]; raw: string } | undefined;
  const flush = (): void => {
    if (!run) return;
    out += decodeCharset(Buffer.concat(run.bytes), run.charset) ?? run.raw;
    run = undefined;
  };
  for (const m of value.matchAll(ENCODED_WORD)) {
    const gap = value.slice(last, m.index);
    const charset = (m[1] as string).toLowerCase();
    // §6.2: white space between adjacent encoded-words is not displayed.
    if (run && /^[ \t\r\n]*$/.test(gap)) {
      if (run.charset !== charset) flush();
      else run.raw += gap;
    } else {
      flush();
      out += gap;
    }
    const text = m[3] as string;
    const bytes = /[Bb]/.test(m[2] as string) ? decodeBase64(Buffer.from(text, 'latin1')) : decodeQ(text);
    run ??= { charset, bytes: [], raw: '' };
    run.bytes.push(bytes);
    run.raw += m[0];
    last = (m.index as number) + m[0].length;
  }
  flush();
  return out + value.slice(last);
}

// §4.2: "_" is a space, =XX a byte, anything else itself.
function decodeQ(text: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5f) out.push(0x20);
    else if (c === 0x3d && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      out.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(c & 0xff);
  }
  return Buffer.from(out);
}
