// Subscribers as e-mail addresses (3GPP TS 23.140 §8.3, RFC 4356 §2.1: on MM3 an MMS address that is no
// e-mail address is written in a form Internet mail can carry, a mailbox at the MMS Relay/Server's domain).
import { Mm4Error, parseMm4Address } from '../../protocols/mm4/index.js';
import type { Party } from '../core/message.js';
import { partyOf } from '../core/party.js';

/**
 * The e-mail form of a party: a number `+N@domain` (the "+" kept: it says the digits are international,
 * and `+` is an atext character, RFC 5322 §3.2.3), a short code `code@domain`, an e-mail address as itself;
 * undefined for what has no e-mail form (IP addresses, other types).
 */
export function emailOf(party: Party, domain: string): string | undefined {
  switch (party.type) {
    case 'plmn':
    case 'shortcode':
      return `${party.address}@${domain}`;
    case 'email':
      return party.address;
    default:
      return undefined;
  }
}

/**
 * An inbound RCPT TO -> the subscriber it names, or why it names none: 'relay' (another domain: we are no
 * relay, RFC 5321 §3.6.2), 'not-a-number' (our domain, but the local part is no number: no mailboxes here
 * other than subscribers). `+N`, `N` (international digits) and `+N/TYPE=PLMN` are numbers.
 */
export function subscriberOf(rcpt: string, domain: string): { party: Party } | { problem: 'relay' | 'not-a-number' } {
  const at = rcpt.lastIndexOf('@');
  if (at < 0 || rcpt.slice(at + 1).toLowerCase() !== domain) return { problem: 'relay' };
  try {
    const a = parseMm4Address(rcpt, 'RCPT TO');
    if (a.address.kind !== 'plmn') return { problem: 'not-a-number' };
    return { party: partyOf('number', a.address.number) };
  } catch (err) {
    if (err instanceof Mm4Error || err instanceof Error) return { problem: 'not-a-number' };
    throw err;
  }
}
