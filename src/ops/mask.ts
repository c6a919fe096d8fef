/**
 * Masking of subscriber identities in logs. A log line is read by more people and kept longer than the
 * message it describes (GDPR art. 5(1)(c), data minimisation): an operator tracing a message needs the
 * Message-ID, the peer and enough of the number to tell networks apart, not the whole MSISDN. Numbers keep
 * their first four digits (country code and network prefix) and their last two: +447912345612 ->
 * +4479******12. E-mail addresses keep the first character of the local part and the domain.
 */

/** A number as the gateway logs it: E.164 with or without '+', optionally MMS's /TYPE=PLMN suffix. */
const NUMBER = /^(\+?)(\d{7,})(\/TYPE=PLMN)?$/i;
const EMAIL = /^([^@\s])[^@\s]*@([^@\s]+)$/;

/** One address masked; anything that is neither a number nor an e-mail address (a short code, an IP) unchanged. */
export function maskAddress(address: string): string {
  const n = NUMBER.exec(address);
  if (n) {
    const digits = n[2] as string;
    return `${n[1]}${digits.slice(0, 4)}${'*'.repeat(digits.length - 6)}${digits.slice(-2)}${n[3] ?? ''}`;
  }
  const e = EMAIL.exec(address);
  if (e) return `${e[1]}***@${e[2]}`;
  return address;
}

/**
 * A log field's value masked: a string, the strings of an array, or the `address` of a party object
 * ({ address, type }); numbers (a recipient's index) and anything else unchanged.
 */
export function maskValue(value: unknown): unknown {
  if (typeof value === 'string') return maskAddress(value);
  if (Array.isArray(value)) return value.map(maskValue);
  if (value !== null && typeof value === 'object' && 'address' in value && typeof value.address === 'string')
    return { ...value, address: maskAddress(value.address) };
  return value;
}

/**
 * Log fields that carry subscriber addresses somewhere in src/ (grep the log calls when adding one). `from`
 * is also a client's IP address in some lines: masking leaves IP addresses as they are.
 */
export const ADDRESS_FIELDS = [
  'recipient',
  'recipients',
  'originator',
  'subscriber',
  'msisdn',
  'from',
  'to',
  'sourceAddr',
  'destinationAddr',
] as const;
