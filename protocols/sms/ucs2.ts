import { SmsError, codePointName } from './errors.js';

/**
 * UCS-2 as SMS carries it (SMPP v3.4 §5.2.19 data_coding 0x08; TS 23.038 §6.2.3 / TS 23.040 §9.2.3.16):
 * 16-bit code units, big-endian. Characters outside the BMP go as UTF-16 surrogate pairs, as handsets send
 * them; a pair is one character and is never split (see segment.ts).
 */

/** True for a UTF-16 high (leading) surrogate code unit. */
export function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

/** Text -> UTF-16BE. A lone surrogate in the text throws SmsError LONE_SURROGATE (a handset would show garbage). */
export function toUcs2(text: string): Buffer {
  for (let i = 0; i < text.length; i++) {
    const u = text.charCodeAt(i);
    if (isHighSurrogate(u) && isLowSurrogate(text.charCodeAt(i + 1))) i++;
    else if (isHighSurrogate(u) || isLowSurrogate(u)) {
      throw new SmsError('LONE_SURROGATE', `unpaired surrogate ${codePointName(u)}`, i);
    }
  }
  return Buffer.from(text, 'utf16le').swap16();
}

/**
 * UTF-16BE -> text. An odd octet count throws SmsError ODD_LENGTH. Unpaired surrogates are kept as they are,
 * not replaced: a sender that split a pair across two segments gets it back when the texts are joined.
 */
export function fromUcs2(data: Uint8Array): string {
  if (data.length % 2 !== 0) {
    throw new SmsError('ODD_LENGTH', `UCS-2 data of ${data.length} octets (must be even)`, data.length - 1);
  }
  return Buffer.from(data).swap16().toString('utf16le');
}
