import { alphabetOf } from './data-coding.js';
import type { Alphabet } from './data-coding.js';
import { SmsError } from './errors.js';
import { fillBitsAfterUdh, fromSeptets, unpack7 } from './gsm7.js';
import { fromUcs2 } from './ucs2.js';
import { UdhError, decodeUdh } from './udh.js';
import type { UdhElement } from './udh.js';

/**
 * Reading an incoming short_message or message_payload (deliver_sm / data_sm) given its data_coding
 * (SMPP v3.4 §5.2.19) and the esm_class UDHI bit (SMPP v3.4 §5.2.12). With UDHI the data starts with a UDH
 * (TS 23.040 §9.2.3.24), which is split off and its concatenation / port elements returned.
 *
 * Never throws anything but SmsError, whatever the bytes.
 */

export interface DecodeOptions {
  /** SMPP data_coding of the PDU. */
  dataCoding: number;
  /** esm_class UDHI (0x40): the data starts with a UDH. */
  udhi: boolean;
  /**
   * What data_coding 0 ("SMSC Default Alphabet") means on this link: 'gsm7' (default: GSM 7-bit, one septet
   * per octet), or 'ascii' / 'latin1' for SMSCs whose default alphabet is that.
   */
  smscDefaultAlphabet?: 'gsm7' | 'ascii' | 'latin1';
  /**
   * GSM 7-bit text is packed (TS 23.038 §6.1.2.1.1; after the UDH, with fill bits) rather than one septet per
   * octet. The septet count is then inferred from the length: see unpack7 for the one case that loses a final '@'.
   */
  gsm7Packed?: boolean;
}

export interface ConcatInfo {
  ref: number;
  total: number;
  /** 1-based. */
  seq: number;
  refBits: 8 | 16;
}

interface DecodedCommon {
  dataCoding: number;
  /** The alphabet the data was read in ('smsc-default' resolved to the configured one). */
  alphabet: Exclude<Alphabet, 'smsc-default'>;
  /** The UDH elements (empty without UDHI). */
  udh: UdhElement[];
  /** The concatenation element, if there is a valid one (TS 23.040 §9.2.3.24.1 / .8). */
  concat?: ConcatInfo;
  /** The 16-bit application port element, if any (TS 23.040 §9.2.3.24.4). */
  ports?: { destination: number; source: number };
}

export type DecodedSms = DecodedCommon & ({ kind: 'text'; text: string } | { kind: 'binary'; data: Buffer });

const DECODED_ALPHABETS: ReadonlySet<string> = new Set(['gsm7', 'ascii', 'latin1', 'ucs2', 'binary']);

export function decodeShortMessage(data: Uint8Array, options: DecodeOptions): DecodedSms {
  const found = alphabetOf(options.dataCoding);
  if (found === undefined) {
    const dc = describe(options.dataCoding);
    throw new SmsError('UNSUPPORTED_DATA_CODING', `data_coding ${dc} is reserved or not decoded`);
  }
  const alphabet = found === 'smsc-default' ? (options.smscDefaultAlphabet ?? 'gsm7') : found;
  if (!DECODED_ALPHABETS.has(alphabet)) {
    throw new SmsError('BAD_ARGUMENT', `smscDefaultAlphabet must be gsm7, ascii or latin1, got ${String(alphabet)}`);
  }
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);

  let body = buf;
  let headerLength = 0;
  const common: DecodedCommon = { dataCoding: options.dataCoding, alphabet, udh: [] };
  if (options.udhi) {
    let parsed: ReturnType<typeof decodeUdh>;
    try {
      parsed = decodeUdh(buf);
    } catch (e) {
      if (e instanceof UdhError) throw new SmsError('BAD_UDH', e.message, 0, { cause: e });
      throw e;
    }
    body = parsed.rest;
    headerLength = parsed.headerLength;
    common.udh = parsed.elements;
    for (const el of parsed.elements) {
      // TS 23.040 §9.2.3.24.1: a total or sequence of 0, or a sequence above the total, voids the element.
      if (el.kind === 'concat' && el.total > 0 && el.seq > 0 && el.seq <= el.total && common.concat === undefined) {
        common.concat = { ref: el.ref, total: el.total, seq: el.seq, refBits: el.refBits };
      } else if (el.kind === 'ports' && common.ports === undefined) {
        common.ports = { destination: el.destination, source: el.source };
      }
    }
  }

  try {
    if (alphabet === 'binary') return { ...common, kind: 'binary', data: Buffer.from(body) };
    return { ...common, kind: 'text', text: decodeText(alphabet, body, headerLength, options.gsm7Packed === true) };
  } catch (e) {
    // Offsets from the text decoders count from the start of the body; report them in the whole data.
    if (e instanceof SmsError && e.offset >= 0 && headerLength > 0) {
      throw new SmsError(e.code, e.detail, e.offset + headerLength, { cause: e.cause });
    }
    throw e;
  }
}

type TextAlphabetIn = 'gsm7' | 'ascii' | 'latin1' | 'ucs2';

function decodeText(alphabet: TextAlphabetIn, body: Buffer, headerLength: number, packed: boolean): string {
  switch (alphabet) {
    case 'gsm7':
      // Packed septets start on a septet boundary after the UDH (TS 23.040 §9.2.3.24).
      return fromSeptets(packed ? unpack7(body, undefined, fillBitsAfterUdh(headerLength)) : body);
    case 'ascii':
      for (let i = 0; i < body.length; i++) {
        if (body[i]! > 0x7f) throw new SmsError('BAD_CHAR', `octet 0x${body[i]!.toString(16)} is not IA5`, i);
      }
      return body.toString('latin1');
    case 'latin1':
      return body.toString('latin1'); // ISO-8859-1: every octet is the code point of the same value
    case 'ucs2':
      return fromUcs2(body);
  }
}

function describe(dataCoding: unknown): string {
  return typeof dataCoding === 'number' && Number.isInteger(dataCoding) && dataCoding >= 0
    ? `0x${dataCoding.toString(16).padStart(2, '0')}`
    : String(dataCoding);
}
