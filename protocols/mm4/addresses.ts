// Originator and recipient addresses of MM4 (TS 23.140 §8.4.4: `+15551234567/TYPE=PLMN@mms.mnc001.mcc310.gprs`
// in From/To/Cc and in the SMTP envelope), built on protocols/address for the part before the "@".
// Read liberally: with or without /TYPE=PLMN, with or without @domain, with a display name and <>.
import { AddressError, formatAddress, parseAddress } from '../address/index.js';
import { Mm4Error } from './errors.js';
import type { Mm4Address } from './model.js';

const PHONE = /^\+?[0-9][0-9\-.() ]*$/;

/** One address, e.g. `+1555/TYPE=PLMN@mms.example`, `"Ann" <+1555@mms.example>`, `+1555`, `ann@example.org`. */
export function parseMm4Address(text: string, field: string): Mm4Address {
  let s = text.trim();
  const lt = s.lastIndexOf('<');
  if (s.endsWith('>') && lt >= 0) s = s.slice(lt + 1, -1).trim(); // RFC 5322 name-addr: the display name goes
  try {
    const at = s.lastIndexOf('@');
    const local = at < 0 ? s : s.slice(0, at);
    const domain = at < 0 ? undefined : s.slice(at + 1);
    if (/\/type=/i.test(local)) return withDomain({ address: parseAddress(local) }, domain);
    if (PHONE.test(local)) {
      // A number without /TYPE= (with or without "+"): a PLMN address, or a short code, all the same.
      return withDomain({ address: parseAddress(`${local}/TYPE=PLMN`) }, domain);
    }
    return { address: parseAddress(s) };
  } catch (e) {
    if (e instanceof AddressError) throw new Mm4Error('BAD_ADDRESS', `${field}: ${e.code}`, { cause: e });
    throw e;
  }
}

function withDomain(a: Mm4Address, domain: string | undefined): Mm4Address {
  if (domain === undefined) return a;
  if (!/^[A-Za-z0-9.-]+$/.test(domain)) throw new AddressError('BAD_EMAIL', 'domain is not a host name', domain);
  return { ...a, domain };
}

/** An address list (RFC 5322 §3.4 address-list): split at commas outside quotes and <>. */
export function parseAddressList(value: string, field: string, max: number): Mm4Address[] {
  const out: Mm4Address[] = [];
  let start = 0;
  let quoted = false;
  let angle = false;
  const push = (end: number): void => {
    const item = value.slice(start, end).trim();
    if (item === '') return;
    if (out.length >= max) throw new Mm4Error('BAD_ADDRESS', `${field}: more than ${max} addresses`);
    out.push(parseMm4Address(item, field));
  };
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '<') angle = true;
    else if (c === '>') angle = false;
    else if (c === ',' && !angle) {
      push(i);
      start = i + 1;
    }
  }
  push(value.length);
  return out;
}

/** The wire form: `formatAddress(address)` then `@domain` when there is one. */
export function formatMm4Address(a: Mm4Address): string {
  try {
    const local = formatAddress(a.address);
    if (a.domain === undefined) return local;
    if (a.address.kind === 'email') throw new Mm4Error('BUILD_INVALID', 'an e-mail address takes no domain');
    if (!/^[A-Za-z0-9.-]+$/.test(a.domain)) throw new Mm4Error('BUILD_INVALID', 'domain is not a host name');
    return `${local}@${a.domain}`;
  } catch (e) {
    if (e instanceof AddressError) throw new Mm4Error('BUILD_INVALID', `address: ${e.code}`, { cause: e });
    throw e;
  }
}

/** An address list folded after each comma once a line would pass 78 characters (RFC 5322 §2.1.1). */
export function formatAddressList(list: readonly Mm4Address[], nameLength: number): string {
  let out = '';
  let line = nameLength + 2;
  for (const [i, a] of list.entries()) {
    const s = formatMm4Address(a);
    if (i > 0) {
      if (line + 2 + s.length > 78) {
        out += ',\r\n ';
        line = 1;
      } else {
        out += ', ';
        line += 2;
      }
    }
    out += s;
    line += s.length;
  }
  return out;
}
