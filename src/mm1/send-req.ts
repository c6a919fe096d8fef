import { AddressError } from '../../protocols/address/index.js';
import {
  mediaTypeOf,
  textOf,
  type ContentType,
  type ParamValue,
  type Part,
  type SendReq,
  type TimeValue,
} from '../../protocols/mms/index.js';
import type { ContentRef, CoreMessage, MessageClass, Priority, Recipient } from '../core/message.js';
import { buildMessage } from '../core/message-builder.js';
import { sanitiseMessage } from '../core/sanitise.js';
import type { Mm1Config } from '../ops/config.js';
import type { NumberPlan } from './numbers.js';
import { Refusal } from '../core/refusals.js';

export interface SendContext {
  /** The subscriber the request came from (the WAP gateway's header): the originator, whatever From says. */
  sender: string;
  messageId: string;
  now: number;
  config: Pick<Mm1Config, 'maxMessageBytes' | 'defaultExpiryMs' | 'maxExpiryMs'>;
  plan: NumberPlan;
}

const CLASSES: Record<string, MessageClass> = {
  personal: 'personal',
  advertisement: 'advertisement',
  informational: 'informational',
  auto: 'auto',
};
const PRIORITIES: Record<string, Priority> = { low: 'low', normal: 'normal', high: 'high' };

/**
 * The recipients an m-send-req addresses (To, Cc and Bcc, OMA-TS-MMS_ENC §6.1.1), checked against the
 * operator's limit per message before anything else is done with it: the count is also what the message
 * costs from the subscriber's submission budget. Throws a Refusal over `max`.
 */
export function recipientCount(req: SendReq, max: number): number {
  const n = (req.to?.length ?? 0) + (req.cc?.length ?? 0) + (req.bcc?.length ?? 0);
  if (n > max) throw new Refusal('too-many-recipients', `${n} recipients: more than the ${max} allowed in one message`);
  return n;
}

/**
 * m-send-req (OMA-TS-MMS_ENC §6.1.1) -> the core message and its parts. The originator is the subscriber
 * the operator's gateway named, not the PDU's From (which is usually Insert-address-token, and cannot be
 * trusted when it is not: §6.1.1 lets the MMSC insert or check it). Throws a Refusal.
 */
export function toCoreMessage(req: SendReq, ctx: SendContext): { message: CoreMessage; content: Buffer[]; sanitised: string[] } {
  const recipients: Recipient[] = [];
  for (const kind of ['to', 'cc', 'bcc'] as const) {
    for (const v of req[kind] ?? []) {
      const text = textOf(v);
      try {
        recipients.push({ ...ctx.plan.party(text), kind });
      } catch (err) {
        if (err instanceof AddressError) throw new Refusal('address-error', `recipient ${text}: ${err.message}`);
        throw err;
      }
    }
  }
  if (recipients.length === 0) throw new Refusal('address-error', 'no To, Cc or Bcc recipient');

  const leaves: Part[] = [];
  const type = mediaTypeOf(req.contentType);
  if (req.parts) flatten(req.parts, leaves);
  else leaves.push({ contentType: req.contentType, data: req.body ?? Buffer.alloc(0) });
  const parts: ContentRef[] = leaves.map((p, index) => {
    const ref: ContentRef = { index, contentType: mediaTypeOf(p.contentType).toLowerCase(), size: p.data.length };
    const params = plainParams(p.contentType);
    if (params) ref.params = params;
    if (p.contentId !== undefined) ref.contentId = p.contentId;
    if (p.contentLocation !== undefined) ref.contentLocation = p.contentLocation;
    return ref;
  });
  const size = parts.reduce((s, p) => s + p.size, 0);
  if (size > ctx.config.maxMessageBytes) {
    throw new Refusal('message-too-large', `message content of ${size} bytes is over the limit of ${ctx.config.maxMessageBytes} bytes`);
  }

  const now = ctx.now;
  const lifetime = { defaultMs: ctx.config.defaultExpiryMs, maxMs: ctx.config.maxExpiryMs };
  const expiresAt = Math.min(timeOf(req.expiry, now) ?? now + lifetime.defaultMs, now + lifetime.maxMs);
  if (expiresAt <= now) throw new Refusal('expired', 'X-Mms-Expiry is in the past');
  const earliest = timeOf(req.deliveryTime, now);
  const message = buildMessage({
    id: ctx.messageId,
    now,
    originator: { address: ctx.sender, type: 'plmn' },
    recipients,
    origin: { iface: 'mm1', peer: ctx.sender },
    // A multipart keeps its own type and parameters; a single body is its one part.
    contentType: req.parts ? type : parts[0]!.contentType,
    contentTypeParams: req.parts ? plainParams(req.contentType) : undefined,
    parts,
    subject: req.subject !== undefined ? textOf(req.subject) : undefined,
    expiresAt,
    lifetime,
    // Not after the message expires (a deferral past it could never be delivered).
    earliestDeliveryAt: earliest !== undefined ? Math.min(earliest, expiresAt) : undefined,
    deliveryReport: req.deliveryReport === 'Yes',
    readReport: req.readReport === 'Yes',
    priority: typeof req.priority === 'string' ? PRIORITIES[req.priority.toLowerCase()] : undefined,
    messageClass: typeof req.messageClass === 'string' ? CLASSES[req.messageClass.toLowerCase()] : undefined,
    // X-Mms-Adaptation-Allowed No (OMA-TS-MMS_ENC §7.3.1): the content goes as sent or not at all (issue 25).
    service: req.adaptationAllowed === 'No' ? { allowAdaptations: false } : undefined,
  });
  // Names and types as the handset wrote them may not go out again in every form (core/sanitise.ts).
  return { message, content: leaves.map((p) => p.data), sanitised: sanitiseMessage(message) };
}

/** Leaves of a (possibly nested) multipart, in order: a nested multipart/alternative keeps all its forms. */
function flatten(parts: readonly Part[], out: Part[]): void {
  for (const p of parts) {
    if (p.parts) flatten(p.parts, out);
    else out.push(p);
  }
}

/** Content-type parameters that survive as core params (text and numbers; dates and flags are dropped). */
function plainParams(ct: ContentType): Record<string, string | number> | undefined {
  if (!ct.params) return undefined;
  const out: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(ct.params) as [string, ParamValue][]) {
    if (typeof v === 'string' || typeof v === 'number') out[k] = v;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** §7.3.20 / §7.3.12: absolute date, or seconds after the MMSC received the PDU. */
function timeOf(v: TimeValue | undefined, now: number): number | undefined {
  if (v === undefined) return undefined;
  return v instanceof Date ? v.getTime() : now + v * 1000;
}
