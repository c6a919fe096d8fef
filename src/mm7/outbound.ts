import { randomBytes } from 'node:crypto';
import { buildMultipart, type OutboundPart } from '../../protocols/mime/index.js';
import type { DeliverReq, DeliveryReportReq, Mm7Address, Mm7Request, ReadReplyReq } from '../../protocols/mm7/index.js';
import { buildMm7 } from '../../protocols/mm7/index.js';
import type { CoreMessage, Party } from '../core/message.js';

/** An MM7 request ready to POST: its SOAP model and the HTTP body and Content-Type that carry it. */
export interface OutboundRequest {
  request: Mm7Request;
  contentType: string;
  body: Buffer;
}

export interface OutboundContext {
  /** The VASP's schema: namespace and MM7Version to send. */
  namespace: string;
  mm7Version: string;
  relayServerId: string;
  vaspId: string;
  /** The same on every attempt of one request (transactionIdFor), so that the VASP can drop a copy by it. */
  transactionId: string;
}

const SOAP_CID = 'mm7-soap@mmsc';
const CONTENT_CID = 'mm7-content@mmsc';

/** WSP multipart types back to MIME (the reverse of the MM7 edge's mapping on submit). */
const MIME_MULTIPART: Record<string, string> = {
  'application/vnd.wap.multipart.related': 'multipart/related',
  'application/vnd.wap.multipart.mixed': 'multipart/mixed',
  'application/vnd.wap.multipart.alternative': 'multipart/alternative',
};

/**
 * The TransactionID of the request that carries one recipient's copy of a message (or a report, a message
 * of one recipient) to a VASP. TS 23.140 §8.7 has the TransactionID identify the transaction, and a
 * redelivery (an attempt whose answer was lost: a 5xx, a timeout, a worker whose lease ran out) is the same
 * transaction: so it is derived from the Message-ID and the recipient, never drawn per attempt, and a VASP
 * that got the first attempt can recognise the copy.
 */
export function transactionIdFor(messageId: string, recipientIndex: number): string {
  return `${messageId}.${recipientIndex}`;
}

/** A core party as an MM7 address (TS 23.140 §8.7 AddressType: Number, ShortCode or RFC2822Address). */
export function toMm7Address(p: Party): Mm7Address {
  if (p.type === 'shortcode') return { kind: 'shortCode', value: p.address };
  if (p.type === 'email') return { kind: 'email', value: p.address };
  return { kind: 'number', value: p.address };
}

