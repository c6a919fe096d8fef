import type { Delivery, DeliveryResult, Route } from '../core/router.js';
import type { Config, VaspConfig } from '../ops/config.js';
import { httpPost, HttpPostError } from '../transport/http-post.js';
import type { Logger } from '../ops/logger.js';
import type { Metrics } from '../ops/metrics.js';
import type { OutboundGuard } from '../transport/outbound-guard.js';
import { isHttpRetryable, isHttpSuccess } from '../transport/http-status.js';

/** Queue/throttle peer id of the REST callbacks of a VASP. */
export function callbackPeer(vaspId: string): string {
  return `callback:${vaspId}`;
}

/** The JSON a REST callback receives for one recipient's final state. */
export interface DeliveryEvent {
  event: 'delivery-report';
  /**
   * Unique per event and the same on every attempt, after a crash too (the report's Message-ID, derived
   * from the message and recipient: core/reports.ts): a receiver drops a redelivered event by it
   * (delivery is at-least-once).
   */
  eventId: string;
  messageId: string;
  recipient: string;
  state: 'delivered' | 'rejected' | 'failed' | 'expired' | 'read' | 'deleted';
  detail?: string;
  at: string;
}

/** 307/308 redirects a callback follows, each checked and pinned by the guard like the first URL. */
const MAX_REDIRECTS = 3;

/**
 * Delivery events of REST submissions, POSTed as JSON to the callbackUrl given with the message; throttled
 * with the VASP's delivery limits. The URL was chosen by a client, so the request goes through the outbound
 * guard: a URL (or a redirect) the guard refuses, e.g. a name that now resolves to a private address, is a
 * permanent refusal of that callback (never connected to). 2xx = done; 408, 429, 5xx and no answer are
 * retried; any other answer is a refusal (the URL is wrong: trying again would not help).
 */
export class CallbackRoute implements Route {
  readonly peer: string;
  readonly limits: Route['limits'];

  constructor(
    private readonly vasp: VaspConfig,
    private readonly o: { config: Config['mm7']; metrics: Metrics; log: Logger; guard: OutboundGuard },
  ) {
    this.peer = callbackPeer(vasp.id);
    this.limits = { rate: vasp.deliveryRate, burst: vasp.deliveryBurst, maxInFlight: vasp.deliveryMaxInFlight };
  }

  async send(d: Delivery): Promise<DeliveryResult> {
    const info = d.message.report;
    const url = info?.to.callbackUrl;
    if (!info || !url) return { status: 'rejected', detail: 'not a report with a callback URL' };
    const event: DeliveryEvent = {
      event: 'delivery-report',
      eventId: d.message.id,
      messageId: info.messageId,
      recipient: d.message.originator.address,
      state: info.status,
      at: new Date(info.at).toISOString(),
    };
    if (info.detail !== undefined) event.detail = info.detail;
    const log = this.o.log.child({ vasp: this.vasp.id, messageId: info.messageId, eventId: event.eventId });
    let status: number;
    try {
      const answer = await httpPost(url, { 'content-type': 'application/json' }, Buffer.from(JSON.stringify(event)), {
        timeoutMs: this.o.config.clientTimeoutMs,
        maxAnswerBytes: 64 * 1024,
        guard: this.o.guard,
        ...(this.vasp.callbackUrlPrefixes ? { prefixes: this.vasp.callbackUrlPrefixes } : {}),
        maxRedirects: MAX_REDIRECTS,
      });
      status = answer.status;
    } catch (err) {
      if (!(err instanceof HttpPostError)) throw err;
      if (err.code === 'REFUSED') {
        this.o.metrics.outboundRequests.inc({ operation: 'callback', status: 'refused' });
        log.warn({ detail: err.message }, 'callback URL refused by the outbound guard');
        return { status: 'rejected', detail: `callback URL refused: ${err.message}` };
      }
      this.o.metrics.outboundRequests.inc({ operation: 'callback', status: 'error' });
      log.info({ code: err.code, detail: err.message }, 'callback not reached');
      return { status: 'retry', error: `callback not reached: ${err.message}` };
    }
    this.o.metrics.outboundRequests.inc({ operation: 'callback', status: String(status) });
    if (isHttpSuccess(status)) return { status: 'delivered', detail: `callback answered HTTP ${status}` };
    if (isHttpRetryable(status)) return { status: 'retry', error: `callback answered HTTP ${status}` };
    log.info({ http: status }, 'callback refused');
    return { status: 'rejected', detail: `callback answered HTTP ${status}` };
  }
}
