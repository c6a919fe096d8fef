import type { CompleteState, ContentStage, LeasedJob, Queue } from '../core/ports.js';
import type { CoreMessage } from '../core/message.js';
import { BoundMembers } from './bound-members.js';
import type { Logger } from './logger.js';
import { maskAddress } from './mask.js';

/**
 * One log line per change of a recipient's state, whoever changes it (an edge accepting, a worker settling,
 * a handset or a peer's report completing, a VASP cancelling): the operator's "what happened to this
 * message" without the admin API, as Postfix's one `status=sent|deferred|bounced` line per recipient.
 * Stable fields: msg 'state', messageId, recipientIndex, recipient (masked by default: log.maskNumbers),
 * interface and peer (where the message came from when accepted; the route's peer afterwards), state,
 * detail. Written by decorating the store's queue, so no edge can forget a line and no edge writes one of
 * its own. Not logged: jobs a take finds expired (the store ends them inside the take, unseen here; they
 * are in the recipient's history and the final events).
 */
export interface StateLogOptions {
  /** Mask numbers in `recipient` (log.maskNumbers). */
  mask: boolean;
}

/** The interface of a route peer, from its name (`smpp:sim`, `mm4:peer`, `mm1:notify`, `callback:vasp`...). */
export function interfaceOf(peer: string): string {
  const prefix = peer.split(':', 1)[0] ?? peer;
  return prefix === 'callback' ? 'mm7' : prefix;
}

/**
 * The store with its queue wrapped (every other member is the store's own: `durable` stays live). Generic
 * rather than typed by src/store: ops does not depend on the store (.dependency-cruiser.mjs).
 */
export function logStates<S extends { queue: Queue }>(store: S, log: Logger, options: StateLogOptions): S {
  const queue = logQueueStates(store.queue, log, options);
  // Functions bound: a backend may be a class with private fields, which a call through the proxy could not reach.
  const members = new BoundMembers(store);
  return new Proxy(store, {
    get: (_target, key) => (key === 'queue' ? queue : members.get(key)),
    // The logged queue is fixed: an assignment would be lost silently (wrap the store's queue before logStates).
    set: (target, key, value) => key !== 'queue' && Reflect.set(target, key, value),
  });
}

/**
 * The queue with a line logged after each call that changes a state succeeds. A Proxy rather than a class,
 * so that a backend's methods beyond the Queue port still reach it.
 */
export function logQueueStates(queue: Queue, log: Logger, options: StateLogOptions): Queue {
  const who = (address: string | undefined): string | undefined =>
    address === undefined ? undefined : options.mask ? maskAddress(address) : address;
  const line = (fields: Record<string, unknown>): void => {
    log.info({ ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) }, 'state');
  };
  const ofJob = (job: LeasedJob, state: string, detail: string | undefined, extra: Record<string, unknown> = {}): void =>
    line({
      messageId: job.messageId,
      recipientIndex: job.recipientIndex,
      recipient: who(job.message.recipients[job.recipientIndex]?.address),
      interface: interfaceOf(job.peer),
      peer: job.peer,
      state,
      attempt: job.attempt,
      detail,
      ...extra,
    });

  const wrapped: Partial<Queue> = {
    enqueue: async (message: CoreMessage, content: readonly Buffer[] | ContentStage, peers: readonly string[]) => {
      await queue.enqueue(message, content, peers);
      message.recipients.forEach((r, i) =>
        line({
          messageId: message.id,
          recipientIndex: i,
          recipient: who(r.address),
          interface: message.origin.iface,
          peer: message.origin.peer,
          state: 'accepted',
          route: peers[i],
        }),
      );
    },
    ack: async (job: LeasedJob, state: 'delivered' | 'rejected' | 'failed', detail?: string) => {
      await queue.ack(job, state, detail);
      ofJob(job, state, detail);
    },
    retry: async (job: LeasedJob, error: string, delayMs: number) => {
      const state = await queue.retry(job, error, delayMs);
      ofJob(job, state, error, state === 'retrying' ? { retryInMs: delayMs } : {});
      return state;
    },
    wait: async (job: LeasedJob, detail: string, delayMs: number) => {
      const state = await queue.wait(job, detail, delayMs);
      ofJob(job, state, detail, { notifications: job.notifications + 1 });
      return state;
    },
    complete: async (messageId: string, recipientIndex: number, state: CompleteState, detail: string, o?: { report?: boolean }) => {
      const result = await queue.complete(messageId, recipientIndex, state, detail, o);
      if (result === 'completed') {
        // Ended from outside a worker: the recipient's address is in the message, read after answering the
        // caller (the line costs the caller no round trip).
        void queue.message(messageId).then(
          (m) => line({ messageId, recipientIndex, recipient: who(m?.recipients[recipientIndex]?.address), state, detail }),
          () => line({ messageId, recipientIndex, state, detail }),
        );
      }
      return result;
    },
    cancel: async (messageId: string, detail: string) => {
      const result = await queue.cancel(messageId, detail);
      if (result && result.cancelled > 0) line({ messageId, state: 'cancelled', recipients: result.cancelled, detail });
      return result;
    },
  };
  const members = new BoundMembers(queue);
  return new Proxy(queue, {
    get: (_target, key) => (typeof key === 'string' && key in wrapped ? wrapped[key as keyof Queue] : members.get(key)),
  });
}
