import { isShortCode } from '../../protocols/address/index.js';
import { findPart, type MimeEntity } from '../../protocols/mime/index.js';
import type { Mm7Address, Mm7Content, SubmitReq } from '../../protocols/mm7/index.js';
import type { Submission } from '../core/intake.js';
import type { ContentRef, MessageClass, Party, Priority, Recipient } from '../core/message.js';
import { buildMessage } from '../core/message-builder.js';
import { partyOf } from '../core/party.js';
import { sanitiseMessage } from '../core/sanitise.js';
import type { ContentStage } from '../core/ports.js';
import type { VaspConfig } from '../ops/config.js';
import { Refusal } from '../core/refusals.js';

/** What the MM7 edge stores for one SubmitReq (core intake's submission). */
export type { Submission };

export interface SubmitContext {
  vasp: VaspConfig;
  messageId: string;
  now: number;
  defaultExpiryMs: number;
  maxExpiryMs: number;
  /** Most recipients of one submission (mm7.maxRecipients). */
  maxRecipients: number;
  /** Where the request's content leaves were streamed to, if they were. */
  stage?: ContentStage;
}

/** More recipients than mm7.maxRecipients (the catalogue's too-many-recipients says why MM7 3003). */
export function tooManyRecipients(n: number, max: number): Refusal {
  return new Refusal('too-many-recipients', `${n} recipients: more than the ${max} allowed in one submission; split them over several`);
}

/** MIME multipart types and their MMS (WSP) equivalents, which the MM1 side sends to handsets. */
const MMS_MULTIPART: Record<string, string> = {
  'multipart/related': 'application/vnd.wap.multipart.related',
  'multipart/mixed': 'application/vnd.wap.multipart.mixed',
  'multipart/alternative': 'application/vnd.wap.multipart.alternative',
};

/**
 * SubmitReq (3GPP TS 23.140 §8.7.1) + the request's MIME tree -> the core message and its parts. Throws a
 * Refusal, whose catalogue entry has the status the VASP is answered with.
 */
export function toSubmission(req: SubmitReq, root: MimeEntity | undefined, ctx: SubmitContext): Submission {
  const { vasp, now } = ctx;
  // §8.7.1: VASPID identifies the VASP; it must be the one the credentials belong to.
  if (req.vaspId !== undefined && req.vaspId !== vasp.id) {
    throw new Refusal('improper-identification', `VASPID ${req.vaspId} does not match the authenticated VASP ${vasp.id}`);
  }
  const sender = req.senderAddress?.value ?? vasp.senders[0]!;
  if (!vasp.senders.includes(sender))
    throw new Refusal('sender-not-allowed', `sender address ${sender} is not allowed for VASP ${vasp.id}`);
  const originator: Party = isShortCode(sender)
    ? { address: sender, type: 'shortcode' }
    : toParty({ kind: req.senderAddress?.kind ?? 'number', value: sender });

  const recipients: Recipient[] = [];
  for (const kind of ['to', 'cc', 'bcc'] as const) {
    for (const a of req.recipients[kind]) {
      if (a.displayOnly) continue; // §8.7.1: shown to recipients, not delivered to
      recipients.push({ ...toParty(a), kind });
    }
  }
  if (recipients.length === 0) throw new Refusal('address-error', 'no recipient to deliver to (all are displayOnly, or none given)');
  if (recipients.length > ctx.maxRecipients) throw tooManyRecipients(recipients.length, ctx.maxRecipients);

  const { contentType, contentTypeParams, parts, content } = contentOf(req.content, root, vasp, ctx.stage);

  const expiresAt = when(req.expiryDate, now);
  if (expiresAt !== undefined && expiresAt <= now) throw new Refusal('expired', `ExpiryDate ${req.expiryDate?.text} is in the past`);
  const message = buildMessage({
    id: ctx.messageId,
    now,
    originator,
    recipients,
    origin: { iface: 'mm7', peer: vasp.id },
    contentType,
    contentTypeParams,
    parts,
    subject: req.subject,
    expiresAt,
    lifetime: { defaultMs: ctx.defaultExpiryMs, maxMs: ctx.maxExpiryMs },
    earliestDeliveryAt: when(req.earliestDeliveryTime, now),
    deliveryReport: req.deliveryReport,
    readReport: req.readReply,
    priority: req.priority?.toLowerCase() as Priority | undefined,
    messageClass: req.messageClass?.toLowerCase() as MessageClass | undefined,
    // Kept for charging records and the VASP's reports (§8.7.1); none of it changes delivery.
    service: {
      vasId: req.vasId,
      serviceCode: req.serviceCode,
      linkedId: req.linkedId,
      chargedParty: req.chargedParty,
      chargedPartyId: req.chargedPartyId,
      contentClass: req.contentClass,
      drmContent: req.drmContent,
      distributionIndicator: req.distributionIndicator,
      allowAdaptations: req.content?.allowAdaptations,
      replyCharging: req.replyCharging && {
        ...(req.replyCharging.replyChargingSize !== undefined ? { size: req.replyCharging.replyChargingSize } : {}),
        ...(req.replyCharging.replyDeadline !== undefined ? { deadline: req.replyCharging.replyDeadline.text } : {}),
      },
    },
  });
  return { message, content, sanitised: sanitiseMessage(message) };
}

