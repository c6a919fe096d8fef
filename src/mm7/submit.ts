import { isShortCode } from '../../protocols/address/index.js';
import { findPart, type MimeEntity } from '../../protocols/mime/index.js';
import type { Mm7Address, Mm7Content, SubmitReq } from '../../protocols/mm7/index.js';
import type { ContentRef, CoreMessage, MessageClass, Party, Priority, Recipient } from '../core/message.js';
import { partyOf } from '../core/party.js';
import { sanitiseMessage } from '../core/sanitise.js';
import type { ContentStage } from '../core/ports.js';
import type { VaspConfig } from '../ops/config.js';
import { Mm7Refusal } from './refusal.js';

/** What the MM7 edge stores for one SubmitReq. */
export interface Submission {
  message: CoreMessage;
  /** The parts, or the stage they were streamed into while the request arrived (server.ts). */
  content: Buffer[] | ContentStage;
  /** What core/sanitise.ts changed to make the message deliverable (logged by the intake). */
  sanitised?: string[];
}

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

/**
 * More recipients than mm7.maxRecipients: TS 23.140 §8.7.4 3003 "Multiple addresses not supported", whose
 * remedy (send the operation again as several with fewer recipients) is the VASP's; nothing else in the
 * request is at fault, so neither 2002 Address Error nor 4004 Validation error.
 */
export function tooManyRecipients(n: number, max: number): Mm7Refusal {
  return new Mm7Refusal(3003, `${n} recipients: more than the ${max} allowed in one submission; split them over several`);
}

/** MIME multipart types and their MMS (WSP) equivalents, which the MM1 side sends to handsets. */
const MMS_MULTIPART: Record<string, string> = {
  'multipart/related': 'application/vnd.wap.multipart.related',
  'multipart/mixed': 'application/vnd.wap.multipart.mixed',
  'multipart/alternative': 'application/vnd.wap.multipart.alternative',
};

/**
 * SubmitReq (3GPP TS 23.140 §8.7.1) + the request's MIME tree -> the core message and its parts. Throws
 * Mm7Refusal with the status the VASP is answered with.
 */
export function toSubmission(req: SubmitReq, root: MimeEntity | undefined, ctx: SubmitContext): Submission {
  const { vasp, now } = ctx;
  // §8.7.1: VASPID identifies the VASP; it must be the one the credentials belong to.
  if (req.vaspId !== undefined && req.vaspId !== vasp.id) {
    throw new Mm7Refusal(4001, `VASPID ${req.vaspId} does not match the authenticated VASP ${vasp.id}`);
  }
  const sender = req.senderAddress?.value ?? vasp.senders[0]!;
  if (!vasp.senders.includes(sender)) throw new Mm7Refusal(2001, `sender address ${sender} is not allowed for VASP ${vasp.id}`);
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
  if (recipients.length === 0) throw new Mm7Refusal(2002, 'no recipient to deliver to (all are displayOnly, or none given)');
  if (recipients.length > ctx.maxRecipients) throw tooManyRecipients(recipients.length, ctx.maxRecipients);

  const { contentType, contentTypeParams, parts, content } = contentOf(req.content, root, vasp, ctx.stage);

  const expiresAt = when(req.expiryDate, now) ?? now + ctx.defaultExpiryMs;
  if (expiresAt <= now) throw new Mm7Refusal(4004, `ExpiryDate ${req.expiryDate?.text} is in the past`);
  const earliest = when(req.earliestDeliveryTime, now);

  const message: CoreMessage = {
    id: ctx.messageId,
    originator,
    recipients,
    contentType,
    parts,
    expiresAt: Math.min(expiresAt, now + ctx.maxExpiryMs),
    deliveryReport: req.deliveryReport ?? false,
    readReport: req.readReply ?? false,
    priority: (req.priority?.toLowerCase() ?? 'normal') as Priority,
    messageClass: (req.messageClass?.toLowerCase() ?? 'personal') as MessageClass,
    origin: { iface: 'mm7', peer: vasp.id },
    receivedAt: now,
  };
  if (contentTypeParams) message.contentTypeParams = contentTypeParams;
  if (req.subject !== undefined) message.subject = req.subject;
  if (earliest !== undefined && earliest > now) message.earliestDeliveryAt = earliest;
  const service: NonNullable<CoreMessage['service']> = {};
  if (req.vasId !== undefined) service.vasId = req.vasId;
  if (req.serviceCode !== undefined) service.serviceCode = req.serviceCode;
  if (req.linkedId !== undefined) service.linkedId = req.linkedId;
  if (req.chargedParty !== undefined) service.chargedParty = req.chargedParty;
  if (req.chargedPartyId !== undefined) service.chargedPartyId = req.chargedPartyId;
  if (req.contentClass !== undefined) service.contentClass = req.contentClass;
  if (req.drmContent !== undefined) service.drmContent = req.drmContent;
  if (req.distributionIndicator !== undefined) service.distributionIndicator = req.distributionIndicator;
  if (req.content?.allowAdaptations !== undefined) service.allowAdaptations = req.content.allowAdaptations;
  if (req.replyCharging) {
    service.replyCharging = {};
    if (req.replyCharging.replyChargingSize !== undefined) service.replyCharging.size = req.replyCharging.replyChargingSize;
    if (req.replyCharging.replyDeadline !== undefined) service.replyCharging.deadline = req.replyCharging.replyDeadline.text;
  }
  if (Object.keys(service).length > 0) message.service = service;
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
 * leaves; no Content = an empty text/plain message. Refusals: 2007 for an href that names nothing, 2004
 * over the VASP's size limit.
 */
export function contentOf(ref: Mm7Content | undefined, root: MimeEntity | undefined, vasp: VaspConfig, stage?: ContentStage): ContentOf {
  let contentType = 'text/plain';
  let contentTypeParams: Record<string, string> | undefined;
  const leaves: MimeEntity[] = [];
  if (ref) {
    const top = root ? findPart(root, ref.href) : undefined;
    if (!top) throw new Mm7Refusal(2007, `Content href ${ref.href} names no attachment of the request`);
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
    throw new Mm7Refusal(2004, `message content of ${size} bytes is over the limit of ${vasp.maxMessageBytes} bytes for VASP ${vasp.id}`);
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
      throw new Mm7Refusal(2007, `Content href ${ref?.href ?? ''} is ambiguous (more than one part answers to it)`);
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
  throw new Mm7Refusal(4004, `time ${t.text} is neither a dateTime nor a duration`);
}

/**
 * An MM7 address -> a core party. <Number> is taken as international (E.164 without the "+", as VASPs
 * write it); <ShortCode> as a short code; <RFC2822Address> as an e-mail address.
 */
export function toParty(a: Pick<Mm7Address, 'kind' | 'value'>): Party {
  try {
    return partyOf(a.kind, a.value);
  } catch (err) {
    throw new Mm7Refusal(2002, `address ${a.value} is not valid: ${(err as Error).message}`);
  }
}
