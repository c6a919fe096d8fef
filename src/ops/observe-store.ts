import type { CoreMessage } from '../core/message.js';
import type { LeasedJob, Queue, Throttle, ThrottleGrant, ThrottleLease, PeerLimits } from '../core/ports.js';
import { BoundMembers } from './bound-members.js';
import { type FlowMetrics, throttleLabel } from './metrics-flow.js';

/**
 * The store, seen by the metrics: a queue and a throttle that behave exactly as the ones they wrap and
 * count what passes through them. Every final state goes through the queue (a worker's ack or its last
 * retry, the handset's or a peer's report through complete), and every throttle decision through
 * acquire, so observing here covers every edge without a line in any of them.
 *
 * Not seen: recipients the store itself ends `expired` while no worker holds them (Queue.take skips them),
 * and cancellations; they are in the store's history (admin trace) but not in the end-to-end histogram.
 */
export function observeQueue(queue: Queue, flow: FlowMetrics, now: () => number = Date.now): Queue {
  const final = (message: CoreMessage, state: string): void => flow.final(message, state, now());
  const observed: Partial<Queue> = {
    ack: async (job, state, detail) => {
      await queue.ack(job, state, detail);
      final(job.message, state);
    },
    retry: async (job: LeasedJob, error: string, delayMs: number) => {
      const state = await queue.retry(job, error, delayMs);
      if (state !== 'retrying') final(job.message, state);
      if (state === 'failed') flow.deadLettersAdded.inc({ peer: job.peer });
      return state;
    },
    wait: async (job: LeasedJob, detail: string, delayMs: number) => {
      const state = await queue.wait(job, detail, delayMs);
      if (state === 'expired') final(job.message, state);
      return state;
    },
    complete: async (messageId, recipientIndex, state, detail, options) => {
      const r = await queue.complete(messageId, recipientIndex, state, detail, options);
      // The caller has no job, hence no message: read it after answering, never holding the caller up
      // (one read per completion; a failed read only loses the observation).
      if (r === 'completed') {
        const at = now();
        void queue.message(messageId).then(
          (m) => m && flow.final(m, state, at),
          () => undefined,
        );
      }
      return r;
    },
  };
  // A Proxy rather than a class listing every method: methods added to Queue later (per-peer stats, admin
  // actions) pass through untouched.
  const members = new BoundMembers(queue);
  return new Proxy(queue, {
    get(_target, prop) {
      const own = (observed as Record<PropertyKey, unknown>)[prop];
      return own !== undefined ? own : members.get(prop);
    },
  });
}

/** A throttle counting the waits it schedules and the slots it refuses, per throttle key (throttleLabel). */
export class ObservedThrottle implements Throttle {
  constructor(
    private readonly throttle: Throttle,
    private readonly flow: FlowMetrics,
  ) {}

  async acquire(peer: string, leases: readonly ThrottleLease[], limits: PeerLimits): Promise<ThrottleGrant> {
    const grant = await this.throttle.acquire(peer, leases, limits);
    const label = { peer: throttleLabel(peer) };
    for (let i = 0; i < grant.granted; i++) this.flow.throttleWait.observe(label, (grant.waitMs[i] ?? 0) / 1000);
    if (grant.granted < leases.length) this.flow.throttleDeferred.inc(label, leases.length - grant.granted);
    return grant;
  }

  release(peer: string, lease: string): Promise<void> {
    return this.throttle.release(peer, lease);
  }

  close(): Promise<void> {
    return this.throttle.close();
  }
}
