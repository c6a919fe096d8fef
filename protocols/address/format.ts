// Canonical wire form of an MMS address (OMA-TS-MMS_ENC 1.3 §8). Validates
// the model with the parser's own rules, so parseAddress(formatAddress(a))
// deep-equals a, and throws AddressError for values it could not read back.
import { AddressError } from './errors.js';
import type { MmsAddress } from './model.js';
import {
  MAX_ADDRESS_LENGTH,
  assertAddrSpec,
  assertAddressType,
  assertEscapedValue,
  assertIpv4,
  assertIpv6,
  assertNoControl,
  assertPlmnNumber,
  isShortCode,
} from './parse.js';

// Types with a dedicated kind; as 'other' they would not survive a round trip.
const WELL_KNOWN_TYPES = new Set(['plmn', 'ipv4', 'ipv6']);

export function formatAddress(a: MmsAddress): string {
  const out = wire(a);
  assertNoControl(out, out);
  if (out.length > MAX_ADDRESS_LENGTH) {
    throw new AddressError('TOO_LONG', `address is ${out.length} characters, over the ${MAX_ADDRESS_LENGTH} limit`, out);
  }
  return out;
}

function wire(a: MmsAddress): string {
  switch (a.kind) {
    case 'plmn':
      assertPlmnNumber(a.number, a.number);
      if (isShortCode(a.number)) {
        throw new AddressError('BAD_PLMN', 'a 3-8 digit number without "+" is a short code: use kind "shortcode"', a.number);
      }
      return `${a.number}/TYPE=PLMN`;
    case 'shortcode':
      if (!isShortCode(a.code)) throw new AddressError('BAD_SHORTCODE', 'short code must be 3-8 digits', a.code);
      // §8 has no short-code type of its own; "/TYPE=PLMN" is what handsets accept.
      return `${a.code}/TYPE=PLMN`;
    case 'ipv4':
      assertIpv4(a.address, a.address);
      return `${a.address}/TYPE=IPv4`;
    case 'ipv6':
      assertIpv6(a.address, a.address);
      return `${a.address}/TYPE=IPv6`;
    case 'email': {
      assertAddrSpec(a.address, a.address);
      // An empty display name carries nothing; it is written as absent.
      if (a.displayName === undefined || a.displayName === '') return a.address;
      // RFC 5322 §3.2.4 quoted-string: backslash-escape '"' and '\'.
      return `"${a.displayName.replace(/["\\]/g, '\\$&')}" <${a.address}>`;
    }
    case 'other':
      assertAddressType(a.type, a.type);
      if (WELL_KNOWN_TYPES.has(a.type.toLowerCase())) {
        throw new AddressError('BAD_TYPE', `type ${a.type} has its own kind and cannot be used with kind "other"`, a.type);
      }
      assertEscapedValue(a.value, a.value);
      return `${a.value}/TYPE=${a.type}`;
    default: {
      // Unreachable for typed callers; guards plain-JS callers.
      const kind = String((a as { kind?: unknown }).kind);
      throw new AddressError('BAD_TYPE', `unknown address kind ${JSON.stringify(kind)}`, kind);
    }
  }
}
