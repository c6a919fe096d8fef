import { newMessageId } from '../core/message-id.js';
import { withThrottleSlot } from '../core/throttle-slot.js';
import type { Router } from '../core/router.js';
import type { VaspConfig } from '../ops/config.js';
import type { Logger } from '../ops/logger.js';
import type { Queue, Throttle } from '../core/ports.js';
import { Mm7Refusal } from './refusal.js';
import type { Submission } from './submit.js';

/** Peer id of a recipient without a route yet: the worker pool ends its job `rejected` (no route). */
export const UNROUTED = 'unrouted';

export type IntakeResult =
  | { ok: true; messageId: string; recipients: number }
  /** retryAfterMs: with 4006, when the VASP's throttle could take the next submission. */
  | { ok: false; status: number; text: string; retryAfterMs?: number };

export interface IntakeOptions {
  queue: Queue;
  throttle: Throttle;
  router: Router;
  log: Logger;
  /** How long a submission may hold its in-flight slot (the request timeout). */
  slotMs: number;
  now?: () => number;
}

/**
 * What every VASP-facing edge (MM7 SubmitReq, REST POST /v1/messages) does with a submission: take a slot
 * of the VASP's inbound throttle (rate, burst, concurrency shared by all instances), build the message,
 * route each recipient to its peer, enqueue, and say so only once it is stored. Refusals come back as MM7
 * status codes (the REST API maps them to HTTP).
 */
export class Intake {
  private readonly now: () => number;

  constructor(private readonly o: IntakeOptions) {
    this.now = o.now ?? Date.now;
  }

  /**
   * `build` turns the request into a message with the given id and clock; it may throw Mm7Refusal.
   * `messageId`: the id the edge chose already (it streamed the content into a stage under it).
   */
  async submit(vasp: VaspConfig, build: (messageId: string, now: number) => Submission, messageId?: string): Promise<IntakeResult> {
    const log = this.o.log.child({ vasp: vasp.id });
    const limits = { rate: vasp.rate, burst: vasp.burst, maxInFlight: vasp.maxInFlight };
    const r = await withThrottleSlot(this.o.throttle, `mm7-in:${vasp.id}`, limits, this.now() + this.o.slotMs, () =>
      this.store(build, messageId, log),
    );
    if (r.kind === 'unavailable') {
      // The store is unreachable: nothing can be queued either; the VASP retries.
      log.error({ err: r.error }, 'inbound throttle unavailable');
      return { ok: false, status: 3001, text: 'the message could not be stored; retry later' };
    }
    if (r.kind === 'throttled') {
      return {
        ok: false,
        status: 4006,
        text: `throughput limit of VASP ${vasp.id} reached: retry in ${r.retryAfterMs} ms`,
        retryAfterMs: r.retryAfterMs,
      };
    }
    return r.value;
  }

  /** Within the VASP's slot: builds, routes and enqueues the message. */
  private async store(
    build: (messageId: string, now: number) => Submission,
    messageId: string | undefined,
    log: Logger,
  ): Promise<IntakeResult> {
    const now = this.now();
    const id = messageId ?? newMessageId(now);
    let sub: Submission;
    try {
      sub = build(id, now);
    } catch (err) {
      if (!(err instanceof Mm7Refusal)) throw err;
      log.info({ status: err.status, detail: err.message }, 'submission refused');
      return { ok: false, status: err.status, text: err.message };
    }
    const peers = sub.message.recipients.map((_, i) => this.o.router.route(sub.message, i)?.peer ?? UNROUTED);
    try {
      await this.o.queue.enqueue(sub.message, sub.content, peers);
    } catch (err) {
      // Not stored, so not accepted: the VASP retries (3001 Not possible is a server-side, transient refusal).
      log.error({ err, messageId: id }, 'submission could not be queued');
      return { ok: false, status: 3001, text: 'the message could not be stored; retry later' };
    }
    log.info(
      {
        messageId: id,
        recipients: sub.message.recipients.length,
        iface: sub.message.origin.iface,
        ...(sub.sanitised?.length ? { sanitised: sub.sanitised } : {}),
      },
      'submission accepted',
    );
    return { ok: true, messageId: id, recipients: sub.message.recipients.length };
  }
}
