import { senderOptOut } from './consent.js';
import type { ConsentStore, LeasedJob, SubscriberStore } from './ports.js';
import type { CoreMessage } from './message.js';
import type { Route } from './router.js';
import { SMS_FALLBACK } from './sms-fallback.js';

/** The refusal of a recipient who opted out (STOP); the sender's events map it to the catalogue's opted-out. */
export const OPTED_OUT_DETAIL = 'recipient opted out (STOP)';

/** What the policy makes of a recipient's route: the route to use, a refusal (the job ends rejected), or none. */
export type RouteDecision = Route | { refuse: string } | undefined;

export interface SubscriberPolicyOptions {
  /** The subscribers' flags (opted out, text-only), shared by every instance. */
  subscribers: SubscriberStore;
  /** The text SMS route for an address (the SMPP edge's), for text-only subscribers; undefined: none. */
  textRoute: (address: string) => Route | undefined;
  /** Messages the flags do not apply to, besides reports (the SMPP edge's STOP/START confirmations). */
  exempt?: (message: CoreMessage) => boolean;
  /** The consent registry (issue 24): an opt-out from the message's sender refuses it too, whatever its class. */
  consent?: Pick<ConsentStore, 'get'>;
}

/**
 * The subscriber policy, decorating the route table's answer: subscriber flags decide last, on each delivery
 * attempt (they live in the store, which the synchronous route table does not ask). Nothing goes to a
 * subscriber who opted out (STOP): refused with the reason; a text-only subscriber gets the SMS fallback
 * instead of the table's route (the table's route when no SMSC serves it). Not concerned: reports (they
 * answer the subscriber's own message), recipients that are no phone number (short codes, e-mail), and the
 * exempt messages (the confirmation of a STOP itself).
 *
 * Returns the worker pool's `resolve` step (WorkerPoolOptions.resolve): a throw (the store cannot be
 * reached) is a retry there, so an opt-out holds while the flags cannot be read.
 */
export function subscriberPolicy(o: SubscriberPolicyOptions): (job: LeasedJob, route: Route | undefined) => Promise<RouteDecision> {
  return async (job, route) => {
    const m = job.message;
    const r = m.recipients[job.recipientIndex];
    if (m.report || !r || r.type !== 'plmn' || o.exempt?.(m)) return route;
    const flags = await o.subscribers.get(r.address);
    if (flags.optedOut) return { refuse: OPTED_OUT_DETAIL };
    const optOut = o.consent && (await senderOptOut(o.consent, m.originator.address, r.address));
    if (optOut) return { refuse: optOut };
    // A sender's API message that declines the SMS fallback (fallback.sms false) is tried as MMS all the same.
    if (flags.textOnly && m.sender?.fallback?.sms !== false) {
      const text = o.textRoute(r.address);
      return text ? asSmsFallback(text) : route;
    }
    return route;
  };
}

/** The text route, its deliveries marked as the SMS fallback (SMS_FALLBACK) for the sender's events. */
function asSmsFallback(text: Route): Route {
  return {
    peer: text.peer,
    limits: text.limits,
    send: async (d) => {
      const r = await text.send(d);
      return r.status === 'delivered'
        ? { status: 'delivered', detail: `${SMS_FALLBACK} (text-only subscriber): ${r.detail ?? 'sent'}` }
        : r;
    },
  };
}
