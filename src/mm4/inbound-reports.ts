// What a peer carrier sends us about MMs we forwarded to it, and the RES we owe it (issue 22, Inbound):
// - MM4_forward.RES (TS 23.140 §8.4.1.2) ends the recipient's job by its Transaction-ID;
// - MM4_delivery_report.REQ (§8.4.2.1) ends it as the MM status says; the report to our originator follows
//   from the final state (the store's final events, core/report-pump.ts), on the originator's own interface;
// - MM4_read_reply_report.REQ (§8.4.3.1) becomes a read report to our originator (ReportGenerator.read);
// - their RES is queued when X-Mms-Ack-Request asks (src/mm4/responses.ts), and MM4_forward.RES for a
//   forward we stored when it asks.
// Each is answered 250 whatever it matched: a 5xx would bounce it to the peer's postmaster, and an answer
// about a forward we no longer know (a late RES) has nothing to undo.
import type {
  Mm4DeliveryReportReq,
  Mm4ForwardReq,
  Mm4ForwardRes,
  Mm4Message,
  Mm4MmStatus,
  Mm4ReadReplyReportReq,
  Mm4RequestStatus,
} from '../../protocols/mm4/index.js';
import type { CompleteState, CorrelationStore, Queue } from '../core/ports.js';
import type { ReportGenerator } from '../core/reports.js';
import type { Router } from '../core/router.js';
import type { Mm4PeerConfig } from '../ops/config.js';
import type { Logger } from '../ops/logger.js';
import type { Metrics } from '../ops/metrics.js';
import { correlationTtl, type ForwardRef, findForward, midKey, resOkKey, resendKey, txKey } from './correlation.js';
import { queueResponse } from './responses.js';

/**
 * X-Mms-MM-Status-Code (§8.4.2.1; the values of §6.1.1) -> the recipient's final state, or undefined: a
 * history note only. Retrieved is the only `delivered`; Forwarded (the recipient forwarded it on without
 * retrieving it, OMA-TS-MMS_ENC §7.3.54) counts as delivered too, since it reached the recipient's MMS
 * service and the recipient acted on it. Unreachable is `failed`, as MM7 maps failed to Unreachable
 * (src/mm7/outbound.ts). Deferred (retrieval postponed, not final), Unrecognised and Indeterminate (and an
 * absent or unknown status, which the parser reads as Indeterminate) never end the job: it waits for a later
 * report, a RES, or its expiry.
 */
const MM_STATUS_STATE: Record<Mm4MmStatus, CompleteState | undefined> = {
  Retrieved: 'delivered',
  Forwarded: 'delivered',
  Rejected: 'rejected',
  Expired: 'expired',
  Unreachable: 'failed',
  Deferred: undefined,
  Unrecognised: undefined,
  Indeterminate: undefined,
};

/**
 * X-Mms-Request-Status-Code of an MM4_forward.RES (§8.4.1.2) that may pass: Error-network-problem (the one
 * status naming a condition of the network rather than of the MM; OMA-TS-MMS_ENC 1.2+ made its MM1
 * counterpart Error-transient-network-problem). The forward is sent again, with a new Transaction-ID and
 * the same X-Mms-Message-ID, at the job's next look (resTimeoutMs). Every other error refuses the MM for good:
 * service denied, format corrupt, address unresolved, message not found, content not accepted, unsupported,
 * and Error-unspecified (an unknown code reads as it: the parser never reads one as Ok).
 */
const TRANSIENT_RES: ReadonlySet<Mm4RequestStatus> = new Set(['Error-network-problem']);

export interface Mm4InboundReportsOptions {
  queue: Queue;
  correlations: CorrelationStore;
  reports: ReportGenerator;
  router: Router;
  metrics: Metrics;
  log: Logger;
  /** Our MMS domain (the RES we queue name our system user in it). */
  ownDomain: string;
  /** A recipient was ended: the report pump may look now. */
  onFinal?: () => void;
  now?: () => number;
}

type Answer = Exclude<Mm4Message, Mm4ForwardReq>;

export class Mm4InboundReports {
  private readonly now: () => number;

  constructor(private readonly o: Mm4InboundReportsOptions) {
    this.now = o.now ?? Date.now;
  }

