// A CoreMessage, for one recipient, as MM4_forward.REQ (TS 23.140 §8.4.1.1) to a peer carrier.
import type { MmsAddress } from '../../protocols/address/index.js';
import type { Mm4Address, Mm4Content, Mm4ForwardReq, Mm4MessageClass, Mm4Part, Mm4Priority } from '../../protocols/mm4/index.js';
import type { CoreMessage, MessageClass, Party, Priority } from '../core/message.js';
import type { Mm4EnvelopeForm } from './peer-options.js';

/** The X-Mms-3GPP-MMS-Version we write: the Release 6 edition of TS 23.140 whose §8.4 tables we follow. */
export const MM4_VERSION = '6.10.0';

/** WSP multipart types (MM1, MM7 store them so) back to MIME: the MM4 body is an RFC 2045 tree. */
const MIME_MULTIPART: Record<string, string> = {
  'application/vnd.wap.multipart.related': 'multipart/related',
  'application/vnd.wap.multipart.mixed': 'multipart/mixed',
  'application/vnd.wap.multipart.alternative': 'multipart/alternative',
};

const PRIORITY: Record<Priority, Mm4Priority> = { low: 'Low', normal: 'Normal', high: 'High' };
const CLASS: Record<MessageClass, Mm4MessageClass> = {
  personal: 'Personal',
  informational: 'Informational',
  advertisement: 'Advertisement',
  auto: 'Auto',
};

/** A number or short code of ours or the peer's, at `domain`, in the peer's form (§8.4.4); e-mail as itself. */
export function mm4Address(party: Party, domain: string, form: Mm4EnvelopeForm): Mm4Address {
  const address = mmsAddress(party);
  if (address.kind === 'email') return { address };
  // 'plain' drops "/TYPE=PLMN": `+N@domain` is an addr-spec, written as one (parseMm4 reads it back as PLMN).
  if (form === 'plain' && address.kind !== 'other') {
    const local = address.kind === 'plmn' ? address.number : address.kind === 'shortcode' ? address.code : address.address;
    return { address: { kind: 'email', address: `${local}@${domain}` } };
  }
  return { address, domain };
}

function mmsAddress(p: Party): MmsAddress {
  switch (p.type) {
    case 'plmn':
      return { kind: 'plmn', number: p.address };
    case 'shortcode':
      return { kind: 'shortcode', code: p.address };
    case 'email':
      return { kind: 'email', address: p.address };
    case 'ipv4':
      return { kind: 'ipv4', address: p.address };
    case 'ipv6':
      return { kind: 'ipv6', address: p.address };
    default:
      return { kind: 'other', type: 'OTHER', value: p.address };
  }
}

export interface ForwardContext {
  /** Our MMS domain: the originator's address and the Message-ID are under it. */
  ownDomain: string;
  /** The peer's MMS domain: the recipient's address is under it. */
  peerDomain: string;
  form: Mm4EnvelopeForm;
  originatorSystem: string;
  ackRequest: boolean;
  /** Fresh per attempt: it names this request/response pair (§8.4.1.1/§8.4.1.2), which a RES echoes. */
  transactionId: string;
}

/**
 * X-Mms-Message-ID of one recipient's copy: the same on every attempt, so that a peer which got an attempt
 * whose answer was lost drops the copy (issue 22 inbound: a repeat of an X-Mms-Message-ID is acknowledged,
 * not delivered twice). One per recipient, not per MM: each recipient's copy is its own forward, and two
 * recipients at one peer must not look like a repeat of one another. `<message id>.<index>@<our domain>`.
 */
export function forwardMessageId(messageId: string, recipientIndex: number, ownDomain: string): string {
  return `${messageId}.${recipientIndex}@${ownDomain}`;
}

/** The forward of recipient `recipientIndex` of `m`, whose parts' bytes are `content` (by ContentRef.index). */
export function forwardRequest(m: CoreMessage, recipientIndex: number, content: readonly Buffer[], ctx: ForwardContext): Mm4ForwardReq {
  const recipient = m.recipients[recipientIndex];
  if (!recipient) throw new RangeError(`message has no recipient ${recipientIndex}`);
  const req: Mm4ForwardReq = {
    type: 'MM4_forward.REQ',
    mmsVersion: MM4_VERSION,
    transactionId: ctx.transactionId,
    messageId: forwardMessageId(m.id, recipientIndex, ctx.ownDomain),
    originatorSystem: ctx.originatorSystem,
    ackRequest: ctx.ackRequest,
    from: mm4Address(m.originator, ctx.ownDomain, ctx.form),
    // Only this recipient: the others' copies go by their own forwards (and Bcc must not show).
    to: [mm4Address(recipient, ctx.peerDomain, ctx.form)],
    cc: [],
    deliveryReport: m.deliveryReport,
    readReply: m.readReport,
    expiry: { kind: 'absolute', epochMs: m.expiresAt },
    messageClass: CLASS[m.messageClass],
    priority: PRIORITY[m.priority],
    date: m.receivedAt,
    rfc822MessageId: `${ctx.transactionId}@${ctx.ownDomain}`,
    content: contentTree(m, content),
  };
  if (m.subject !== undefined) req.subject = m.subject;
  return req;
}

/** The MM's MIME tree: one part as itself, several (or a multipart type) as a multipart of them. */
export function contentTree(m: CoreMessage, content: readonly Buffer[]): Mm4Content {
  const leaves: Mm4Part[] = m.parts.map((ref) => {
    const part: Mm4Part = {
      contentType: { type: ref.contentType, params: stringParams(ref.params) },
      body: content[ref.index] ?? Buffer.alloc(0),
    };
    if (ref.contentId !== undefined) part.contentId = ref.contentId.replace(/^<|>$/g, '');
    if (ref.contentLocation !== undefined) part.contentLocation = ref.contentLocation;
    return part;
  });
  const multipart = MIME_MULTIPART[m.contentType] ?? (m.contentType.startsWith('multipart/') ? m.contentType : undefined);
  if (multipart === undefined && leaves.length === 1) return leaves[0]!;
  if (leaves.length === 0) return { contentType: { type: 'text/plain', params: { charset: 'utf-8' } }, body: Buffer.alloc(0) };
  return { contentType: { type: multipart ?? 'multipart/mixed', params: stringParams(m.contentTypeParams) }, parts: leaves };
}

function stringParams(params: Record<string, string | number> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params ?? {})) out[k] = String(v);
  return out;
}
