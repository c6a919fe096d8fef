// Parser for MMS address header values, OMA-TS-MMS_ENC 1.3 §8:
//   address        = e-mail / device-address / alphanum-shortcode / num-shortcode
//   device-address = global-phone-number "/TYPE=PLMN" / ipv4 "/TYPE=IPv4"
//                  / ipv6 "/TYPE=IPv6" / escaped-value "/TYPE=" address-type
// The validators are exported for format.ts (not part of the public API).
import { isIPv6 } from 'node:net';
import { AddressError, describeChar } from './errors.js';
import type { MmsAddress } from './model.js';

// Sanity bounds for a header value; §8 itself sets no limit.
export const MAX_ADDRESS_LENGTH = 256;
export const MAX_NUMBER_DIGITS = 20;

// C0, DEL and C1 controls: never valid in a header value.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// Greedy prefix so the match is the last "/TYPE="; no "@" after it, otherwise
// the "/TYPE=" sits inside a mailbox (local part or display name).
const DEVICE = /^([\s\S]*)\/type=([^@]*)$/i;
// §8 address-type = 1*( ALPHA / DIGIT / "_" )
const ADDRESS_TYPE = /^[A-Za-z0-9_]+$/;
// §8 escaped-value = 1*safe-char; "%" is itself an unsafe-octet, so it only
// appears as a hex-escape.
const ESCAPED_VALUE = /^(?:[A-Za-z0-9+\-._]|%[0-9A-Fa-f]{2})+$/;
// RFC 5322 §3.2.3 atext, widened to non-ASCII per RFC 6532 (UTF-8 headers).
const ATEXT = String.raw`[A-Za-z0-9!#$%&'*+\-/=?^_${'`'}{|}~\u0080-\uffff]`;
const DOT_ATOM = new RegExp(String.raw`^${ATEXT}+(?:\.${ATEXT}+)*$`);
// Host names (LDH labels, or U-labels) rather than RFC 5322 dot-atom, so a
// domain can never contain "/TYPE=" and be mistaken for a device address.
const LABEL = String.raw`[A-Za-z0-9\u0080-\uffff](?:[A-Za-z0-9\u0080-\uffff-]*[A-Za-z0-9\u0080-\uffff])?`;
const DOMAIN = new RegExp(String.raw`^${LABEL}(?:\.${LABEL})*$`);
// RFC 5322 §3.4.1 domain-literal, e.g. [192.0.2.1].
const DOMAIN_LITERAL = /^\[[\x21-\x5a\x5e-\x7e]+\]$/;
// Unquoted display name: atext words; "." tolerated (RFC 5322 obs-phrase)
// because "J. Smith <j@example.com>" is common in the wild.
const PHRASE = new RegExp(`^(?:${ATEXT}|[. ])+$`);
const QUOTED = /^"((?:[^"\\]|\\.)*)"$/;

export function parseAddress(text: string): MmsAddress {
  if (text.trim() === '') throw new AddressError('EMPTY', 'address is empty', text);
  if (text.length > MAX_ADDRESS_LENGTH) {
    throw new AddressError('TOO_LONG', `address is ${text.length} characters, over the ${MAX_ADDRESS_LENGTH} limit`, text);
  }
  assertNoControl(text, text);
  const s = text.trim();
  const device = DEVICE.exec(s);
  if (device) return parseDevice(device[1], device[2], text);
  if (s.includes('@') || s.endsWith('>')) return parseMailbox(s, text);
  // §8 num-shortcode: a bare digit string without "/TYPE=".
  if (/^\d+$/.test(s)) {
    if (!isShortCode(s)) {
      throw new AddressError(
        'BAD_SHORTCODE',
        `bare number of ${s.length} digits: short codes have 3-8 digits, phone numbers need "/TYPE=PLMN"`,
        text,
      );
    }
    return { kind: 'shortcode', code: s };
  }
  throw new AddressError('BAD_TYPE', 'address is neither an e-mail address nor a device address ending in "/TYPE="', text);
}

function parseDevice(value: string, type: string, input: string): MmsAddress {
  assertAddressType(type, input);
  // The TYPE keyword and the well-known types are matched case-insensitively.
  switch (type.toLowerCase()) {
    case 'plmn': {
      // §8 written-sep is "-" / "."; "(", ")" and space are tolerated as well.
      const number = value.replace(/[-.() ]/g, '');
      assertPlmnNumber(number, input);
      return isShortCode(number) ? { kind: 'shortcode', code: number } : { kind: 'plmn', number };
    }
    case 'ipv4':
      assertIpv4(value, input);
      return { kind: 'ipv4', address: value };
    case 'ipv6':
      assertIpv6(value, input);
      return { kind: 'ipv6', address: value };
    default:
      assertEscapedValue(value, input);
      return { kind: 'other', type, value };
  }
}

function parseMailbox(s: string, input: string): MmsAddress {
  // RFC 5322 §3.4 mailbox = name-addr / addr-spec
  if (!s.endsWith('>')) {
    assertAddrSpec(s, input);
    return { kind: 'email', address: s };
  }
  const lt = angleStart(s, input);
  const address = s.slice(lt + 1, -1).trim();
  assertAddrSpec(address, input);
  const displayName = parseDisplayName(s.slice(0, lt).trim(), input);
  return displayName === undefined ? { kind: 'email', address } : { kind: 'email', address, displayName };
}