  /** A message other than a forward, from `peer`: acted on; resolves to the 250 text. */
  async handle(msg: Answer, peer: Mm4PeerConfig, log: Logger): Promise<string> {
    switch (msg.type) {
      case 'MM4_forward.RES':
        await this.forwardRes(msg, peer.id, log);
        break;
      case 'MM4_delivery_report.REQ':
        await this.deliveryReport(msg, peer, log);
        break;
      case 'MM4_read_reply_report.REQ':
        await this.readReport(msg, peer, log);
        break;
      default:
        // We ask no RES of our reports (src/mm4/outbound-reports.ts): one is taken and noted only.
        log.info({ type: msg.type, transactionId: msg.transactionId, status: msg.requestStatus }, 'mm4 RES to a report taken');
        this.count(peer.id, msg.type, 'unknown');
    }
    return `2.6.0 ${msg.type} received`;
  }

  /**
   * After a forward is stored: MM4_forward.RES Ok queued when X-Mms-Ack-Request asks (§8.4.1.1). Only then:
   * a forward we refuse is answered by the SMTP reply (RFC 5321 §4.2: 5yz ends the peer's transaction, and
   * its MTA bounces it with our enhanced code and text; 4yz has it retried), so no RES repeats the refusal
   * for an MM we never took. Never throws: the forward is stored whatever becomes of its RES.
   */
  async forwardStored(req: Mm4ForwardReq, peer: Mm4PeerConfig, messageId: string, log: Logger): Promise<void> {
    if (req.ackRequest !== true) return;
    await this.respond(messageId, req, peer, { type: 'MM4_forward.RES', status: 'Ok', messageRef: req.messageId }, log);
  }

  private async forwardRes(res: Mm4ForwardRes, peer: string, log: Logger): Promise<void> {
    const ref = await findForward(this.o.correlations, txKey(peer, res.transactionId));
    const l = log.child({ transactionId: res.transactionId, status: res.requestStatus });
    if (!ref) {
      l.info('mm4 MM4_forward.RES for no forward we know (late, or not ours): taken');
      return this.count(peer, res.type, 'unknown');
    }
    if (ref.sentAt > 0) this.o.metrics.mm4ResLatency.observe({ peer }, Math.max(0, this.now() - ref.sentAt) / 1000);
    const text = res.statusText === undefined ? res.requestStatus : `${res.requestStatus} (${res.statusText})`;
    if (res.requestStatus === 'Ok') {
      // §8.4.2.1: the originator asked for a delivery report: the peer's report ends the recipient, not this.
      const original = await this.o.queue.message(ref.messageId);
      if (original?.deliveryReport) {
        await this.o.correlations.put(resOkKey(ref.messageId, ref.recipientIndex), '1', correlationTtl(original.expiresAt, this.now()));
        await this.o.queue.note(ref.messageId, ref.recipientIndex, `MM4_forward.RES from ${peer}: ${text}; awaiting its delivery report`);
        return this.count(peer, res.type, 'noted');
      }
      return this.end(ref, 'delivered', `MM4_forward.RES from ${peer}: ${text}`, peer, res.type, l);
    }
    if (TRANSIENT_RES.has(res.requestStatus)) {
      await this.o.correlations.put(resendKey(ref.messageId, ref.recipientIndex), res.requestStatus, 86_400_000);
      await this.o.queue.note(ref.messageId, ref.recipientIndex, `MM4_forward.RES from ${peer}: ${text}; forwarded again`);
      l.info({ messageId: ref.messageId, recipient: ref.recipientIndex }, 'mm4 MM4_forward.RES: transient error, forward again');
      return this.count(peer, res.type, 'transient');
    }
    return this.end(ref, 'rejected', `MM4_forward.RES from ${peer}: ${text}`, peer, res.type, l);
  }

  private async deliveryReport(req: Mm4DeliveryReportReq, peer: Mm4PeerConfig, log: Logger): Promise<void> {
    const l = log.child({ transactionId: req.transactionId, mmStatus: req.mmStatus });
    const ref = await this.about(req, peer.id);
    if (ref) {
      const state = MM_STATUS_STATE[req.mmStatus];
      const raw = req.mmStatusNote === undefined ? req.mmStatus : `${req.mmStatus}: status ${req.mmStatusNote}`;
      const detail = `MM4_delivery_report.REQ from ${peer.id}: ${raw}${req.statusText === undefined ? '' : ` (${req.statusText})`}`;
      if (state === undefined) {
        await this.o.queue.note(ref.messageId, ref.recipientIndex, detail);
        l.info({ messageId: ref.messageId, recipient: ref.recipientIndex }, 'mm4 delivery report noted (not final)');
        this.count(peer.id, req.type, 'noted');
      } else await this.end(ref, state, detail, peer.id, req.type, l);
    } else {
      l.info({ mm4MessageId: req.messageId }, 'mm4 delivery report about no forward we know: taken');
      this.count(peer.id, req.type, 'unknown');
    }
    await this.acknowledge(req, ref, peer, 'MM4_delivery_report.RES', log);
  }

