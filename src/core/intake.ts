import type { Logger } from 'pino';
import { checkParts, type IntakeContentCheck } from './content-check.js';
import type { ContentStage, PeerLimits, Queue, Throttle } from './ports.js';
import type { CoreMessage, Recipient } from './message.js';
import { newMessageId } from './message-id.js';
import { Refusal } from './refusals.js';
import type { Router } from './router.js';
import { withThrottleSlot } from './throttle-slot.js';

/** Peer id of a recipient without a route yet: the worker pool ends its job `rejected` (no route). */
export const UNROUTED = 'unrouted';

/**
 * Who a submission comes from, for its inbound budget: the account, not the interface (MM7 and REST share
 * their VASP's budget).
 */
export interface InboundPeer {
  kind: InboundKind;
  id: string;
}

/**
 * Per kind of sender: the prefix of its throttle key (the key strings in Redis stay what they were before the
 * edges shared this service, so that limits in force keep their meaning across an upgrade), and the detail
 * of a `throttled` refusal (MM7's StatusText names the VASP and the wait in ms; a handset's user reads
 * seconds).
 */
const INBOUND = {
  /** A VASP over MM7 SubmitReq or REST POST /v1/messages. */
  vasp: { prefix: 'mm7-in', throttled: (id: string, ms: number) => `throughput limit of VASP ${id} reached: retry in ${ms} ms` },
  /** A handset's m-send-req (MM1). */
  subscriber: {
    prefix: 'mm1-sub',
    throttled: (_id: string, ms: number) => `too many messages from this subscriber; retry in ${seconds(ms)} s`,
  },
  /** An SMSC's MO texts (SMPP deliver_sm). */
  smsc: { prefix: 'smpp-in', throttled: (id: string, ms: number) => `throughput limit of SMSC ${id} reached: retry in ${ms} ms` },
  /** A peer carrier's MM4 forwards. */
  carrier: { prefix: 'mm4-in', throttled: (id: string, ms: number) => `throughput limit of MM4 peer ${id} reached: retry in ${ms} ms` },
  /** Internet mail handed over by the operator's mail relays (MM3): one budget for all of it. */
  mailRelay: { prefix: 'mm3-in', throttled: (_id: string, ms: number) => `inbound e-mail limit reached: retry in ${ms} ms` },
} as const satisfies Record<string, { prefix: string; throttled: (id: string, retryAfterMs: number) => string }>;

export type InboundKind = keyof typeof INBOUND;

/** The key of a sender's inbound throttle (e.g. `mm7-in:<vasp id>`, `mm1-sub:<msisdn>`). */
export function throttleKey(peer: InboundPeer): string {
  return `${INBOUND[peer.kind].prefix}:${peer.id}`;
}

/**
 * What to do with a recipient no route reaches:
 * - `enqueue-rejected`: accept the message; the recipient's job goes to peer UNROUTED, which the worker ends
 *   `rejected` with a report (MM7, REST: the VASP learns it per recipient, as for any delivery failure);
 * - `refuse`: refuse the whole submission, `unroutable` (MM1: the handset's user must know now,
 *   OMA-TS-MMS_ENC §7.3.48 Error-sending-address-unresolved; SMPP MO: the text is dropped).
 */
export type UnroutablePolicy = 'enqueue-rejected' | 'refuse';

/** What an edge stores for one submission, as its `build` makes it (with buildMessage). */
export interface Submission {
  message: CoreMessage;
  /** The parts, or the stage they were streamed into while the request arrived. */
  content: readonly Buffer[] | ContentStage;
  /** What core/sanitise.ts changed to make the message deliverable (logged here). */
  sanitised?: string[];
}

export interface SubmitRequest {
  from: InboundPeer;
  /** The sender's inbound limit; undefined: not throttled. */
  throttle?: InboundThrottle | undefined;
  unroutable: UnroutablePolicy;
  /** The id the edge chose already (it streamed the content into a stage under it); default: a new one. */
  messageId?: string | undefined;
  /**
   * Turns the request into the message with the given id and clock, within the sender's slot; it may throw a
   * Refusal (answered as such); any other error is rethrown by `submit`.
   */
  build(messageId: string, now: number): Submission;
}

export interface InboundThrottle {
  /** Rate, burst and in-flight cap, shared by every instance. */
  limits: PeerLimits;
  /** Tokens the submission takes from the sender's bucket at once (a handset's: one per recipient). */
  cost?: number;
  /** How long the submission may hold its in-flight slot (the edge's request timeout). */
  slotMs: number;
}

export type IntakeResult =
  | { ok: true; messageId: string; recipients: number }
  /** `recipient`: with `unroutable`, the one no route reaches. `details`: what a screen adds (e.g. `recipients`). */
  | { ok: false; refusal: Refusal; recipient?: Recipient; details?: Record<string, unknown> };

/**
 * A check of the built message before it is stored (the consent registry: issue 24, core/consent.ts): a
 * refusal, with details for the answer, or undefined to go on. A throw (the store cannot be reached) refuses
 * the submission store-unavailable.
 */
