import { segmentText, userData } from '../../protocols/sms/index.js';
import type { Delivery, DeliveryResult, Route } from '../core/router.js';
import type { SmscConfig } from '../ops/config.js';
import type { Logger } from '../ops/logger.js';
import type { CorrelationStore } from '../core/ports.js';
import { submitAddresses } from './addressing.js';
import { SmppError, type SmppClient, type SubmitSm } from './client.js';
import { jobReference } from './reference.js';
import { rememberSubmits } from './receipts.js';

/** SMPP 3.4 §5.2.12 esm_class bit 6: the short message starts with a UDH. */
const ESM_UDHI = 0x40;
/** command_status values that say "try again later" rather than "never": system error, submit failed. */
const TRANSIENT_STATUSES: ReadonlySet<number> = new Set([0x08, 0x45]);

/** An SMSC's refusal that will not change on retry (any REJECTED status but system error / submit failed). */
export function isPermanentRefusal(err: SmppError): boolean {
  return err.code === 'REJECTED' && !TRANSIENT_STATUSES.has(err.commandStatus ?? -1);
}

/** Queue/throttle peer id of an SMSC. */
export function smscPeer(id: string): string {
  return `smpp:${id}`;
}

/** Where text SMS are sent from and what they say. */
export interface TextOptions {
  /** The web-view URL of a message (an unguessable token link, served by the MM1 listener). */
  viewLink: (messageId: string) => string;
}

/**
 * Text SMS to a subscriber through one SMSC: the fallback for a message the handset cannot take as MMS
 * ("<subject or first text part> <link to the web view>"), or a plain text the gateway itself sends (the
 * STOP/START confirmations, which carry their text and no link). Long texts are segmented with a concat
 * UDH (or sent in message_payload when the SMSC is configured so). Every segment's SMSC message id is
 * remembered, so that its delivery receipt finds the job. Every attempt of a job carries the same
 * concatenation reference and user_message_reference (reference.ts).
 */
export class TextSmsRoute implements Route {
  readonly peer: string;
  readonly limits: Route['limits'];

  constructor(
    private readonly smsc: SmscConfig,
    private readonly client: SmppClient,
    private readonly correlations: CorrelationStore,
    private readonly o: TextOptions & { log: Logger },
  ) {
    this.peer = smscPeer(smsc.id);
    this.limits = { rate: smsc.rate, burst: smsc.burst, maxInFlight: smsc.maxInFlight };
  }

  async send(d: Delivery): Promise<DeliveryResult> {
    const to = d.message.recipients[d.recipientIndex]!;
    const text = await textOf(d, this.o.viewLink);
    const job = { messageId: d.message.id, recipientIndex: d.recipientIndex, expiresAt: d.message.expiresAt };
    // The same references on every attempt of the job (a resent text is recognisably the same one).
    const reference = jobReference(job);
    const seg = segmentText(text, { reference: reference & 0xff, messagePayload: this.smsc.messagePayload });
    const base: Omit<SubmitSm, 'esmClass' | 'shortMessage' | 'messagePayload'> = {
      ...submitAddresses(this.smsc, to.address),
      dataCoding: seg.dataCoding,
      registeredDelivery: this.smsc.registeredDelivery ? 1 : 0,
      userMessageReference: reference,
    };
    const ids: string[] = [];
    try {
      if (seg.messagePayload) {
        ids.push((await this.client.submit({ ...base, esmClass: 0, messagePayload: seg.segments[0]!.payload })).messageId);
      } else {
        // One after another: most SMSCs and handsets reassemble best when the parts arrive in order.
        for (const s of seg.segments) {
          ids.push((await this.client.submit({ ...base, esmClass: s.esmClassUdhi ? ESM_UDHI : 0, shortMessage: userData(s) })).messageId);
        }
      }
    } catch (err) {
      if (!(err instanceof SmppError)) throw err;
      const status = err.commandStatus === undefined ? '' : ` (0x${err.commandStatus.toString(16).padStart(8, '0')})`;
      const detail = `SMSC ${this.smsc.id}: ${err.code}${status}${ids.length > 0 ? ` after ${ids.length} of ${seg.segments.length} segments` : ''}`;
      if (isPermanentRefusal(err)) return { status: 'rejected', detail };
      return { status: 'retry', error: detail };
    }
    // Without registered_delivery no receipt comes: nothing to match it to.
    if (this.smsc.registeredDelivery) await rememberSubmits(this.correlations, this.smsc.id, ids, job, this.o.log);
    return { status: 'delivered', detail: `accepted by SMSC ${this.smsc.id} as ${ids.join(',')}` };
  }
}

/**
 * What the SMS says. A message the gateway wrote as text (confirmations: origin smpp) is its text part. An
 * MMS falls back to "<the sender's fallback text, else the subject, else its first text part> <view URL>", cut
 * to 400 characters with the link kept whole.
 */
async function textOf(d: Delivery, viewLink: (messageId: string) => string): Promise<string> {
  const m = d.message;
  const firstText = async (): Promise<string | undefined> => {
    const ref = m.parts.find((p) => p.contentType === 'text/plain');
    if (!ref) return undefined;
    const content = await d.content();
    return content[ref.index]?.toString('utf8');
  };
  if (m.origin.iface === 'smpp') return (await firstText()) ?? m.subject ?? '';
  const link = viewLink(m.id);
  // The sender's API may give the fallback's own text (SenderOptions.fallback.text) in place of the subject.
  const lead = (m.sender?.fallback?.text ?? m.subject ?? (await firstText()) ?? '').replace(/\s+/g, ' ').trim();
  const room = 400 - link.length - 1;
  return lead === '' ? link : `${lead.length > room ? `${lead.slice(0, Math.max(0, room - 1))}…` : lead} ${link}`;
}
