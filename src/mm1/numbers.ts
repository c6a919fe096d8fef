import { AddressError, formatAddress, isShortCode, normaliseE164, parseAddress } from '../../protocols/address/index.js';
import type { Party } from '../core/message.js';

/**
 * How the WAP gateway writes the subscriber's number in its header: e164 "+15551234567"; international, the
 * same digits without "+" ("15551234567", as many gateways send); national, the national prefix 0 and the
 * national number ("07700900123", country from defaultCountryCode).
 */
export type MsisdnFormat = 'e164' | 'international' | 'national';

/** Why a request names no subscriber: for the log line of its 403. */
export type SubscriberRefusal = 'missing' | 'untrusted-source' | 'unparseable' | 'not-local';

/** `e164`: with 'not-local', the number the header named (a ported-in subscriber's, perhaps: see Mm1Server). */
export type SubscriberResult = { subscriber: string } | { refused: SubscriberRefusal; detail: string; e164?: string };

/** Longer than any number with separators: refused before parsing. */
const MAX_HEADER_CHARS = 40;

/**
 * The operator's numbering plan as the MM1 side needs it: which +E.164 numbers are its own subscribers
 * (localPrefixes; none configured = all), how national numbers from handsets become +E.164, and how
 * parties are written in MMS PDUs (OMA-TS-MMS_ENC §8).
 */
export class NumberPlan {
  constructor(
    private readonly o: { localPrefixes: readonly string[]; defaultCountryCode?: string | undefined; msisdnFormat?: MsisdnFormat },
  ) {}

  isLocal(address: string): boolean {
    if (!address.startsWith('+')) return false;
    return this.o.localPrefixes.length === 0 || this.o.localPrefixes.some((p) => address.startsWith(p));
  }

  /** +E.164 of a number as a WAP gateway or a handset writes it; undefined when it is not a phone number. */
  e164(text: string): string | undefined {
    try {
      return normaliseE164(text, this.o.defaultCountryCode === undefined ? {} : { defaultCountryCode: this.o.defaultCountryCode });
    } catch (err) {
      if (err instanceof AddressError) return undefined;
      throw err;
    }
  }

  /**
   * The subscriber the operator's WAP gateway / GGSN names in its header (the handset cannot set it: the
   * gateway overwrites it), read in msisdnFormat; or why it names none: absent, not a number in that
   * format, or not local. `value` is the header as Node gives it (a repeated header joined with ", ").
   */
  subscriber(value: string | undefined): SubscriberResult {
    if (value === undefined || value.trim() === '') return { refused: 'missing', detail: 'no subscriber header' };
    if (value.length > MAX_HEADER_CHARS) return { refused: 'unparseable', detail: `over ${MAX_HEADER_CHARS} characters` };
    // Two values: a client's own header passed on beside the gateway's; neither is believed.
    if (value.includes(',')) return { refused: 'unparseable', detail: 'the header came more than once' };
    const text = value.trim();
    const format = this.o.msisdnFormat ?? 'e164';
    let e164: string;
    try {
      if (format === 'e164') {
        if (!text.startsWith('+')) {
          return { refused: 'unparseable', detail: 'no "+": not E.164 (mm1.msisdnFormat "international" reads the digits without "+")' };
        }
        e164 = normaliseE164(text);
      } else if (format === 'international') e164 = normaliseE164(text.startsWith('+') ? text : `+${text}`);
      else e164 = normaliseE164(text, this.o.defaultCountryCode === undefined ? {} : { defaultCountryCode: this.o.defaultCountryCode });
    } catch (err) {
      if (err instanceof AddressError) return { refused: 'unparseable', detail: `${err.message} (mm1.msisdnFormat ${format})` };
      throw err;
    }
    return this.isLocal(e164)
      ? { subscriber: e164 }
      : { refused: 'not-local', detail: 'not a number of this operator (mm1.localPrefixes)', e164 };
  }

  /** An address field of an MMS PDU -> a party; throws AddressError when it is none. */
  party(text: string): Party {
    const a = parseAddress(text);
    switch (a.kind) {
      case 'plmn': {
        const n = this.e164(a.number);
        if (n === undefined) throw new AddressError('BAD_E164', 'not a phone number in E.164 form', text);
        return { address: n, type: 'plmn' };
      }
      case 'shortcode':
        return { address: a.code, type: 'shortcode' };
      case 'email':
        return { address: a.address, type: 'email' };
      case 'ipv4':
      case 'ipv6':
        return { address: a.address, type: a.kind };
      default:
        return { address: `${a.value}/TYPE=${a.type}`, type: 'other' };
    }
  }
}

/** A party as an MMS address field (OMA-TS-MMS_ENC §8): +E.164/TYPE=PLMN, a short code, an e-mail address. */
export function mmsAddress(p: Party): string {
  switch (p.type) {
    case 'plmn':
      return formatAddress({ kind: 'plmn', number: p.address });
    case 'shortcode':
      return isShortCode(p.address) ? formatAddress({ kind: 'shortcode', code: p.address }) : `${p.address}/TYPE=PLMN`;
    case 'ipv4':
    case 'ipv6':
      return formatAddress({ kind: p.type, address: p.address });
    default:
      return p.address;
  }
}
