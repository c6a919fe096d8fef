/**
 * The one error type every binary decoder in protocols/wsp and protocols/mms throws.
 * `code` is stable (edges map it to a protocol status); `offset` is the byte where decoding failed.
 */
export type PduErrorCode =
  | 'TRUNCATED' // input ended inside a value
  | 'LENGTH_OVERFLOW' // a length field points past the end of its container
  | 'UINTVAR_TOO_LONG' // WAP-230 8.1.2: uintvar longer than 5 octets or above 2^32-1
  | 'INTEGER_TOO_LARGE' // Long-integer beyond Number.MAX_SAFE_INTEGER
  | 'BAD_VALUE' // a value of the wrong form for its field
  | 'BAD_CHARSET' // encoded-string charset we cannot encode to
  | 'BAD_HEADER' // header byte that starts no header form
  | 'UNKNOWN_MESSAGE_TYPE' // X-Mms-Message-Type not in OMA-TS-MMS_ENC Table 25
  | 'NOT_A_PDU' // first header is not X-Mms-Message-Type
  | 'MISSING_HEADER' // a header mandatory for the message type is absent
  | 'TOO_MANY_PARTS' // multipart entry count above the configured limit
  | 'TOO_DEEP' // nested multipart deeper than the configured limit
  | 'TOO_MANY_HEADERS' // header count above the configured limit
  | 'ENCODE_INVALID'; // the model handed to an encoder cannot be encoded

export class PduError extends Error {
  override readonly name = 'PduError';
  constructor(
    readonly code: PduErrorCode,
    message: string,
    /** Byte offset in the input where the problem was found (-1 when encoding). */
    readonly offset: number,
  ) {
    super(offset >= 0 ? `${code} at offset ${offset}: ${message}` : `${code}: ${message}`);
  }
}
