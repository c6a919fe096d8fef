import type { Logger } from 'pino';
import type { Queue } from './ports.js';
import type { CoreMessage, ReportInfo } from './message.js';
import { buildMessage } from './message-builder.js';
import type { Router } from './router.js';

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
 * (MM7 DeliveryReportReq to a VASP, a JSON callback for REST, later MM4/MM1). A report nobody can carry
 * (no route back) is logged and not queued.
 */
export class ReportGenerator {
  constructor(private readonly o: { queue: Queue; router: Router; log: Logger; now?: () => number }) {}

  async final(original: CoreMessage, recipientIndex: number, status: FinalState, detail?: string): Promise<void> {
    await this.send(deliveryReportFor(original, recipientIndex, status, (this.o.now ?? Date.now)(), detail), original);
  }

  /** A recipient's read report (MM1 m-read-rec-ind); false when none is due or none can be carried back. */
  async read(original: CoreMessage, recipientIndex: number, status: 'read' | 'deleted'): Promise<boolean> {
    return this.send(readReportFor(original, recipientIndex, status, (this.o.now ?? Date.now)()), original);
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
