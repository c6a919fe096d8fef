import { SmsError, codePointName } from './errors.js';

/**
 * The GSM 7-bit default alphabet (3GPP TS 23.038 §6.2.1) and its extension table (§6.2.1.1).
 *
 * Septets:   7-bit values 0x00-0x7F. 0x1B is ESC: the next septet is read in the extension table.
 * Unpacked:  one septet per octet (what SMPP data_coding 0 carries in short_message by default).
 * Packed:    septets back to back, least significant bit first (TS 23.038 §6.1.2.1.1), optionally after
 *            fill bits so that the text starts on a septet boundary after a UDH (TS 23.040 §9.2.3.24).
 */

/** ESC to the extension table (TS 23.038 §6.2.1, position 0x1B). */
export const GSM7_ESC = 0x1b;

/** TS 23.038 §6.2.1: character at each septet, in rows of 16. Position 0x1B (ESC) is never a character. */
export const GSM7_DEFAULT_ALPHABET: readonly string[] = [
  ...'@£$¥èéùìòÇ\nØø\rÅå', // 0x00-0x0F
  ...'\u0394_\u03a6\u0393\u039b\u03a9\u03a0\u03a8\u03a3\u0398\u039e\u001bÆæßÉ', // 0x10-0x1F: Δ _ Φ Γ Λ Ω Π Ψ Σ Θ Ξ ESC
  ...' !"#¤%&\'()*+,-./', // 0x20-0x2F (0x24 is the currency sign ¤, not $)
  ...'0123456789:;<=>?', // 0x30-0x3F
  ...'¡ABCDEFGHIJKLMNO', // 0x40-0x4F
  ...'PQRSTUVWXYZÄÖÑÜ§', // 0x50-0x5F
  ...'¿abcdefghijklmno', // 0x60-0x6F
  ...'pqrstuvwxyzäöñüà', // 0x70-0x7F
];

/** TS 23.038 §6.2.1.1: septet after ESC -> character. 0x0A is the page break (form feed). */
export const GSM7_EXTENSION_TABLE: ReadonlyMap<number, string> = new Map([
  [0x0a, '\f'],
  [0x14, '^'],
  [0x28, '{'],
  [0x29, '}'],
  [0x2f, '\\'],
  [0x3c, '['],
  [0x3d, '~'],
  [0x3e, ']'],
  [0x40, '|'],
  [0x65, '\u20ac'], // €
]);

// Character -> septets (one for the default table, ESC + one for the extension table).
const ENCODE = new Map<string, readonly number[]>();
GSM7_DEFAULT_ALPHABET.forEach((ch, septet) => {
  if (septet !== GSM7_ESC) ENCODE.set(ch, [septet]);
});
for (const [septet, ch] of GSM7_EXTENSION_TABLE) ENCODE.set(ch, [GSM7_ESC, septet]);

/** True when every character is in the default alphabet or the extension table. */
export function canEncodeGsm7(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (!ENCODE.has(text[i]!)) return false;
  return true;
}

/** Septets the text takes (extension characters count 2), or undefined when it is not GSM-encodable. */
export function gsm7Length(text: string): number | undefined {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const s = ENCODE.get(text[i]!);
    if (s === undefined) return undefined;
    n += s.length;
  }
  return n;
}

/** Text -> septets, one per octet. Throws SmsError NOT_GSM7 with the index of the first unencodable character. */
export function toSeptets(text: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const s = ENCODE.get(text[i]!);
    if (s === undefined) {
      throw new SmsError('NOT_GSM7', `${codePointName(text.codePointAt(i)!)} is not in the GSM 7-bit alphabet`, i);
    }
    out.push(...s);
  }
  return Buffer.from(out);
}

/**
 * Septets (one per octet) -> text. An octet above 0x7F throws SmsError BAD_CHAR. Escape handling, TS 23.038:
 * - ESC + a septet in the extension table: that character (§6.2.1.1);
 * - ESC + ESC: a space (§6.2.1.1 note: reserved for another extension table, shown as a space); both consumed;
 * - ESC + any other septet: the default-table character for that septet (§6.2.1.1: unknown extension codes
 *   are shown from the default table);
 * - ESC as the last septet: a space (§6.2.1 note 1: an entity that cannot interpret the escape shows a space).
 */
