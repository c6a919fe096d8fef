// The one error type parseMm4/buildMm4 throw. `code` is stable: the MM4 edge maps it to an SMTP reply without
// parsing messages (a malformed MM4 message is a permanent 5xx, TS 23.140 §8.4 has no status for it on the wire).

export type Mm4ErrorCode =
  | 'TOO_LARGE' // input over limits.maxBytes
  | 'HEADER_TOO_LARGE' // the RFC 5322 header block over limits.maxHeaderBytes bytes or limits.maxHeaders lines
  | 'MALFORMED' // a line in the header block that is not a field (RFC 5322 §2.2), or a continuation line first
  | 'MISSING_FIELD' // a field TS 23.140 §8.4 makes mandatory and we need (type, version, transaction id, ...)
  | 'UNKNOWN_TYPE' // X-Mms-Message-Type is none of the six MM4 messages (§8.4.1-§8.4.3)
  | 'BAD_ADDRESS' // an originator or recipient address that no reading makes an address of
  | 'BAD_BODY' // the MIME body cannot be read (protocols/mime's MimeError is the cause)
  | 'BUILD_INVALID'; // buildMm4 was handed a message it cannot write (a CR/LF in a value, a bad address ...)

export class Mm4Error extends Error {
  override readonly name = 'Mm4Error';

  constructor(
    readonly code: Mm4ErrorCode,
    /** One line; names the field or limit, never echoes addresses (they stay out of logs). */
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${detail}`, options);
  }
}
