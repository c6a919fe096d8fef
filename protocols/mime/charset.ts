// Bytes to text in a named charset, shared by RFC 2047 encoded-words and RFC 2231 parameter values.

/** Decodes `bytes` as `charset` (IANA name or alias, any case); undefined when the charset is unknown. */
export function decodeCharset(bytes: Uint8Array, charset: string): string | undefined {
  const name = charset.trim().toLowerCase();
  // RFC 2231 §4 allows an empty charset; read it as UTF-8, a superset of the us-ascii it implies.
  if (name === '' || name === 'utf8' || name === 'utf-8') return Buffer.from(bytes).toString('utf8');
  // WHATWG maps us-ascii to windows-1252; for 7-bit input both agree, for 8-bit bytes latin1 is the honest reading.
  if (name === 'us-ascii' || name === 'ascii') return Buffer.from(bytes).toString('latin1');
  try {
    return new TextDecoder(name).decode(bytes);
  } catch {
    return undefined;
  }
}

/** %XX escapes to bytes (RFC 2231 §4, RFC 2392 §2); a malformed escape stays as written. */
export function percentDecode(s: string): Buffer {
  const out: Buffer[] = [];
  for (const m of s.matchAll(/%([0-9A-Fa-f]{2})|[^%]+|%/g)) {
    out.push(m[1] !== undefined ? Buffer.of(parseInt(m[1], 16)) : Buffer.from(m[0], 'utf8'));
  }
  return Buffer.concat(out);
}