  private async readReport(req: Mm4ReadReplyReportReq, peer: Mm4PeerConfig, log: Logger): Promise<void> {
    const l = log.child({ transactionId: req.transactionId, readStatus: req.readStatus });
    const ref = await this.about(req, peer.id);
    const original = ref ? await this.o.queue.message(ref.messageId) : undefined;
    if (ref && original) {
      const status = req.readStatus === 'Deleted' ? 'deleted' : 'read';
      const sent = await this.o.reports.read(original, ref.recipientIndex, status);
      await this.o.queue.note(ref.messageId, ref.recipientIndex, `MM4_read_reply_report.REQ from ${peer.id}: ${req.readStatus}`);
      l.info({ messageId: ref.messageId, recipient: ref.recipientIndex, sent }, 'mm4 read report');
      this.count(peer.id, req.type, status);
    } else {
      l.info({ mm4MessageId: req.messageId }, 'mm4 read report about no message we know: taken');
      this.count(peer.id, req.type, 'unknown');
    }
    await this.acknowledge(req, ref, peer, 'MM4_read_reply_report.RES', log);
  }

  /** The RES a report asks for (X-Mms-Ack-Request: Yes, §8.4.2.2/§8.4.3.2): Ok, whether or not we knew its MM. */
  private async acknowledge(
    req: Mm4DeliveryReportReq | Mm4ReadReplyReportReq,
    ref: ForwardRef | undefined,
    peer: Mm4PeerConfig,
    type: 'MM4_delivery_report.RES' | 'MM4_read_reply_report.RES',
    log: Logger,
  ): Promise<void> {
    if (req.ackRequest !== true) return;
    await this.respond(ref?.messageId ?? 'mm4', req, peer, { type, status: 'Ok', messageRef: req.messageId }, log);
  }

  /**
   * The forward a report is about: by its X-Mms-Message-ID (§8.4.2.1: the id of the MM reported on), else by
   * its Transaction-ID, for the peers that echo the forward's in their report.
   */
  private async about(req: Mm4DeliveryReportReq | Mm4ReadReplyReportReq, peer: string): Promise<ForwardRef | undefined> {
    return (
      (await findForward(this.o.correlations, midKey(peer, req.messageId))) ??
      (await findForward(this.o.correlations, txKey(peer, req.transactionId)))
    );
  }

  private async end(ref: ForwardRef, state: CompleteState, detail: string, peer: string, type: string, log: Logger): Promise<void> {
    const r = await this.o.queue.complete(ref.messageId, ref.recipientIndex, state, detail);
    if (r === 'completed') this.o.onFinal?.();
    // Ended before (a RES, then its report; the missing-RES policy, then a late RES): kept in the history.
    if (r === 'already-final') await this.o.queue.note(ref.messageId, ref.recipientIndex, detail);
    log.info({ messageId: ref.messageId, recipient: ref.recipientIndex, state, result: r }, `mm4 ${type}`);
    this.count(peer, type, r === 'completed' ? state : r);
  }

  private async respond(
    base: string,
    req: Mm4DeliveryReportReq | Mm4ReadReplyReportReq | Mm4ForwardReq,
    peer: Mm4PeerConfig,
    ack: { type: string; status: string; messageRef: string },
    log: Logger,
  ): Promise<void> {
    const target = { peer: peer.id, peerDomain: peer.domain, originatorSystem: req.originatorSystem, sender: req.sender };
    try {
      const o = { queue: this.o.queue, router: this.o.router, log, ownDomain: this.o.ownDomain, now: this.now() };
      await queueResponse(o, base, target, { ...ack, transactionId: req.transactionId });
    } catch (err) {
      log.warn({ err, type: ack.type }, 'MM4 RES not queued');
    }
  }

  private count(peer: string, type: string, result: string): void {
    this.o.metrics.mm4Correlated.inc({ peer, type, result });
  }
}
