import type { DATA_CODING } from './data-coding.js';
import { encodeText } from './encode.js';
import type { AlphabetChoice, TextAlphabet } from './encode.js';
import { SmsError } from './errors.js';
import { GSM7_ESC, fillBitsAfterUdh, pack7 } from './gsm7.js';
import { isHighSurrogate } from './ucs2.js';
import { encodeUdh } from './udh.js';

/**
 * Splitting text into SMPP short messages (3GPP TS 23.040 §9.2.3.24.1 / §9.2.3.24.8 concatenation).
 *
 * User data is at most 140 octets (TS 23.040 §9.2.3.16). Without a UDH that is 160 septets or 70 UCS-2 code
 * units. With a concatenation UDH it is what is left after the UDH (and, for packed 7-bit, the fill bits):
 *   8-bit reference  UDH 05 00 03 ref n k       (6 octets): 153 septets, 67 UCS-2 code units
 *   16-bit reference UDH 06 08 04 refH refL n k (7 octets): 152 septets, 66 UCS-2 code units
 * A cut never falls inside an escape pair (ESC + extension septet) or a UTF-16 surrogate pair: the pair moves
 * whole to the next segment, which leaves the previous one a unit short.
 */

export interface SegmentOptions {
  /** Concatenation reference (TS 23.040 §9.2.3.24.1): 0-255, or 0-65535 with refBits 16. The caller picks it. */
  reference: number;
  /** 8 (IEI 0x00, the default) or 16 (IEI 0x08). */
  refBits?: 8 | 16;
  /** 'auto' (default): GSM 7-bit when every character is in it, else UCS-2. */
  alphabet?: AlphabetChoice;
  /**
   * GSM 7-bit payload form: 'unpacked' (default, one septet per octet, SMPP data_coding 0) or 'packed'
   * (TS 23.038 §6.1.2.1.1, with fill bits after the UDH), which some SMSCs want for UDH-carrying segments.
   */
  gsm7Packing?: 'unpacked' | 'packed';
  /**
   * Return one unsegmented payload for the message_payload TLV (SMPP v3.4 §5.3.2.32, at most 65535 octets)
   * instead of concatenated segments; `reference` and `refBits` are then unused.
   */
  messagePayload?: boolean;
}

export interface SmsSegment {
  /** The whole UDH (UDHL first), present on concatenated segments. */
  udh?: Buffer;
  /** The text after the UDH: short_message = udh ‖ payload (see userData). */
  payload: Buffer;
  /** Set esm_class bit 6 (UDHI, 0x40; SMPP v3.4 §5.2.12) when sending this segment. */
  esmClassUdhi: boolean;
}

export interface SegmentedText {
  alphabet: TextAlphabet;
  dataCoding: typeof DATA_CODING.SMSC_DEFAULT | typeof DATA_CODING.UCS2;
  /** True when segments holds one payload meant for the message_payload TLV (short_message left empty). */
  messagePayload: boolean;
  segments: SmsSegment[];
}

/** TS 23.040 §9.2.3.16: TP-User-Data is at most 140 octets. */
export const MAX_USER_DATA_OCTETS = 140;
/** TS 23.040 §9.2.3.24.1: the total-segments field is one octet. */
export const MAX_SEGMENTS = 255;
/** SMPP v3.4 §5.3.2.32: message_payload is a TLV with a 16-bit length. */
export const MAX_MESSAGE_PAYLOAD_OCTETS = 65535;

/** Units (septets, or UTF-16 code units) that fit in one segment after a UDH of `udhOctets` (0 = no UDH). */
export function unitsPerSegment(alphabet: TextAlphabet, udhOctets: number): number {
  if (alphabet === 'ucs2') return Math.floor((MAX_USER_DATA_OCTETS - udhOctets) / 2);
  // Septets start on a septet boundary after the UDH (TS 23.040 §9.2.3.24), so a UDH costs whole septets.
  return Math.floor((MAX_USER_DATA_OCTETS * 8 - udhOctets * 8 - fillBitsAfterUdh(udhOctets)) / 7);
}

/** short_message for a segment: the UDH (if any) then the payload. */
export function userData(segment: SmsSegment): Buffer {
  return segment.udh ? Buffer.concat([segment.udh, segment.payload]) : segment.payload;
}

export function segmentText(text: string, options: SegmentOptions): SegmentedText {
  const encoded = encodeText(text, options.alphabet ?? 'auto');
  const { alphabet, dataCoding, data } = encoded;
  const packed = alphabet === 'gsm7' && options.gsm7Packing === 'packed';
  const payloadOf = (units: Buffer, udhOctets: number): Buffer => (packed ? pack7(units, fillBitsAfterUdh(udhOctets)) : units);

  if (options.messagePayload) {
    const payload = payloadOf(data, 0);
    if (payload.length > MAX_MESSAGE_PAYLOAD_OCTETS) {
      throw new SmsError('TOO_LONG', `${payload.length} octets exceed the ${MAX_MESSAGE_PAYLOAD_OCTETS} of message_payload`);
    }
    return { alphabet, dataCoding, messagePayload: true, segments: [{ payload, esmClassUdhi: false }] };
  }

  const refBits = options.refBits ?? 8;
  checkReference(options.reference, refBits);
  const unitOctets = alphabet === 'ucs2' ? 2 : 1;
  const units = data.length / unitOctets;
  if (units <= unitsPerSegment(alphabet, 0)) {
    const single: SmsSegment = { payload: payloadOf(data, 0), esmClassUdhi: false };
    return { alphabet, dataCoding, messagePayload: false, segments: [single] };
  }

  const udhOctets = refBits === 8 ? 6 : 7;
  const limit = unitsPerSegment(alphabet, udhOctets);
  // A cut before unit i is allowed unless unit i-1 opens a pair.
  const canCutBefore =
    alphabet === 'ucs2' ? (i: number) => !isHighSurrogate(data.readUInt16BE((i - 1) * 2)) : (i: number) => data[i - 1] !== GSM7_ESC;
  if (units > MAX_SEGMENTS * limit) throw new SmsError('TOO_LONG', `needs more than ${MAX_SEGMENTS} segments`);
  const cuts: Array<[number, number]> = [];
  for (let start = 0; start < units; ) {
    let end = Math.min(start + limit, units);
    if (end < units && !canCutBefore(end)) end--; // pairs are two units: one step back always suffices
    cuts.push([start, end]);
    start = end;
  }
  if (cuts.length > MAX_SEGMENTS) {
    throw new SmsError('TOO_LONG', `needs ${cuts.length} segments, more than ${MAX_SEGMENTS}`);
  }

  const segments = cuts.map(([start, end], k): SmsSegment => {
    const udh = encodeUdh([{ kind: 'concat', refBits, ref: options.reference, total: cuts.length, seq: k + 1 }]);
    const slice = data.subarray(start * unitOctets, end * unitOctets);
    return { udh, payload: payloadOf(slice, udh.length), esmClassUdhi: true };
  });
  return { alphabet, dataCoding, messagePayload: false, segments };
}

function checkReference(reference: number, refBits: number): void {
  if (refBits !== 8 && refBits !== 16) throw new SmsError('BAD_ARGUMENT', `refBits must be 8 or 16, got ${refBits}`);
  const max = refBits === 8 ? 0xff : 0xffff;
  if (!Number.isInteger(reference) || reference < 0 || reference > max) {
    throw new SmsError('BAD_ARGUMENT', `concatenation reference must be 0-${max}, got ${reference}`);
  }
}
