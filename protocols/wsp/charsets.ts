import { isUtf8 } from 'node:buffer';

/**
 * Character sets by IANA MIBenum, as WSP carries them (WAP-230 Appendix A Table 42 defers to the IANA
 * character-sets registry). Names are the IANA preferred names in lower case.
 */
export const CHARSETS = [
  [3, 'us-ascii'],
  [4, 'iso-8859-1'],
  [5, 'iso-8859-2'],
  [6, 'iso-8859-3'],
  [7, 'iso-8859-4'],
  [8, 'iso-8859-5'],
  [9, 'iso-8859-6'],
  [10, 'iso-8859-7'],
  [11, 'iso-8859-8'],
  [12, 'iso-8859-9'],
  [13, 'iso-8859-10'],
  [17, 'shift_jis'],
  [18, 'euc-jp'],
  [36, 'ks_c_5601-1987'],
  [38, 'euc-kr'],
  [39, 'iso-2022-jp'],
  [40, 'iso-2022-jp-2'],
  [106, 'utf-8'],
  [109, 'iso-8859-13'],
  [110, 'iso-8859-14'],
  [111, 'iso-8859-15'],
  [112, 'iso-8859-16'],
  [113, 'gbk'],
  [114, 'gb18030'],
  [1000, 'iso-10646-ucs-2'],
  [1013, 'utf-16be'],
  [1014, 'utf-16le'],
  [1015, 'utf-16'],
  [2025, 'gb2312'],
  [2026, 'big5'],
  [2084, 'koi8-r'],
  [2250, 'windows-1250'],
  [2251, 'windows-1251'],
  [2252, 'windows-1252'],
  [2253, 'windows-1253'],
  [2254, 'windows-1254'],
  [2255, 'windows-1255'],
  [2256, 'windows-1256'],
  [2257, 'windows-1257'],
  [2258, 'windows-1258'],
] as const;

export type CharsetName = (typeof CHARSETS)[number][1];
/** A charset: its IANA name when we know it, else the raw MIBenum. `'*'` is WSP Any-charset (0x80). */
export type Charset = CharsetName | '*' | number;

const NAME_BY_MIB = new Map<number, CharsetName>(CHARSETS.map(([mib, name]) => [mib, name]));
const MIB_BY_NAME = new Map<string, number>(CHARSETS.map(([mib, name]) => [name, mib]));
// Common aliases accepted from callers (never produced by the decoder).
for (const [alias, name] of [
  ['utf8', 'utf-8'],
  ['ascii', 'us-ascii'],
  ['latin1', 'iso-8859-1'],
  ['ucs-2', 'iso-10646-ucs-2'],
  ['utf16', 'utf-16'],
] as const) {
  MIB_BY_NAME.set(alias, MIB_BY_NAME.get(name)!);
}

export function charsetFromMib(mib: number): Charset {
  return NAME_BY_MIB.get(mib) ?? mib;
}

/** MIBenum for a charset, or undefined for a name we do not know. */
export function mibOf(charset: Charset | string): number | undefined {
  if (typeof charset === 'number') return charset;
  if (charset === '*') return 0;
  return MIB_BY_NAME.get(charset) ?? MIB_BY_NAME.get(charset.toLowerCase());
}

/** Charsets we can both decode and encode exactly (everything else keeps its raw bytes). */
function nodeEncoding(mib: number): 'utf8' | 'latin1' | 'utf16le' | undefined {
  switch (mib) {
    case 106:
      return 'utf8';
    case 3: // US-ASCII is a subset of UTF-8; decoding as UTF-8 is lossless for valid input
      return 'utf8';
    case 4:
      return 'latin1';
    case 1014:
      return 'utf16le';
    default:
      return undefined;
  }
}

const decoders = new Map<string, TextDecoder | null>();
function textDecoder(label: string): TextDecoder | null {
  let d = decoders.get(label);
  if (d === undefined) {
    try {
      d = new TextDecoder(label, { fatal: false });
    } catch {
      d = null;
    }
    decoders.set(label, d);
  }
  return d;
}

/**
 * Decode `bytes` in `mib`. Returns the text and whether `encodeText(text, mib)` gives the same bytes back
 * (false for invalid input, unknown charsets or charsets we cannot encode: the caller then keeps the bytes).
 */
export function decodeText(bytes: Buffer, mib: number): { text: string; exact: boolean } {
  const enc = nodeEncoding(mib);
  if (enc === 'utf8') {
    // A UTF-8 byte-order mark is no text (RFC 3629 §6): drop it from the text; `exact` false keeps the bytes.
    if (mib === 106 && bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
      return { text: bytes.toString('utf8', 3), exact: false };
    }
    return { text: bytes.toString('utf8'), exact: isUtf8(bytes) && (mib !== 3 || isAscii(bytes)) };
  }
  if (enc !== undefined) return { text: bytes.toString(enc), exact: enc !== 'utf16le' || bytes.length % 2 === 0 };
  if (mib === 1000 || mib === 1013 || mib === 1015) {
    // UCS-2 / UTF-16 without BOM are big-endian (RFC 2781 4.3); a BOM is honoured and kept by the encoder only
    // when it was there, so such input is marked inexact.
    const hasBom = bytes.length >= 2 && ((bytes[0] === 0xfe && bytes[1] === 0xff) || (bytes[0] === 0xff && bytes[1] === 0xfe));
    const label = hasBom && bytes[0] === 0xff ? 'utf-16le' : 'utf-16be';
    const text = textDecoder(label)!.decode(hasBom ? bytes.subarray(2) : bytes);
    return { text, exact: !hasBom && bytes.length % 2 === 0 && sameBytes(encodeUtf16be(text), bytes) };
  }
  const name = NAME_BY_MIB.get(mib);
  const d = name ? textDecoder(name) : null;
  if (d) return { text: d.decode(bytes), exact: false };
  return { text: bytes.toString('latin1'), exact: false };
}

/** Encode text in the charset `mib`; throws a plain Error for a charset we cannot produce. */
export function encodeText(text: string, mib: number): Buffer {
  const enc = nodeEncoding(mib);
  if (enc) return Buffer.from(text, enc);
  if (mib === 1000 || mib === 1013 || mib === 1015) return encodeUtf16be(text);
  throw new Error(`cannot encode text in charset MIBenum ${mib}`);
}

function encodeUtf16be(text: string): Buffer {
  const b = Buffer.from(text, 'utf16le');
  return b.swap16();
}

function isAscii(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) if (b[i]! > 0x7f) return false;
  return true;
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && a.equals(b);
}
