import type { DeliveryInd, NotificationInd, ReadOrigInd, RetrieveConf, Status } from '../../protocols/mms/index.js';
import type { ContentType, Part } from '../../protocols/mms/index.js';
import type { ContentRef, CoreMessage, MessageClass, Priority } from '../core/message.js';
import { mmsAddress } from './numbers.js';

/** The MMS version the MMSC speaks on MM1 (OMA-TS-MMS_ENC-V1_2 PDUs; 1.3 handsets accept them, §7.3.34). */
export const MMS_VERSION = '1.2';

const CLASS: Record<MessageClass, NotificationInd['messageClass']> = {
  personal: 'Personal',
  advertisement: 'Advertisement',
  informational: 'Informational',
  auto: 'Auto',
};
const PRIORITY: Record<Priority, 'Low' | 'Normal' | 'High'> = { low: 'Low', normal: 'Normal', high: 'High' };

/** Seconds from now to the message's expiry, at least 1 (the relative form is the shorter one, §7.3.20). */
function relativeExpiry(m: CoreMessage, now: number): number {
  return Math.max(1, Math.ceil((m.expiresAt - now) / 1000));
}

/** m-notification-ind for one recipient (OMA-TS-MMS_ENC §6.2). */
export function notificationFor(
  m: CoreMessage,
  /** The size of what the recipient will get (the adapted content), X-Mms-Message-Size (§7.3.29). */
  size: number,
  o: { transactionId: string; contentLocation: string; now: number },
): NotificationInd {
  const n: NotificationInd = {
    messageType: 'm-notification-ind',
    transactionId: o.transactionId,
    mmsVersion: MMS_VERSION,
    from: mmsAddress(m.originator),
    messageClass: CLASS[m.messageClass],
    messageSize: size,
    expiry: relativeExpiry(m, o.now),
    contentLocation: o.contentLocation,
  };
  if (m.subject !== undefined) n.subject = m.subject;
  if (m.priority !== 'normal') n.priority = PRIORITY[m.priority];
  if (m.deliveryReport) n.deliveryReport = 'Yes';
  return n;
}

/** The content a recipient gets (src/adapt/: the outcome for its class): its type and parts, `content[i]` the bytes of `parts[i]`. */
export interface RecipientContent {
  contentType: string;
  contentTypeParams?: Record<string, string | number>;
  parts: readonly ContentRef[];
}

/** MM1 names multipart types in their WAP form (OMA-TS-MMS_ENC §7.3.11, WSP well-known 0x23 / 0x33). */
const WAP_MULTIPART: Record<string, string> = {
  'multipart/related': 'application/vnd.wap.multipart.related',
  'multipart/mixed': 'application/vnd.wap.multipart.mixed',
  'multipart/alternative': 'application/vnd.wap.multipart.alternative',
};

/**
 * m-retrieve-conf (§6.3): the message as the recipient gets it, with the content adapted for it. Bcc
 * recipients are not disclosed (§6.3: the MMSC removes Bcc). The Transaction-ID is the retrieval token, so
 * that the m-acknowledge-ind that answers it names the copy.
 */
export function retrieveConfFor(m: CoreMessage, a: RecipientContent, content: readonly Buffer[], transactionId: string): RetrieveConf {
  const contentType = WAP_MULTIPART[a.contentType.toLowerCase()] ?? a.contentType;
  const parts: Part[] = a.parts.map((p, i) => {
    const ct: ContentType = { mediaType: p.contentType };
    if (p.params && Object.keys(p.params).length > 0) ct.params = { ...p.params };
    const part: Part = { contentType: ct, data: content[i] ?? Buffer.alloc(0) };
    if (p.contentId !== undefined) part.contentId = p.contentId;
    if (p.contentLocation !== undefined) part.contentLocation = p.contentLocation;
    return part;
  });
  const r: RetrieveConf = {
    messageType: 'm-retrieve-conf',
    transactionId,
    mmsVersion: MMS_VERSION,
    messageId: m.id,
    date: new Date(m.receivedAt),
    from: mmsAddress(m.originator),
    contentType: { mediaType: contentType },
  };
  const to = m.recipients.filter((x) => x.kind === 'to').map(mmsAddress);
  const cc = m.recipients.filter((x) => x.kind === 'cc').map(mmsAddress);
  if (to.length > 0) r.to = to;
  if (cc.length > 0) r.cc = cc;
  if (m.subject !== undefined) r.subject = m.subject;
  r.messageClass = CLASS[m.messageClass];
  r.priority = PRIORITY[m.priority];
  if (m.deliveryReport) r.deliveryReport = 'Yes';
  // §7.3.37 Read-Report: the handset offers to send m-read-rec-ind only when the originator asked for one.
  if (m.readReport) r.readReport = 'Yes';
  if (a.contentTypeParams && Object.keys(a.contentTypeParams).length > 0) r.contentType.params = { ...a.contentTypeParams };
  if (contentType.startsWith('application/vnd.wap.multipart.') || contentType.startsWith('multipart/')) r.parts = parts;
  else r.body = parts[0]?.data ?? Buffer.alloc(0);
  return r;
}

/** Queue end states -> X-Mms-Status of m-delivery-ind (§7.3.54). */
const DELIVERY_STATUS: Record<string, Status> = {
  delivered: 'Retrieved',
  rejected: 'Rejected',
  expired: 'Expired',
  failed: 'Unreachable',
};

/** m-delivery-ind (§6.9) telling a handset originator what became of its message to one recipient. */
export function deliveryIndFor(report: CoreMessage, now: number): DeliveryInd {
  const r = report.report!;
  return {
    messageType: 'm-delivery-ind',
    mmsVersion: MMS_VERSION,
    messageId: r.messageId,
    to: [mmsAddress(report.originator)],
    date: new Date(Math.min(r.at, now)),
    status: DELIVERY_STATUS[r.status] ?? 'Indeterminate',
  };
}

/** m-read-orig-ind (§6.7.2): the recipient read (or deleted unread) the message. */
export function readOrigIndFor(report: CoreMessage, now: number): ReadOrigInd {
  const r = report.report!;
  return {
    messageType: 'm-read-orig-ind',
    mmsVersion: MMS_VERSION,
    messageId: r.messageId,
    to: [mmsAddress(report.recipients[0]!)],
    from: mmsAddress(report.originator),
    date: new Date(Math.min(r.at, now)),
    readStatus: r.status === 'deleted' ? 'Deleted-without-being-read' : 'Read',
  };
}
