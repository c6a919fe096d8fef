/**
 * Buffer's own slice decoders (what `toString(encoding, start, end)` calls after checking its arguments and
 * looking the encoding up). Present on Buffer.prototype in every Node release; not in @types/node.
 */
export interface SliceDecoders {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}

/** Longest string built by `latin1` in JavaScript; longer ones go through Buffer's decoder. */
const MAX_INLINE = 64;

type Latin1 = (buf: Buffer, start: number, end: number) => string;

/**
 * The octets buf[start..end) as a string, one character an octet (ISO-8859-1, so ASCII as it is).
 *
 * Why not `buf.latin1Slice`: a PDU's header strings are short (tokens, addresses, file names, a URL), and for
 * those the call into C++ costs more than the copy: about twice what `String.fromCharCode` with the octets as
 * arguments costs, which runs as a builtin without leaving the engine and makes the same flat one-byte string.
 * So strings up to 64 octets are built by a call with that many arguments, one `case` a length (generated:
 * 64 cases written out by hand would be noise); longer ones take Buffer's decoder.
 */
export const latin1: Latin1 = (() => {
  let src = 'const f = String.fromCharCode;\nreturn function latin1(b, s, e) {\n  switch (e - s) {\n    case 0: return "";\n';
  for (let n = 1; n <= MAX_INLINE; n++) {
    const args = Array.from({ length: n }, (_, i) => (i === 0 ? 'b[s]' : `b[s + ${i}]`));
    src += `    case ${n}: return f(${args.join(', ')});\n`;
  }
  src += '  }\n  return b.latin1Slice(s, e);\n};';
  return new Function(src)() as Latin1;
})();
