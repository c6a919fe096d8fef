import { randomUUID } from 'node:crypto';
import type { PeerLimits, Throttle, ThrottleGrant } from './ports.js';

/** What came of running work in one slot of a peer's throttle. */
export type SlotResult<T> =
  | { kind: 'done'; value: T }
  /** Over the peer's limits: the sender may try again after `retryAfterMs`. */
  | { kind: 'throttled'; retryAfterMs: number }
  /** The throttle's store cannot be reached (nothing could be stored either). */
  | { kind: 'unavailable'; error: unknown };

/**
 * Runs `work` in one slot of `peer`'s throttle (rate, burst and in-flight cap, shared by every instance), as
 * the inbound edges do for each submission (a VASP's, a handset's): waits the few ms the throttle schedules
 * the slot ahead, and gives the slot back when the work ends, thrown or not (a slot whose holder died frees
 * itself at `leaseUntil`). An error of `work` is rethrown. `cost`: the tokens the work takes from the peer's
 * bucket at once (an m-send-req costs one per recipient); one slot whatever the cost.
 */
export async function withThrottleSlot<T>(
  throttle: Throttle,
  peer: string,
  limits: PeerLimits,
  leaseUntil: number,
  work: () => Promise<T>,
  cost = 1,
): Promise<SlotResult<T>> {
  const lease = randomUUID();
  let grant: ThrottleGrant;
  try {
    grant = await throttle.acquire(peer, [{ lease, leaseUntil, cost }], limits);
  } catch (error) {
    return { kind: 'unavailable', error };
  }
  if (grant.granted === 0) return { kind: 'throttled', retryAfterMs: grant.retryAfterMs };
  try {
    if (grant.waitMs[0]) await new Promise((r) => setTimeout(r, grant.waitMs[0]));
    return { kind: 'done', value: await work() };
  } finally {
    await throttle.release(peer, lease).catch(() => undefined);
  }
}
