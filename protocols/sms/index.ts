// Public API of the SMS text codec: GSM 7-bit / UCS-2 (3GPP TS 23.038), UDH and concatenation (TS 23.040),
// SMPP data_coding (SMPP v3.4 §5.2.19).
export { SmsError } from './errors.js';
export type { SmsErrorCode } from './errors.js';
export { DATA_CODING, alphabetOf } from './data-coding.js';
export type { Alphabet } from './data-coding.js';
export {
  GSM7_DEFAULT_ALPHABET,
  GSM7_ESC,
  GSM7_EXTENSION_TABLE,
  canEncodeGsm7,
  fillBitsAfterUdh,
  fromSeptets,
  gsm7Length,
  pack7,
  toSeptets,
  unpack7,
} from './gsm7.js';
export { fromUcs2, isHighSurrogate, toUcs2 } from './ucs2.js';
export { chooseAlphabet, encodeText } from './encode.js';
export type { AlphabetChoice, EncodedText, TextAlphabet } from './encode.js';
export {
  MAX_MESSAGE_PAYLOAD_OCTETS,
  MAX_SEGMENTS,
  MAX_USER_DATA_OCTETS,
  segmentText,
  unitsPerSegment,
  userData,
} from './segment.js';
export type { SegmentOptions, SegmentedText, SmsSegment } from './segment.js';
export { decodeShortMessage } from './decode.js';
export type { ConcatInfo, DecodeOptions, DecodedSms } from './decode.js';
export { IEI_CONCAT_16, IEI_CONCAT_8, IEI_PORTS_16, UdhError, decodeUdh, elementSize, encodeUdh } from './udh.js';
export type { UdhElement } from './udh.js';