export function fromSeptets(septets: Uint8Array): string {
  let out = '';
  for (let i = 0; i < septets.length; i++) {
    const s = septets[i]!;
    if (s > 0x7f) throw new SmsError('BAD_CHAR', `octet 0x${s.toString(16)} is not a septet`, i);
    if (s !== GSM7_ESC) {
      out += GSM7_DEFAULT_ALPHABET[s];
      continue;
    }
    if (i + 1 >= septets.length) {
      out += ' ';
      continue;
    }
    const next = septets[++i]!;
    if (next > 0x7f) throw new SmsError('BAD_CHAR', `octet 0x${next.toString(16)} is not a septet`, i);
    out += next === GSM7_ESC ? ' ' : (GSM7_EXTENSION_TABLE.get(next) ?? GSM7_DEFAULT_ALPHABET[next]);
  }
  return out;
}

/** Fill bits needed after a UDH of this many octets (UDHL included) so 7-bit text starts on a septet boundary. */
export function fillBitsAfterUdh(udhOctets: number): number {
  return (7 - ((udhOctets * 8) % 7)) % 7;
}

function checkFillBits(fillBits: number): void {
  if (!Number.isInteger(fillBits) || fillBits < 0 || fillBits > 6) {
    throw new SmsError('BAD_ARGUMENT', `fill bits must be 0-6, got ${fillBits}`);
  }
}

/**
 * Pack septets (one per octet) into 7-bit packed form, LSB first (TS 23.038 §6.1.2.1.1), after `fillBits`
 * zero bits (0-6; TS 23.040 §9.2.3.24: fill bits after a UDH). The result does not include the UDH: it is what
 * follows it. Spare bits in the last octet are zero.
 */
export function pack7(septets: Uint8Array, fillBits = 0): Buffer {
  checkFillBits(fillBits);
  const out = Buffer.alloc(Math.ceil((fillBits + septets.length * 7) / 8));
  let bit = fillBits;
  for (let i = 0; i < septets.length; i++) {
    const s = septets[i]!;
    if (s > 0x7f) throw new SmsError('BAD_ARGUMENT', `0x${s.toString(16)} is not a septet`, i);
    const byte = bit >> 3;
    const shift = bit & 7;
    out[byte] = out[byte]! | ((s << shift) & 0xff);
    if (shift > 1) out[byte + 1] = out[byte + 1]! | (s >> (8 - shift));
    bit += 7;
  }
  return out;
}

/**
 * Unpack 7-bit packed data (what follows the UDH, if any) into septets, one per octet, skipping `fillBits`.
 * `septetCount` is the number of septets (TP-UDL less the UDH); more than the octets hold throws SmsError
 * TRUNCATED. Without it (SMPP carries octets, not septets), every whole septet is taken, except that a final
 * all-zero septet filling the last octet exactly is dropped as 7 zero pad bits: the length cannot tell it from
 * a final '@' (the ambiguity TS 23.038 §6.1.2.3.1 solves for USSD with CR padding; SMS has TP-UDL instead), and
 * padding is by far the likelier. So a packed text ending in '@' on an octet boundary loses that '@'.
 */
export function unpack7(packed: Uint8Array, septetCount?: number, fillBits = 0): Buffer {
  checkFillBits(fillBits);
  const available = packed.length * 8 - fillBits;
  let count: number;
  if (septetCount === undefined) {
    count = Math.max(0, Math.floor(available / 7));
  } else {
    if (!Number.isInteger(septetCount) || septetCount < 0) {
      throw new SmsError('BAD_ARGUMENT', `septet count must be a non-negative integer, got ${septetCount}`);
    }
    if (septetCount * 7 > available) {
      throw new SmsError('TRUNCATED', `${septetCount} septets do not fit in ${packed.length} octets`, packed.length);
    }
    count = septetCount;
  }
  const out = Buffer.alloc(count);
  for (let i = 0, bit = fillBits; i < count; i++, bit += 7) {
    const byte = bit >> 3;
    const shift = bit & 7;
    let v = packed[byte]! >> shift;
    if (shift > 1) v |= packed[byte + 1]! << (8 - shift);
    out[i] = v & 0x7f;
  }
  // No bit left over: either `count` septets exactly, or `count - 1` septets and 7 zero spare bits.
  if (septetCount === undefined && count > 0 && available === count * 7 && out[count - 1] === 0) {
    return out.subarray(0, count - 1);
  }
  return out;
}
