/**
 * The one error type every function in protocols/sms throws (besides nothing: decoders never throw anything
 * else, whatever the input). `code` is stable so that the SMPP edge can map it to a command_status without
 * parsing messages. Messages name code points and offsets, never the text itself.
 */
export type SmsErrorCode =
  | 'NOT_GSM7' // encoding: the text (forced to GSM 7-bit) has a character outside TS 23.038 §6.2.1 / §6.2.1.1
  | 'LONE_SURROGATE' // encoding: a UTF-16 high surrogate without its low half, or the reverse
  | 'TOO_LONG' // encoding: more than 255 segments (TS 23.040 §9.2.3.24.1), or message_payload over 65535 octets
  | 'BAD_ARGUMENT' // a caller-supplied number out of range: fill bits, concat reference, septet value
  | 'UNSUPPORTED_DATA_CODING' // decoding: data_coding reserved or not a text/binary scheme we decode (SMPP 3.4 §5.2.19)
  | 'ODD_LENGTH' // decoding: UCS-2 user data with an odd number of octets
  | 'BAD_CHAR' // decoding: an octet outside the alphabet (GSM septet or IA5 above 0x7F)
  | 'BAD_UDH' // decoding: UDHI set but the UDH runs past the data (TS 23.040 §9.2.3.24)
  | 'TRUNCATED'; // unpacking: more septets asked for than the octets hold

export class SmsError extends Error {
  override readonly name = 'SmsError';
  constructor(
    readonly code: SmsErrorCode,
    /** The message without the code and offset prefix. */
    readonly detail: string,
    /** Octet offset in the input (decoding) or UTF-16 index in the text (encoding); -1 when it does not apply. */
    readonly offset: number = -1,
    options?: { cause?: unknown },
  ) {
    super(offset >= 0 ? `${code} at ${offset}: ${detail}` : `${code}: ${detail}`, options);
  }
}

/** U+XXXX for a code point, for messages that must not carry the text itself. */
export function codePointName(cp: number): string {
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}
