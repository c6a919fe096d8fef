import type { Delivery, DeliveryResult, Route } from '../core/router.js';
import type { Mm1Config } from '../ops/config.js';
import type { Metrics } from '../ops/metrics.js';
import { deliveryIndFor, readOrigIndFor } from './pdus.js';
import { PushFailure, type WapPusher } from './pusher.js';

/** Queue/throttle peer of reports pushed to handset originators. */
export const MM1_REPORT_PEER = 'mm1:reports';

/**
 * Reports on messages a handset sent (it asked with X-Mms-Delivery-Report / X-Mms-Read-Report): an
 * m-delivery-ind (OMA-TS-MMS_ENC §6.9) or m-read-orig-ind (§6.7.2) pushed to the originator like a
 * notification; the handset fetches nothing, so the push is the delivery.
 */
export class Mm1ReportRoute implements Route {
  readonly peer = MM1_REPORT_PEER;
  readonly limits: Route['limits'];

  constructor(private readonly o: { config: Mm1Config; pusher: WapPusher; metrics: Metrics; now?: () => number }) {
    this.limits = { rate: o.config.pushRate, burst: Math.max(1, Math.ceil(o.config.pushRate)), maxInFlight: o.config.pushMaxInFlight };
  }

  async send(d: Delivery): Promise<DeliveryResult> {
    const m = d.message;
    if (!m.report) return { status: 'rejected', detail: 'not a report' };
    const now = (this.o.now ?? Date.now)();
    const pdu = m.report.kind === 'read' ? readOrigIndFor(m, now) : deliveryIndFor(m, now);
    try {
      const sent = await this.o.pusher.push(m.recipients[0]!.address, pdu, {
        messageId: m.id,
        recipientIndex: d.recipientIndex,
        expiresAt: m.expiresAt,
      });
      this.o.metrics.mm1Pushes.inc({ pdu: pdu.messageType, result: 'sent' });
      return { status: 'delivered', detail: `${pdu.messageType} ${sent}` };
    } catch (err) {
      if (!(err instanceof PushFailure)) throw err;
      this.o.metrics.mm1Pushes.inc({ pdu: pdu.messageType, result: err.transient ? 'transient' : 'permanent' });
      return err.transient
        ? { status: 'retry', error: `${pdu.messageType} not pushed: ${err.message}` }
        : { status: 'rejected', detail: `${pdu.messageType} cannot be pushed: ${err.message}` };
    }
  }
}
