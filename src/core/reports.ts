import type { Logger } from 'pino';
import type { Queue } from './ports.js';
import type { CoreMessage, ReportEvent, ReportInfo } from './message.js';
import { buildMessage } from './message-builder.js';
import type { Router } from './router.js';
import type { SenderEvent, SenderEvents } from './sender-events.js';
import { finalEvent, hasSenderEvents } from './sender-event-map.js';

/** How long a report is tried before it is given up (dead-lettered as expired). */
export const REPORT_EXPIRY_MS = 3 * 86_400_000;

export type FinalState = 'delivered' | 'rejected' | 'failed' | 'expired';

/**
 * The report message for one recipient's outcome (3GPP TS 23.140 §8.1.4/§8.7.5: the originator asked
 * for a delivery report), or undefined when none is due: the originator did not ask, or the message is
 * itself a report (reports are not reported on).
 */
export function deliveryReportFor(
  original: CoreMessage,
  recipientIndex: number,
  status: FinalState,
  at: number,
  detail?: string,
): CoreMessage | undefined {
  if (original.report || !original.deliveryReport) return undefined;
  return reportMessage(original, recipientIndex, 'delivery', status, at, detail);
}

/**
 * The read report for one recipient (3GPP TS 23.140 §8.1.5: the recipient's MMS client sent one, MM1
 * m-read-rec-ind), or undefined when the originator did not ask for read reports.
 */
export function readReportFor(
  original: CoreMessage,
  recipientIndex: number,
  status: 'read' | 'deleted',
  at: number,
): CoreMessage | undefined {
  if (original.report || !original.readReport) return undefined;
  return reportMessage(original, recipientIndex, 'read', status, at);
}

/**
 * The Message-ID of the report of one kind on one recipient: derived from what it reports on, not drawn at
 * random, so that the same report queued twice (the report pump crashed after queueing it and before
 * acknowledging the final event, which is then handed out again; a handset sent its read report twice) is
 * one message: the queue stores an id once. The identifiers the report goes out with (its MM7
 * TransactionID, a REST callback's eventId) follow from it, so the receiver can drop a copy by them.
 */
export function reportMessageId(messageId: string, recipientIndex: number, kind: ReportInfo['kind']): string {
  return `${messageId}-${kind === 'read' ? 'r' : 'd'}${recipientIndex}`;
}

/**
 * The id of the queued message of one sender's event, which is also its webhook `eventId`: derived from the
 * message, the recipient (`m` for an event about the whole message) and the type, never drawn at random, so
 * that the same event emitted twice (a crash between the enqueue and the acknowledgement of its cause, a
 * handset notified again) is one message (the queue stores an id once), and every attempt carries one id.
 */
export function eventMessageId(messageId: string, recipientIndex: number | undefined, type: string): string {
  return `${messageId}-e${recipientIndex ?? 'm'}-${type}`;
}

/** The report status nearest to an event type, for views that show one (ReportInfo.status). */
function nearestStatus(type: string): ReportInfo['status'] {
  if (type === 'rejected' || type === 'failed' || type === 'expired' || type === 'read') return type;
  return type === 'media-unavailable' ? 'failed' : 'delivered';
}

/**
 * The message that carries one sender's event to the originator's callback (a report of kind `event`): from
 * the recipient it is about (the original's originator for an event about the whole message, recipientIndex
 * -1) to the original's originator, back by its origin, kept `keepForMs` from the event's time: its webhook is
 * retried that long, then dead-lettered as expired.
 */
export function eventMessage(original: CoreMessage, event: SenderEvent, keepForMs: number): CoreMessage | undefined {
  const about = event.recipientIndex === undefined ? original.originator : original.recipients[event.recipientIndex];
  if (!about) return undefined;
  const info: ReportEvent = { type: event.type };
  if (event.code !== undefined) info.code = event.code;
  if (event.url !== undefined) info.url = event.url;
  const report: ReportInfo = {
    kind: 'event',
    messageId: original.id,
    recipientIndex: event.recipientIndex ?? -1,
    to: original.origin,
    status: nearestStatus(event.type),
    at: event.at,
    event: info,
  };
  if (event.detail !== undefined) report.detail = event.detail;
  const message = buildMessage({
    id: eventMessageId(original.id, event.recipientIndex, event.type),
    now: event.at,
    originator: { address: about.address, type: about.type },
    recipients: [{ ...original.originator, kind: 'to' }],
    origin: original.origin,
    parts: [],
    subject: original.subject,
    lifetime: { defaultMs: keepForMs },
    messageClass: 'auto',
    report,
  });
  // Echoed in the event's body: the sender's own reference of the message.
  if (original.sender?.clientRef !== undefined) message.sender = { clientRef: original.sender.clientRef };
  return message;
}

function reportMessage(
  original: CoreMessage,
  recipientIndex: number,
  kind: ReportInfo['kind'],
  status: ReportInfo['status'],
  at: number,
  detail?: string,
): CoreMessage | undefined {
  const recipient = original.recipients[recipientIndex];
  if (!recipient) return undefined;
  const report: ReportInfo = { kind, messageId: original.id, recipientIndex, to: original.origin, status, at };
  if (detail !== undefined) report.detail = detail;
  if (original.service) report.service = original.service;
  return buildMessage({
    id: reportMessageId(original.id, recipientIndex, kind),
    now: at,
    originator: { address: recipient.address, type: recipient.type },
    recipients: [{ ...original.originator, kind: 'to' }],
    origin: original.origin,
    parts: [],
    subject: original.subject,
    lifetime: { defaultMs: REPORT_EXPIRY_MS },
    messageClass: 'auto',
    report,
  });
}

/**
 * Turns final outcomes into report messages in the queue, routed back over the originator's interface
 * (MM7 DeliveryReportReq to a VASP, MM4/MM1/MM3 reports). A report nobody can carry (no route back) is logged
 * and not queued. A sender's API message with a callbackUrl gets sender events instead (`events`: delivered,
 * delivered_as_sms, rejected, failed, expired, read), from the same final events and read reports.
 */
export class ReportGenerator {
  constructor(private readonly o: { queue: Queue; router: Router; log: Logger; now?: () => number; events?: SenderEvents }) {}

  async final(original: CoreMessage, recipientIndex: number, status: FinalState, detail?: string): Promise<void> {
    const at = (this.o.now ?? Date.now)();
    if (this.o.events && hasSenderEvents(original)) {
      await this.o.events.emit(original, finalEvent(recipientIndex, status, at, detail));
      return;
    }
    await this.send(deliveryReportFor(original, recipientIndex, status, at, detail), original);
  }

  /** A recipient's read report (MM1 m-read-rec-ind); false when none is due or none can be carried back. */
  async read(original: CoreMessage, recipientIndex: number, status: 'read' | 'deleted'): Promise<boolean> {
    const at = (this.o.now ?? Date.now)();
    if (this.o.events && hasSenderEvents(original)) {
      // The events have `read` only: a message deleted unread is no event for its sender.
      if (status !== 'read') return false;
      await this.o.events.emit(original, { type: 'read', recipientIndex, at });
      return true;
    }
    return this.send(readReportFor(original, recipientIndex, status, at), original);
  }

  private async send(report: CoreMessage | undefined, original: CoreMessage): Promise<boolean> {
    if (!report) return false;
    const route = this.o.router.route(report, 0);
    if (!route) {
      this.o.log.info(
        { messageId: original.id, recipient: report.report?.recipientIndex, kind: report.report?.kind, to: original.origin.iface },
        'report has no route back; not sent',
      );
      return false;
    }
    await this.o.queue.enqueue(report, [], [route.peer]);
    return true;
  }
}
