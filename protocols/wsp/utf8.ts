import { isUtf8 } from 'node:buffer';
import type { SliceDecoders } from './latin1.js';

/**
 * Ranges up to this long are checked and decoded here: for header text (a subject, a name) the call into C++
 * costs more than the work (a 55-octet Cyrillic subject: ~0.14 us here, against ~0.31 for a check in
 * JavaScript and Buffer's `utf8Slice` after it). Longer ones go to Node's `isUtf8` (simdutf) and `utf8Slice`.
 */
const MAX_INLINE = 64;

/** UTF-16 code units of the text being decoded: at most one per octet, so MAX_INLINE of them. */
const UNITS: number[] = new Array<number>(MAX_INLINE).fill(0);

type FromUnits = (units: number[], n: number) => string;

/**
 * The string of units[0..n): `String.fromCharCode` with the units as arguments, one `case` a count
 * (generated, as in latin1.ts), which builds the string inside the engine without an array copied for it.
 */
const fromUnits: FromUnits = (() => {
  let src = 'const f = String.fromCharCode;\nreturn function fromUnits(u, n) {\n  switch (n) {\n    case 0: return "";\n';
  for (let n = 1; n <= MAX_INLINE; n++) {
    src += `    case ${n}: return f(${Array.from({ length: n }, (_, i) => `u[${i}]`).join(', ')});\n`;
  }
  src += '  }\n  throw new RangeError("more units than MAX_INLINE");\n};';
  return new Function(src)() as FromUnits;
})();

/**
 * The text of buf[start..end) if it is well-formed UTF-8 (RFC 3629 §4: no overlong forms, no surrogates,
 * nothing above U+10FFFF, nothing cut short), else undefined: what `isUtf8(range) ? range.toString('utf8') :
 * undefined` gives, checked and decoded in one pass.
 */
export function utf8Text(buf: Buffer, start: number, end: number): string | undefined {
  if (end - start > MAX_INLINE) {
    return isUtf8(buf.subarray(start, end)) ? (buf as unknown as SliceDecoders).utf8Slice(start, end) : undefined;
  }
  const u = UNITS;
  let k = 0;
  let i = start;
  while (i < end) {
    const c = buf[i]!;
    if (c < 0x80) {
      u[k++] = c;
      i++;
    } else if (c >= 0xc2 && c <= 0xdf) {
      // UTF8-2 = %xC2-DF UTF8-tail
      if (i + 1 >= end) return undefined;
      const c1 = buf[i + 1]!;
      if ((c1 & 0xc0) !== 0x80) return undefined;
      u[k++] = ((c & 0x1f) << 6) | (c1 & 0x3f);
      i += 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      // UTF8-3: after E0 the first tail is A0-BF (no overlong), after ED 80-9F (no surrogate)
      if (i + 2 >= end) return undefined;
      const c1 = buf[i + 1]!;
      const c2 = buf[i + 2]!;
      if (c1 < (c === 0xe0 ? 0xa0 : 0x80) || c1 > (c === 0xed ? 0x9f : 0xbf) || (c2 & 0xc0) !== 0x80) return undefined;
      u[k++] = ((c & 0x0f) << 12) | ((c1 & 0x3f) << 6) | (c2 & 0x3f);
      i += 3;
    } else if (c >= 0xf0 && c <= 0xf4) {
      // UTF8-4: after F0 the first tail is 90-BF (no overlong), after F4 80-8F (nothing above U+10FFFF)
      if (i + 3 >= end) return undefined;
      const c1 = buf[i + 1]!;
      const c2 = buf[i + 2]!;
      const c3 = buf[i + 3]!;
      if (c1 < (c === 0xf0 ? 0x90 : 0x80) || c1 > (c === 0xf4 ? 0x8f : 0xbf) || (c2 & 0xc0) !== 0x80 || (c3 & 0xc0) !== 0x80) {
        return undefined;
      }
      const v = (((c & 0x07) << 18) | ((c1 & 0x3f) << 12) | ((c2 & 0x3f) << 6) | (c3 & 0x3f)) - 0x10000;
      u[k++] = 0xd800 | (v >> 10);
      u[k++] = 0xdc00 | (v & 0x3ff);
      i += 4;
    } else return undefined;
  }
  return fromUnits(u, k);
}
