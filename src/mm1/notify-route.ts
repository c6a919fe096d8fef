import { adaptedNote, adaptedSize, type RecipientAdapter, refusedDetail } from '../adapt/recipient.js';
import type { Delivery, DeliveryResult, Route } from '../core/router.js';
import { SMS_FALLBACK } from '../core/sms-fallback.js';
import type { Mm1Config } from '../ops/config.js';
import type { Logger } from '../ops/logger.js';
import type { Metrics } from '../ops/metrics.js';
import { notificationFor } from './pdus.js';
import { PushFailure, type WapPusher } from './pusher.js';
import type { Tokens } from './tokens.js';

/** Queue/throttle peer of notifications to local handsets. */
export const NOTIFY_PEER = 'mm1:notify';

export interface NotifyRouteOptions {
  config: Mm1Config;
  tokens: Tokens;
  pusher: WapPusher;
  /** The text SMS route for the SMS fallback (undefined: no SMSC serves the address). */
  textRoute: (address: string) => Route | undefined;
  /** The recipient's capabilities and the content adapted for them (src/adapt/: once per message and class). */
  adapter: RecipientAdapter;
  metrics: Metrics;
  log: Logger;
  now?: () => number;
}

/**
 * Delivery to a local handset (OMA-TS-MMS_CTR §6.1): push an m-notification-ind whose Content-Location
 * carries the recipient's retrieval token, then wait: the result is `waiting`, and the job stays `notified`
 * until the handset retrieves and acknowledges it (the MM1 server ends it with queue.complete). Every
 * renotifyMs it is notified again, up to maxPushes notifications: pushes that reached the bearer, counted by
 * the queue (Delivery.notifications); a push the bearer could not take (SMSC or PPG down) is a `retry` and
 * uses an attempt (queue.maxAttempts), not a notification. A message not retrieved within fallbackAfterMs,
 * or whose push the bearer refuses for good, goes as a text SMS with a web-view link when the fallback is
 * configured (fallbackAfterMs > 0) and an SMSC serves the recipient; one never retrieved ends `expired` at
 * its expiry (the store's sweep), and its originator's report says so.
 */
export class NotifyRoute implements Route {
  readonly peer = NOTIFY_PEER;
  readonly limits: Route['limits'];
  private readonly now: () => number;

  constructor(private readonly o: NotifyRouteOptions) {
    this.limits = { rate: o.config.pushRate, burst: Math.max(1, Math.ceil(o.config.pushRate)), maxInFlight: o.config.pushMaxInFlight };
    this.now = o.now ?? Date.now;
  }

  async send(d: Delivery): Promise<DeliveryResult> {
    const m = d.message;
    const to = m.recipients[d.recipientIndex]!;
    const now = this.now();
    // A sender's API message may decline the fallback (SenderOptions.fallback.sms false): an MMS or nothing.
    const fallbackAt =
      this.o.config.fallbackAfterMs > 0 && m.sender?.fallback?.sms !== false
        ? (m.earliestDeliveryAt ?? m.receivedAt) + this.o.config.fallbackAfterMs
        : undefined;
    if (fallbackAt !== undefined && now >= fallbackAt) {
      const text = this.o.textRoute(to.address);
      if (text) return this.fallback(d, text, 'timeout', `not retrieved within ${Math.round(this.o.config.fallbackAfterMs / 1000)} s`);
    }
    // The handset's capabilities (UAProf, User-Agent class, default; bounded by route caps), then the content
    // for its class: adapted once per message and class, whoever asks (this notification, the retrieval).
    const caps = await this.o.adapter.capabilities(m, d.recipientIndex, this.peer);
    if (caps.textOnly && m.sender?.fallback?.sms !== false) {
      // A UAProf without MMS characteristics: the handset cannot show an MMS, the text SMS is what it can get.
      const text = this.o.textRoute(to.address);
      if (text) return this.fallback(d, text, 'text-only', 'the handset takes no MMS (its UAProf has no MMS characteristics)');
    }
    const adapted = await this.o.adapter.content(m, d.recipientIndex, caps, () => d.content());
    if (!adapted.ok) return { status: 'rejected', detail: refusedDetail(adapted) };
    const waiting = (notifications: number, detail: string): DeliveryResult => {
      // The next look at this job: a re-notification while some are left, the fallback when an SMSC can send
      // it; neither: none (the store ends the job at its expiry, the handset may fetch it until then).
      const renotifyAt = notifications < this.o.config.maxPushes ? now + this.o.config.renotifyMs : Infinity;
      const fallback = fallbackAt !== undefined && fallbackAt > now && this.o.textRoute(to.address) ? fallbackAt : Infinity;
      const at = Math.min(renotifyAt, fallback);
      return at === Infinity ? { status: 'waiting', detail } : { status: 'waiting', detail, retryAfterMs: Math.max(1, at - now) };
    };
    // Looked at again after the last notification (its fallback time came, but no SMSC serves it now; a
    // ReplaceReq moved it): nothing to send, wait on. (This wait counts as a notification too.)
    const told = d.notifications ?? 0;
    if (told >= this.o.config.maxPushes) return waiting(told, `notified ${told} times; awaiting retrieval`);
    const nth = told + 1;
    const token = this.o.tokens.retrieval(m.id, d.recipientIndex);
    const notification = notificationFor(m, adaptedSize(adapted), {
      transactionId: this.o.tokens.transaction(m.id, d.recipientIndex),
      contentLocation: `${this.o.config.publicUrl}/r/${token}`,
      now,
    });
    let sent: string;
    try {
      sent = await this.o.pusher.push(to.address, notification, {
        messageId: m.id,
        recipientIndex: d.recipientIndex,
        expiresAt: m.expiresAt,
      });
    } catch (err) {
      if (!(err instanceof PushFailure)) throw err;
      this.o.metrics.mm1Pushes.inc({ pdu: 'm-notification-ind', result: err.transient ? 'transient' : 'permanent' });
      if (err.transient) return { status: 'retry', error: `notification ${nth} not pushed: ${err.message}` };
      const text = fallbackAt !== undefined ? this.o.textRoute(to.address) : undefined;
      if (text) return this.fallback(d, text, 'push-failed', `push refused: ${err.message}`);
      return { status: 'rejected', detail: `notification cannot be pushed: ${err.message}` };
    }
    this.o.metrics.mm1Pushes.inc({ pdu: 'm-notification-ind', result: 'sent' });
    const note = adaptedNote(adapted);
    return waiting(nth, `notification ${nth} ${sent}; awaiting retrieval${note ? `; ${note}` : ''}`);
  }

  private async fallback(d: Delivery, text: Route, trigger: 'timeout' | 'push-failed' | 'text-only', why: string): Promise<DeliveryResult> {
    const r = await text.send(d);
    this.o.metrics.mm1Fallbacks.inc({ trigger, result: r.status });
    this.o.log.info({ messageId: d.message.id, recipient: d.recipientIndex, trigger, why, result: r.status }, 'SMS fallback');
    if (r.status === 'delivered') return { status: 'delivered', detail: `${SMS_FALLBACK} (${why}): ${r.detail ?? 'sent'}` };
    if (r.status === 'rejected') return { status: 'rejected', detail: `${SMS_FALLBACK} (${why}) refused: ${r.detail}` };
    if (r.status === 'waiting') return r; // a text route does not wait; passed on should one ever
    return {
      status: 'retry',
      error: `${SMS_FALLBACK} (${why}) not sent: ${r.error}`,
      ...(r.retryAfterMs !== undefined ? { retryAfterMs: r.retryAfterMs } : {}),
    };
  }
}
