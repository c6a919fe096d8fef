import type { Logger } from 'pino';
import type { InboundPeer, IntakeScreen } from './intake.js';
import { type CoreMessage, type InterfaceName, trafficClassOf } from './message.js';
import type { ConsentStore } from './ports.js';
import { Refusal } from './refusals.js';

/**
 * Consent at submission (issue 24, docs/consent.md): a marketing message (trafficClassOf: REST class
 * marketing, MM7/MM1 MessageClass Advertisement) from a VASP is refused, consent-required, when any of its
 * phone-number recipients has no opt-in for its sender (the message's originator address: the short code or
 * sender id). Transactional messages are not refused here: an opt-out still wins at delivery time
 * (senderOptedOut, in the subscriber policy). Recipients that are no phone number (e-mail, short codes) are
 * not concerned. The registry is read per recipient; a submission has a bounded number of them
 * (mm7.maxRecipients).
 */
export interface ConsentScreenOptions {
  consent: Pick<ConsentStore, 'get'>;
  /** consent.marketingNeedsOptIn, read on every submission (a reload may change it). */
  enabled: () => boolean;
  /** Counts a refusal (mmsc_consent_refusals_total{iface}). */
  refused?: (iface: InterfaceName) => void;
  log: Logger;
}

export function consentScreen(o: ConsentScreenOptions): IntakeScreen {
  return async (message: CoreMessage, from: InboundPeer) => {
    if (from.kind !== 'vasp' || trafficClassOf(message) !== 'marketing' || !o.enabled()) return undefined;
    const sender = message.originator.address;
    const phones = [...new Set(message.recipients.filter((r) => r.type === 'plmn').map((r) => r.address))];
    const records = await Promise.all(phones.map((p) => o.consent.get(sender, p)));
    const missing = phones.filter((_, i) => records[i]?.state !== 'opted-in');
    if (missing.length === 0) return undefined;
    const iface = message.origin.iface;
    o.refused?.(iface);
    o.log.info(
      { messageId: message.id, vasp: from.id, iface, sender, recipients: missing.length },
      'marketing submission refused: recipient without opt-in (consent-required)',
    );
    const text = `${missing.length === 1 ? 'recipient' : 'recipients'} ${missing.join(', ')} not opted in to marketing from ${sender}`;
    return { refusal: new Refusal('consent-required', text), details: { recipients: missing } };
  };
}

/**
 * Whether the subscriber opted out of this sender's messages (STOP to its short code, an import, an admin
 * change): the delivery-time check every class of message obeys. Returns the refusal reason, or undefined.
 */
export async function senderOptOut(consent: Pick<ConsentStore, 'get'>, sender: string, subscriber: string): Promise<string | undefined> {
  const record = await consent.get(sender, subscriber);
  // `<code>: `: the sender's events carry the catalogue code of the refusal (core/sender-event-map.ts).
  return record?.state === 'opted-out' ? `opted-out: recipient opted out of ${sender} (STOP)` : undefined;
}
