import type { CoreMessage } from './message.js';
import { REFUSALS, type RefusalCode } from './refusals.js';
import type { SenderEvent } from './sender-events.js';
import { viaSmsFallback } from './sms-fallback.js';
import { OPTED_OUT_DETAIL } from './subscriber-policy.js';
import { NO_ROUTE_DETAIL, type Outcome } from './worker-pool.js';

/**
 * What the core knows becomes the sender's events (issue 24) here: final states and delivery outcomes in, one
 * SenderEvent each out; the webhook side (src/rest/webhooks/) queues and POSTs them.
 */

/** A recipient's final state (as core/reports.ts FinalState: not imported, that module imports this one). */
type FinalState = 'delivered' | 'rejected' | 'failed' | 'expired';

/** Whether a message has sender events: a sender's API (REST) submission with a callbackUrl, not a report. */
export function hasSenderEvents(m: CoreMessage): boolean {
  return m.origin.iface === 'rest' && m.origin.callbackUrl !== undefined && m.report === undefined && m.ack === undefined;
}

/**
 * The catalogue code of a failure, when its detail says which: a detail written `<code>: ...` with a catalogue
 * code (the convention for refusals decided in the delivery path, e.g. consent), the subscriber policy's
 * opt-out (opted-out), no route (unroutable); an expiry is `expired`. Anything else (a peer's refusal in its
 * own words) has none: the detail says it.
 */
export function refusalCodeOf(state: FinalState, detail: string | undefined): RefusalCode | undefined {
  if (state === 'delivered') return undefined;
  if (detail !== undefined) {
    const prefix = /^([a-z][a-z-]*): /.exec(detail)?.[1];
    if (prefix !== undefined && Object.hasOwn(REFUSALS, prefix)) return prefix as RefusalCode;
    if (detail === OPTED_OUT_DETAIL) return 'opted-out';
    if (detail === NO_ROUTE_DETAIL) return 'unroutable';
  }
  return state === 'expired' ? 'expired' : undefined;
}

/** The event of a recipient's final state: delivered_as_sms when it went as the SMS fallback. */
export function finalEvent(recipientIndex: number, state: FinalState, at: number, detail?: string): SenderEvent {
  const type = state === 'delivered' && viaSmsFallback(detail) ? 'delivered_as_sms' : state;
  const event: SenderEvent = { type, recipientIndex, at };
  const code = refusalCodeOf(state, detail);
  if (code !== undefined) event.code = code;
  if (detail !== undefined) event.detail = detail;
  return event;
}

/**
 * The events a delivery attempt's outcome (WorkerPool 'outcome') stands for: `queued` when a scheduled
 * message (earliestDeliveryAt) gets its first attempt, `notified` when the handset was sent its push (the
 * job waits `notified`). Final states are not here: they come from the store's final events, durably.
 */
export function outcomeEvents(o: Outcome, at: number): SenderEvent[] {
  const m = o.job.message;
  if (!hasSenderEvents(m)) return [];
  const recipientIndex = o.job.recipientIndex;
  const events: SenderEvent[] = [];
  if (o.job.attempt === 1 && m.earliestDeliveryAt !== undefined) events.push({ type: 'queued', recipientIndex, at });
  if (o.state === 'notified') {
    const event: SenderEvent = { type: 'notified', recipientIndex, at };
    if (o.detail !== undefined) event.detail = o.detail;
    events.push(event);
  }
  return events;
}
