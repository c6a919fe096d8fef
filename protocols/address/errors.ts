// Errors raised by the address codec. One class with a machine-readable code so
// callers (e.g. an MM1 handler choosing a response status) can branch without
// parsing messages.

export type AddressErrorCode =
  | 'EMPTY' // nothing but whitespace
  | 'BAD_CHAR' // control character anywhere in the value
  | 'TOO_LONG' // whole value > 256 chars, or number > 20 digits
  | 'BAD_TYPE' // missing or malformed "/TYPE=" (OMA-TS-MMS_ENC §8 address-type)
  | 'BAD_PLMN' // not a global-phone-number (§8)
  | 'BAD_SHORTCODE' // short code not 3-8 digits
  | 'BAD_IPV4' // not a dotted-quad ipv4 (§8)
  | 'BAD_IPV6' // not an IPv6 address (§8)
  | 'BAD_EMAIL' // not an RFC 5322 mailbox (§8 e-mail)
  | 'BAD_VALUE' // user-defined type whose value is not an escaped-value (§8)
  | 'BAD_E164'; // normaliseE164 could not produce an E.164 number

export class AddressError extends Error {
  override readonly name = 'AddressError';
  readonly code: AddressErrorCode;
  // The offending input is kept here rather than in the message so that phone
  // numbers and e-mail addresses do not leak into logs by default.
  readonly input: string;

  constructor(code: AddressErrorCode, message: string, input: string) {
    super(message);
    this.code = code;
    this.input = input;
  }
}

// Names a character for an error message without embedding raw control bytes.
export function describeChar(c: string): string {
  const hex = (c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
  return /[\u0021-\u007e]/.test(c) ? `"${c}"` : `U+${hex}`;
}