function timeStamp(ms: number): { text: string; epochMs: number } {
  return { text: new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'), epochMs: ms };
}

/**
 * DeliverReq (§8.7.5 MM7_deliver.REQ): a message from a subscriber to the VASP's short code, with its
 * content as a SOAP attachment: one part as itself, several as a multipart/related or /mixed.
 */
export function deliverRequest(
  message: CoreMessage,
  recipientIndex: number,
  content: readonly Buffer[],
  ctx: OutboundContext,
): OutboundRequest {
  const recipient = message.recipients[recipientIndex]!;
  const req: DeliverReq = {
    kind: 'DeliverReq',
    transactionId: ctx.transactionId,
    namespace: ctx.namespace,
    mm7Version: ctx.mm7Version,
    mmsRelayServerId: ctx.relayServerId,
    sender: toMm7Address(message.originator),
    recipients: { to: [toMm7Address(recipient)], cc: [], bcc: [] },
    timeStamp: timeStamp(message.receivedAt),
    priority: message.priority === 'low' ? 'Low' : message.priority === 'high' ? 'High' : 'Normal',
  };
  if (message.service?.linkedId !== undefined) req.linkedId = message.service.linkedId;
  if (message.subject !== undefined) req.subject = message.subject;
  if (message.parts.length === 0) return plain(req);
  req.content = { href: `cid:${CONTENT_CID}` };

  const leaves: OutboundPart[] = message.parts.map((ref) => {
    const part: OutboundPart = {
      contentType: { type: ref.contentType, params: stringParams(ref.params) },
      body: content[ref.index] ?? Buffer.alloc(0),
    };
    if (ref.contentId !== undefined) part.contentId = ref.contentId.replace(/^<|>$/g, '');
    if (ref.contentLocation !== undefined) part.contentLocation = ref.contentLocation;
    return part;
  });
  const multipartType = MIME_MULTIPART[message.contentType];
  let attachment:
    | OutboundPart
    | { contentType: string; contentId: string; multipart: { type: string; params: Record<string, string>; parts: OutboundPart[] } };
  if (multipartType === undefined && leaves.length === 1) {
    attachment = { ...leaves[0]!, contentId: CONTENT_CID };
  } else {
    const type = multipartType ?? 'multipart/mixed';
    attachment = {
      contentType: type,
      contentId: CONTENT_CID,
      multipart: { type, params: stringParams(message.contentTypeParams), parts: leaves },
    };
  }
  return withAttachment(req, attachment);
}

/**
 * The MM7 request for a report message (see core/reports.ts): DeliveryReportReq (§8.7.6
 * MM7_delivery_report.REQ) for a delivery report, ReadReplyReq (§8.7.7 MM7_read_reply.REQ) for a read
 * report. The two share every field but the MMStatus vocabulary.
 */
export function reportRequest(report: CoreMessage, ctx: OutboundContext): OutboundRequest {
  const info = report.report!;
  const common = {
    transactionId: ctx.transactionId,
    namespace: ctx.namespace,
    mm7Version: ctx.mm7Version,
    mmsRelayServerId: ctx.relayServerId,
    messageId: info.messageId,
    // The recipient the report is about, and the VASP's own sender address of the original.
    recipient: toMm7Address(report.originator),
    sender: toMm7Address(report.recipients[0]!),
    timeStamp: timeStamp(info.at),
  };
  const req: DeliveryReportReq | ReadReplyReq =
    info.kind === 'read'
      ? { kind: 'ReadReplyReq', ...common, mmStatus: READ_STATUS[info.status] ?? 'Indeterminate' }
      : { kind: 'DeliveryReportReq', ...common, mmStatus: MM_STATUS[info.status] };
  if (info.detail !== undefined) req.statusText = info.detail.slice(0, 200);
  return plain(req);
}

/** Read outcomes as ReadReplyReq MMStatus (§8.7.7). */
const READ_STATUS: Partial<Record<NonNullable<CoreMessage['report']>['status'], string>> = { read: 'Read', deleted: 'Deleted' };

/**
 * Queue outcomes as MMStatus (§8.7.6): delivered = Retrieved; a refusal by the recipient's side =
 * Rejected; attempts used up = Unreachable; expiry = Expired.
 */
const MM_STATUS: Record<NonNullable<CoreMessage['report']>['status'], string> = {
  delivered: 'Retrieved',
  rejected: 'Rejected',
  failed: 'Unreachable',
  expired: 'Expired',
  read: 'Indeterminate',
  deleted: 'Indeterminate',
};

function plain(req: Mm7Request): OutboundRequest {
  return { request: req, contentType: 'text/xml; charset=utf-8', body: Buffer.from(buildMm7(req), 'utf8') };
}

/** SOAP with attachments (§8.7, SwA): multipart/related, the envelope first and named by `start`. */
function withAttachment(req: Mm7Request, attachment: Parameters<typeof buildMultipart>[2][number]): OutboundRequest {
  const soap: OutboundPart = { contentType: 'text/xml; charset=utf-8', contentId: SOAP_CID, body: Buffer.from(buildMm7(req), 'utf8') };
  const tag = randomBytes(12).toString('hex');
  const built = buildMultipart(
    'multipart/related',
    { type: 'text/xml', start: `<${SOAP_CID}>` },
    [soap, attachment],
    (depth) => `==mmsc-${tag}-${depth}`,
  );
  return { request: req, contentType: built.contentType, body: built.body };
}

function stringParams(p: Record<string, string | number> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(p ?? {})) out[k] = String(v);
  return out;
}
