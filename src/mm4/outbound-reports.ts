// What we send a peer carrier besides forwards: reports on the MMs it forwarded to us (TS 23.140 §8.4.2.1
// MM4_delivery_report.REQ, §8.4.3.1 MM4_read_reply_report.REQ) and the answers we owe it (§8.4.1.2
// MM4_forward.RES, §8.4.2.2, §8.4.3.2). Both are queued messages (CoreMessage.report, CoreMessage.ack); this
// turns one into its MM4 message.
import type {
  Mm4DeliveryReportReq,
  Mm4DeliveryReportRes,
  Mm4ForwardRes,
  Mm4ReadReplyReportRes,
  Mm4MmStatus,
  Mm4ReadReplyReportReq,
  Mm4ReadStatus,
  Mm4RequestStatus,
} from '../../protocols/mm4/index.js';
import { REQUEST_STATUSES } from '../../protocols/mm4/index.js';
import type { CoreMessage, ReportInfo } from '../core/message.js';
import { MM4_VERSION, mm4Address } from './outbound-forward.js';
import type { Mm4EnvelopeForm } from './peer-options.js';

/**
 * Queue outcomes as X-Mms-MM-Status-Code (§8.4.2.1, the MM status values of §6.1.1), as MM7 maps them
 * (src/mm7/outbound.ts): delivered = Retrieved, a refusal = Rejected, given up = Unreachable.
 */
const MM_STATUS: Record<ReportInfo['status'], Mm4MmStatus> = {
  delivered: 'Retrieved',
  rejected: 'Rejected',
  failed: 'Unreachable',
  expired: 'Expired',
  read: 'Indeterminate',
  deleted: 'Indeterminate',
};
const READ_STATUS: Partial<Record<ReportInfo['status'], Mm4ReadStatus>> = { read: 'Read', deleted: 'Deleted' };

export interface ReplyContext {
  ownDomain: string;
  peerDomain: string;
  form: Mm4EnvelopeForm;
  /** Our X-Mms-Originator-System (§8.4.2.1: where the peer would answer). */
  originatorSystem: string;
  now: number;
}

/**
 * The report REQ for a report message routed to an MM4 peer: From is the recipient who was delivered to (one
 * of ours, the report's originator), To the MM's originator at the peer (§8.4.2.1, §8.4.3.1). Its
 * X-Mms-Message-ID is the one the peer gave the MM (Origin.messageRef); the Transaction-ID follows from the
 * report's own id, so that a report sent twice (a crash before the ack) is the same transaction to the peer.
 * No RES is asked for: a report is final for us once the peer's SMTP server took it (250).
 */
export function reportRequest(m: CoreMessage, ctx: ReplyContext): Mm4DeliveryReportReq | Mm4ReadReplyReportReq {
  const info = m.report;
  if (!info) throw new RangeError('not a report');
  const messageRef = info.to.messageRef;
  if (messageRef === undefined) throw new RangeError('the original has no X-Mms-Message-ID of the peer to report on');
  const originator = m.recipients[0];
  if (!originator) throw new RangeError('a report has one recipient');
  const common = {
    mmsVersion: MM4_VERSION,
    transactionId: `${m.id}@${ctx.ownDomain}`,
    messageId: messageRef,
    originatorSystem: ctx.originatorSystem,
    recipient: mm4Address(m.originator, ctx.ownDomain, ctx.form),
    originator: mm4Address(originator, ctx.peerDomain, ctx.form),
    ackRequest: false,
    date: info.at,
    rfc822MessageId: `${m.id}@${ctx.ownDomain}`,
  };
  if (info.kind === 'read') {
    const readStatus = READ_STATUS[info.status];
    if (readStatus === undefined) throw new RangeError(`read report status ${info.status}`);
    return { ...common, type: 'MM4_read_reply_report.REQ', readStatus };
  }
  const req: Mm4DeliveryReportReq = { ...common, type: 'MM4_delivery_report.REQ', mmStatus: MM_STATUS[info.status] };
  if (info.detail !== undefined) req.statusText = info.detail.replace(/[\0\r\n]+/g, ' ').slice(0, 200);
  return req;
}

/** The RES an acknowledgement message carries: the request's Transaction-ID and Message-ID exactly as written. */
export function ackResponse(m: CoreMessage, now: number): Mm4ForwardRes | Mm4DeliveryReportRes | Mm4ReadReplyReportRes {
  const a = m.ack;
  if (!a) throw new RangeError('not an acknowledgement');
  const type = a.type;
  if (type !== 'MM4_forward.RES' && type !== 'MM4_delivery_report.RES' && type !== 'MM4_read_reply_report.RES')
    throw new RangeError(`not an MM4 RES: ${type}`);
  const status = REQUEST_STATUSES.find((s) => s === a.status) ?? ('Error-unspecified' satisfies Mm4RequestStatus);
  const res: Mm4ForwardRes | Mm4DeliveryReportRes | Mm4ReadReplyReportRes = {
    type,
    mmsVersion: MM4_VERSION,
    transactionId: a.transactionId,
    requestStatus: status,
    date: now,
  };
  if (a.messageRef !== undefined) res.messageId = a.messageRef;
  if (a.statusText !== undefined) res.statusText = a.statusText.replace(/[\0\r\n]+/g, ' ').slice(0, 200);
  return res;
}