export type IntakeScreen = (
  message: CoreMessage,
  from: InboundPeer,
) => Promise<{ refusal: Refusal; details?: Record<string, unknown> } | undefined>;

export interface IntakeOptions {
  queue: Queue;
  throttle: Throttle;
  router: Router;
  log: Logger;
  now?: () => number;
  /** Checks each built message before it is stored (consent); none: every message goes on. */
  screen?: IntakeScreen;
  /** Checks every part's bytes against its declared type and the allowed types (issue 25); none: not checked. */
  content?: IntakeContentCheck;
}

/**
 * The one way any edge accepts a message (MM7 SubmitReq, REST POST /v1/messages, MM1 m-send-req, SMPP MO,
 * next MM4): take a slot of the sender's inbound throttle (rate, burst, concurrency shared by all
 * instances), build the message, route each recipient, enqueue, and say so only once it is stored.
 * Refusals are catalogue codes (core/refusals.ts) that each edge answers in its own vocabulary.
 */
export class Intake {
  private readonly now: () => number;

  constructor(private readonly o: IntakeOptions) {
    this.now = o.now ?? Date.now;
  }

  async submit(req: SubmitRequest): Promise<IntakeResult> {
    const { from } = req;
    const log = this.o.log.child({ [from.kind]: from.id });
    const limit = req.throttle;
    if (!limit) return this.store(req, log);
    const leaseUntil = this.now() + limit.slotMs;
    const r = await withThrottleSlot(this.o.throttle, throttleKey(from), limit.limits, leaseUntil, () => this.store(req, log), limit.cost);
    if (r.kind === 'unavailable') {
      // The store is unreachable: nothing can be queued either; the sender retries.
      log.error({ err: r.error }, 'inbound throttle unavailable');
      return { ok: false, refusal: new Refusal('store-unavailable') };
    }
    if (r.kind === 'throttled') {
      log.info({ retryAfterMs: r.retryAfterMs }, 'submission refused: over the inbound limit');
      const text = INBOUND[from.kind].throttled(from.id, r.retryAfterMs);
      return { ok: false, refusal: new Refusal('throttled', text, r.retryAfterMs) };
    }
    return r.value;
  }

  /** Within the sender's slot: builds, routes and enqueues the message. */
  private async store(req: SubmitRequest, log: Logger): Promise<IntakeResult> {
    const now = this.now();
    const id = req.messageId ?? newMessageId(now);
    let sub: Submission;
    try {
      sub = req.build(id, now);
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      log.info({ refusal: err.code, detail: err.message }, 'submission refused');
      return { ok: false, refusal: err };
    }
    if (this.o.content) {
      const refused = await checkParts(sub.message, sub.content, this.o.content, log);
      if (refused) {
        // Nothing of it is kept: what was streamed into the stage goes now, not at its TTL.
        if (!Array.isArray(sub.content)) await (sub.content as ContentStage).discard().catch(() => undefined);
        return { ok: false, refusal: refused };
      }
    }
    // The portability lookup (number -> network) before routing; it records the answer on the recipients.
    const message = this.o.router.prepare ? await this.o.router.prepare(sub.message) : sub.message;
    const peers: string[] = [];
    for (let i = 0; i < message.recipients.length; i++) {
      const peer = this.o.router.route(message, i)?.peer;
      if (peer !== undefined) peers.push(peer);
      else if (req.unroutable === 'enqueue-rejected') peers.push(UNROUTED);
      else {
        // Refused before anything is stored: the sender learns it in the answer.
        const recipient = message.recipients[i]!;
        log.info({ recipientType: recipient.type }, 'submission refused: a recipient has no route');
        const refusal = new Refusal('unroutable', `recipient ${recipient.address} cannot be reached from this MMSC`);
        return { ok: false, refusal, recipient };
      }
    }
    if (this.o.screen) {
      let screened: Awaited<ReturnType<IntakeScreen>>;
      try {
        screened = await this.o.screen(message, req.from);
      } catch (err) {
        log.error({ err, messageId: id }, 'submission could not be screened');
        return { ok: false, refusal: new Refusal('store-unavailable') };
      }
      if (screened) return { ok: false, refusal: screened.refusal, ...(screened.details ? { details: screened.details } : {}) };
    }
    try {
      await this.o.queue.enqueue(message, sub.content, peers);
    } catch (err) {
      // Not stored (unreachable, or full), so not accepted: a transient refusal; the sender retries.
      log.error({ err, messageId: id }, 'submission could not be queued');
      return { ok: false, refusal: new Refusal('store-unavailable') };
    }
    log.info(
      {
        messageId: id,
        recipients: message.recipients.length,
        iface: message.origin.iface,
        ...(sub.sanitised?.length ? { sanitised: sub.sanitised } : {}),
      },
      'submission accepted',
    );
    return { ok: true, messageId: id, recipients: message.recipients.length };
  }
}

/** A wait in whole seconds, at least one (what a user is told; HTTP Retry-After rounds the same way). */
function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
