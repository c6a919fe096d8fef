/**
 * The one error type protocols/push throws. `code` is stable so that an edge (SMPP submit, MO handling) can map
 * it without parsing messages; `cause` keeps the lower-level PduError or UdhError when there is one.
 */
export type PushErrorCode =
  | 'TRUNCATED' // the push PDU ends inside a field (WAP-230-WSP §8.2.4.1)
  | 'LENGTH_OVERFLOW' // HeadersLen or a header value length points past the end of its container
  | 'UINTVAR_TOO_LONG' // HeadersLen is not a valid uintvar (WAP-230 §8.1.2: at most 5 octets, 32 bits)
  | 'NOT_A_PUSH' // the PDU type octet is not Push (0x06)
  | 'BAD_HEADER' // Content-Type missing or unreadable, a header value of the wrong form, a code page shift
  | 'BAD_UDH' // User Data Header unreadable, or without the 16-bit application port IE (TS 23.040 §9.2.3.24.4)
  | 'WRONG_PORT' // the WDP destination port is not the one expected (WAP-259-WDP Appendix B)
  | 'INCOMPLETE' // a concatenated push misses segments
  | 'SEGMENT_MISMATCH' // segments disagree (reference, total, ports) or repeat a sequence number
  | 'BAD_NOTIFICATION' // the push does not carry a decodable m-notification-ind for the MMS user agent
  | 'DOES_NOT_FIT' // the push needs more segments than allowed, even in compact form
  | 'ENCODE_INVALID'; // the model or an option handed to a builder cannot be encoded

export class PushError extends Error {
  override readonly name = 'PushError';
  constructor(
    readonly code: PushErrorCode,
    /** The message without the code and offset prefix. */
    readonly detail: string,
    /** Byte offset in the input where decoding failed; -1 when building or when it does not apply. */
    readonly offset: number = -1,
    options?: { cause?: unknown },
  ) {
    super(offset >= 0 ? `${code} at offset ${offset}: ${detail}` : `${code}: ${detail}`, options);
  }
}