// Index of the "<" opening the angle-addr: the first one outside a quoted-string.
function angleStart(s: string, input: string): number {
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '<') return i;
  }
  const why = quoted ? 'display name has an unterminated quoted string' : 'e-mail address ends with ">" but has no "<"';
  throw new AddressError('BAD_EMAIL', why, input);
}

function parseDisplayName(name: string, input: string): string | undefined {
  if (name === '') return undefined;
  if (name.startsWith('"')) {
    const m = QUOTED.exec(name);
    if (!m) throw new AddressError('BAD_EMAIL', 'display name must be one quoted string or plain words', input);
    const unescaped = m[1].replace(/\\(.)/g, '$1'); // RFC 5322 quoted-pair
    return unescaped === '' ? undefined : unescaped;
  }
  if (!PHRASE.test(name)) {
    throw new AddressError('BAD_EMAIL', 'display name contains special characters and must be quoted', input);
  }
  return name;
}

export function isShortCode(s: string): boolean {
  return /^\d{3,8}$/.test(s);
}

export function assertNoControl(s: string, input: string): void {
  const m = CONTROL.exec(s);
  if (m) throw new AddressError('BAD_CHAR', `address contains control character ${describeChar(m[0])}`, input);
}

export function assertAddressType(type: string, input: string): void {
  if (type === '') throw new AddressError('BAD_TYPE', 'address type after "/TYPE=" is empty', input);
  if (!ADDRESS_TYPE.test(type)) {
    throw new AddressError('BAD_TYPE', 'address type may contain only letters, digits and "_"', input);
  }
}

// `number` has separators removed already: digits with an optional leading "+".
export function assertPlmnNumber(number: string, input: string): void {
  if (number.replace('+', '') === '') throw new AddressError('BAD_PLMN', 'PLMN number has no digits', input);
  const bad = /[^0-9+]/.exec(number);
  if (bad) {
    const what = /[A-Za-z]/.test(bad[0]) ? 'a letter' : describeChar(bad[0]);
    throw new AddressError('BAD_PLMN', `PLMN number contains ${what}`, input);
  }
  if (number.lastIndexOf('+') > 0) {
    throw new AddressError('BAD_PLMN', 'PLMN number may have one "+", and only at the start', input);
  }
  const digits = number.length - (number.startsWith('+') ? 1 : 0);
  if (digits > MAX_NUMBER_DIGITS) {
    throw new AddressError('TOO_LONG', `PLMN number has ${digits} digits, over the ${MAX_NUMBER_DIGITS} limit`, input);
  }
}

// §8 ipv4 = 1*3DIGIT 3( "." 1*3DIGIT ), each octet 0-255.
export function assertIpv4(address: string, input: string): void {
  const octets = address.split('.');
  if (octets.length !== 4 || !octets.every((o) => /^\d{1,3}$/.test(o))) {
    throw new AddressError('BAD_IPV4', 'IPv4 address must be four dot-separated decimal octets', input);
  }
  for (const o of octets) {
    if (Number(o) > 255) throw new AddressError('BAD_IPV4', `IPv4 octet ${o} is greater than 255`, input);
    // The grammar allows them, but some stacks read a leading zero as octal.
    if (o.length > 1 && o.startsWith('0')) {
      throw new AddressError('BAD_IPV4', `IPv4 octet ${o} has a leading zero`, input);
    }
  }
}

// §8 ipv6 (RFC 2373 text form, compressed "::" allowed).
export function assertIpv6(address: string, input: string): void {
  // isIPv6 accepts a zone id ("fe80::1%eth0"), which is host-local.
  if (address.includes('%')) throw new AddressError('BAD_IPV6', 'IPv6 address must not carry a zone id', input);
  if (!isIPv6(address)) throw new AddressError('BAD_IPV6', 'not a valid IPv6 address', input);
}

export function assertEscapedValue(value: string, input: string): void {
  if (value === '') throw new AddressError('BAD_VALUE', 'address value before "/TYPE=" is empty', input);
  if (!ESCAPED_VALUE.test(value)) {
    throw new AddressError('BAD_VALUE', 'address value may use only letters, digits, "+-._" and %HH escapes', input);
  }
}

// RFC 5322 §3.4.1 addr-spec = local-part "@" domain. Quoted local parts are
// not accepted: unused in MMS and they would allow spaces.
export function assertAddrSpec(addr: string, input: string): void {
  if (/\s/.test(addr)) throw new AddressError('BAD_EMAIL', 'e-mail address contains a space', input);
  const at = addr.lastIndexOf('@');
  if (at < 0) throw new AddressError('BAD_EMAIL', 'e-mail address has no "@"', input);
  const local = addr.slice(0, at);
  const domain = addr.slice(at + 1);
  if (local === '') throw new AddressError('BAD_EMAIL', 'e-mail address has an empty local part', input);
  if (domain === '') throw new AddressError('BAD_EMAIL', 'e-mail address has an empty domain', input);
  if (!DOT_ATOM.test(local)) throw new AddressError('BAD_EMAIL', 'e-mail local part has invalid characters', input);
  if (!DOMAIN.test(domain) && !DOMAIN_LITERAL.test(domain)) {
    throw new AddressError('BAD_EMAIL', 'e-mail domain is not a valid host name', input);
  }
}