/** The message content a SubmitReq/ReplaceReq names, in core form. */
export interface ContentOf {
  contentType: string;
  contentTypeParams: Record<string, string> | undefined;
  parts: ContentRef[];
  content: Buffer[] | ContentStage;
}

/**
 * The part the Content href names (cid: or Content-Location) in the request's MIME tree, flattened to its
 * leaves; no Content = an empty text/plain message. Refusals: format-corrupt for an href that names nothing,
 * message-too-large over the VASP's size limit.
 */
export function contentOf(ref: Mm7Content | undefined, root: MimeEntity | undefined, vasp: VaspConfig, stage?: ContentStage): ContentOf {
  let contentType = 'text/plain';
  let contentTypeParams: Record<string, string> | undefined;
  const leaves: MimeEntity[] = [];
  if (ref) {
    const top = root ? findPart(root, ref.href) : undefined;
    if (!top) throw new Refusal('format-corrupt', `Content href ${ref.href} names no attachment of the request`);
    if (top.parts) {
      contentType = MMS_MULTIPART[top.contentType.type] ?? 'application/vnd.wap.multipart.mixed';
      const { boundary: _b, ...rest } = top.contentType.params;
      if (Object.keys(rest).length > 0) contentTypeParams = rest;
      collectLeaves(top, leaves);
    } else {
      contentType = top.contentType.type;
      leaves.push(top);
    }
  }
  const sizeOf = (p: MimeEntity) => p.body?.length ?? p.streamedBytes ?? 0;
  const size = leaves.reduce((s, p) => s + sizeOf(p), 0);
  if (size > vasp.maxMessageBytes) {
    throw new Refusal(
      'message-too-large',
      `message content of ${size} bytes is over the limit of ${vasp.maxMessageBytes} bytes for VASP ${vasp.id}`,
    );
  }
  const parts: ContentRef[] = leaves.map((p, index) => {
    const r: ContentRef = { index, contentType: p.contentType.type, size: sizeOf(p) };
    if (Object.keys(p.contentType.params).length > 0) r.params = { ...p.contentType.params };
    if (p.contentId !== undefined) r.contentId = `<${p.contentId}>`;
    if (p.contentLocation !== undefined) r.contentLocation = p.contentLocation;
    return r;
  });
  // Streamed leaves are in the stage, in order: the server streams exactly the leaves under the part the
  // href names (and checks that findPart agrees), so either all of them are there or none.
  const streamed = leaves.filter((p) => p.streamedBytes !== undefined).length;
  if (streamed > 0) {
    if (!stage || streamed !== leaves.length)
      throw new Refusal('format-corrupt', `Content href ${ref?.href ?? ''} is ambiguous (more than one part answers to it)`);
    return { contentType, contentTypeParams, parts, content: stage };
  }
  return { contentType, contentTypeParams, parts, content: leaves.map((p) => p.body ?? Buffer.alloc(0)) };
}

function collectLeaves(e: MimeEntity, out: MimeEntity[]): void {
  if (e.parts) for (const p of e.parts) collectLeaves(p, out);
  else out.push(e);
}

/** An absolute or relative MM7 time (§8.7.1 ExpiryDate, EarliestDeliveryTime) as epoch ms. */
export function when(t: { text: string; epochMs?: number; relativeSeconds?: number } | undefined, now: number): number | undefined {
  if (!t) return undefined;
  if (t.relativeSeconds !== undefined) return now + t.relativeSeconds * 1000;
  if (t.epochMs !== undefined) return t.epochMs;
  throw new Refusal('validation-error', `time ${t.text} is neither a dateTime nor a duration`);
}

/**
 * An MM7 address -> a core party. <Number> is taken as international (E.164 without the "+", as VASPs
 * write it); <ShortCode> as a short code; <RFC2822Address> as an e-mail address.
 */
export function toParty(a: Pick<Mm7Address, 'kind' | 'value'>): Party {
  try {
    return partyOf(a.kind, a.value);
  } catch (err) {
    throw new Refusal('address-error', `address ${a.value} is not valid: ${(err as Error).message}`);
  }
}
