import type { IncomingMessage } from 'node:http';
import { AddressError, formatAddress, isShortCode, normaliseE164, parseAddress } from '../../protocols/address/index.js';
import type { Party } from '../core/message.js';

/**
 * The operator's numbering plan as the MM1 side needs it: which +E.164 numbers are its own subscribers
 * (localPrefixes; none configured = all), how national numbers from handsets become +E.164, and how
 * parties are written in MMS PDUs (OMA-TS-MMS_ENC §8).
 */
export class NumberPlan {
  constructor(private readonly o: { localPrefixes: readonly string[]; defaultCountryCode?: string | undefined }) {}

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
   * The subscriber a request comes from, as the operator's WAP gateway / GGSN names it in `header` (the
   * handset cannot set it: the gateway overwrites it). Undefined when absent, not a number, or not local.
   */
  subscriberOf(req: IncomingMessage, header: string): string | undefined {
    const raw = req.headers[header.toLowerCase()];
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (value === undefined || value.length > 40) return undefined;
    const e164 = this.e164(value);
    return e164 !== undefined && this.isLocal(e164) ? e164 : undefined;
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
