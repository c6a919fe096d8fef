import type { Delivery, DeliveryResult, Route } from '../core/router.js';
import type { Config, VaspConfig } from '../ops/config.js';
import { httpPost, HttpPostError } from '../transport/http-post.js';
import type { Logger } from '../ops/logger.js';
import type { Metrics } from '../ops/metrics.js';
import type { OutboundGuard } from '../transport/outbound-guard.js';
import { isHttpRetryable, isHttpSuccess } from '../transport/http-status.js';
import { webhookBody } from '../rest/webhooks/body.js';
import { webhookRetryDelay } from '../rest/webhooks/retry.js';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, signatureHeader } from '../rest/webhooks/signature.js';

/** Queue/throttle peer id of the REST callbacks of a VASP. */
export function callbackPeer(vaspId: string): string {
  return `callback:${vaspId}`;
}

/** 307/308 redirects a callback follows, each checked and pinned by the guard like the first URL. */
const MAX_REDIRECTS = 3;

/** From this attempt on an event goes to the failover URL, when there is one (the callbackUrl failed twice). */
export const FAILOVER_FROM_ATTEMPT = 3;

/**
 * The sender's events (webhooks: docs/webhooks.md) of REST submissions, POSTed as JSON (src/rest/webhooks/
 * body.ts) to the callbackUrl given with the message, signed with the account's webhookSecrets
 * (Mmsc-Signature), throttled with the VASP's delivery limits. The URL was chosen by a client, so the request
 * goes through the outbound guard: a URL (or a redirect) the guard refuses, e.g. a name that now resolves to
 * a private address, is a permanent refusal of that event (never connected to). 2xx = done; 408, 429, 5xx and
 * no answer are retried, spread over the event's lifetime (api.webhooks.retryForMs: src/rest/webhooks/
 * retry.ts); any other answer is a refusal (the URL is wrong: trying again would not help). From the
 * FAILOVER_FROM_ATTEMPT-th attempt on, attempts go to the failover URL (the message's, else the account's
 * webhookFailoverUrl) when there is one.
 */
export class CallbackRoute implements Route {
  readonly peer: string;
  readonly limits: Route['limits'];

  constructor(
    private readonly vasp: VaspConfig,
    private readonly o: { config: Config['mm7']; metrics: Metrics; log: Logger; guard: OutboundGuard; now?: () => number },
  ) {
    this.peer = callbackPeer(vasp.id);
    this.limits = { rate: vasp.deliveryRate, burst: vasp.deliveryBurst, maxInFlight: vasp.deliveryMaxInFlight };
  }

  async send(d: Delivery): Promise<DeliveryResult> {
    const info = d.message.report;
    const primary = info?.to.callbackUrl;
    const event = webhookBody(d.message);
    if (!info || !primary || !event) return { status: 'rejected', detail: 'not a report with a callback URL' };
    const failover = this.failoverUrl(d);
    const url = failover ?? primary;
    const target = failover ? 'failover URL' : 'callback URL';
    const raw = Buffer.from(JSON.stringify(event));
    const now = (this.o.now ?? Date.now)();
    const headers: Record<string, string> = { 'content-type': 'application/json', [EVENT_ID_HEADER]: event.eventId };
    const secrets = this.vasp.webhookSecrets ?? [];
    if (secrets.length > 0) headers[SIGNATURE_HEADER] = signatureHeader(secrets, Math.floor(now / 1000), raw);
    const log = this.o.log.child({ vasp: this.vasp.id, messageId: info.messageId, eventId: event.eventId, attempt: d.attempt });
    // The account's prefixes bound the URLs its clients give; the operator's own failover URL is not one.
    const prefixes =
      url === this.vasp.webhookFailoverUrl && url !== d.message.origin.failoverUrl ? undefined : this.vasp.callbackUrlPrefixes;
    let status: number;
    try {
      const answer = await httpPost(url, headers, raw, {
        timeoutMs: this.o.config.clientTimeoutMs,
        maxAnswerBytes: 64 * 1024,
        guard: this.o.guard,
        ...(prefixes ? { prefixes } : {}),
        maxRedirects: MAX_REDIRECTS,
      });
      status = answer.status;
    } catch (err) {
      if (!(err instanceof HttpPostError)) throw err;
      if (err.code === 'REFUSED') {
        this.o.metrics.outboundRequests.inc({ operation: 'callback', status: 'refused' });
        this.o.metrics.webhookDeliveries.inc({ outcome: 'rejected' });
        log.warn({ detail: err.message, target }, 'callback URL refused by the outbound guard');
        return { status: 'rejected', detail: `${target} refused: ${err.message}` };
      }
      this.o.metrics.outboundRequests.inc({ operation: 'callback', status: 'error' });
      log.info({ code: err.code, detail: err.message, target }, 'callback not reached');
      return this.retryLater(d, now, `${target} not reached: ${err.message}`);
    }
    this.o.metrics.outboundRequests.inc({ operation: 'callback', status: String(status) });
    if (isHttpSuccess(status)) {
      this.o.metrics.webhookDeliveries.inc({ outcome: 'delivered' });
      return { status: 'delivered', detail: `${target} answered HTTP ${status}` };
    }
    if (isHttpRetryable(status)) return this.retryLater(d, now, `${target} answered HTTP ${status}`);
    this.o.metrics.webhookDeliveries.inc({ outcome: 'rejected' });
    log.info({ http: status, target }, 'callback refused');
    return { status: 'rejected', detail: `${target} answered HTTP ${status}` };
  }

  /** The failover URL for this attempt: from FAILOVER_FROM_ATTEMPT on, the message's or the account's. */
  private failoverUrl(d: Delivery): string | undefined {
    if (d.attempt < FAILOVER_FROM_ATTEMPT) return undefined;
    return d.message.origin.failoverUrl ?? this.vasp.webhookFailoverUrl;
  }

  // Not named `retry`: the worker pool tells a route from a { retry } decision by that key.
  private retryLater(d: Delivery, now: number, error: string): DeliveryResult {
    this.o.metrics.webhookDeliveries.inc({ outcome: 'retry' });
    if (d.maxAttempts === undefined) return { status: 'retry', error };
    const retryAfterMs = webhookRetryDelay({ attempt: d.attempt, maxAttempts: d.maxAttempts, now, expiresAt: d.message.expiresAt });
    return { status: 'retry', error, retryAfterMs };
  }
}
