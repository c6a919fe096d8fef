import { THROTTLE_HORIZON_MS } from '../../core/ports.js';
import type { PeerLimits, Throttle, ThrottleGrant, ThrottleLease } from '../../core/ports.js';

/** retryAfterMs when the in-flight cap refused a delivery: slots free up as deliveries end (types.ts). */
const CAP_RETRY_MS = 20;

/**
 * The embedded per-peer throttle (contract in src/core/ports.ts), the same algorithm as the Redis one:
 * a token bucket in its GCRA form (virtual scheduling, ITU-T I.371). The peer's theoretical arrival time
 * TAT advances by one emission interval (1000 / rate ms) per delivery, and a delivery may go at
 * max(now, TAT - (burst - 1) * interval): a full bucket lets `burst` go at once, then one per interval.
 * A delivery of cost k (k tokens at once) may go when its last token conforms: at max(now, TAT + (k - 1) *
 * interval - (burst - 1) * interval), and advances TAT by k intervals (for k = 1, the rule above).
 * Deliveries are scheduled up to THROTTLE_HORIZON_MS ahead (the worker waits waitMs[i]); beyond that they
 * are refused. Each granted delivery holds an in-flight slot keyed by its lease token until it is released
 * or its lease ends (leaseUntil < now, as for the queue's leases), so a dead worker leaks no capacity.
 */
export class MemoryThrottle implements Throttle {
  private readonly now: () => number;
  /** peer -> TAT; a missing or past TAT means a full bucket. */
  private readonly tats = new Map<string, number>();
  /** peer -> lease token -> leaseUntil. */
  private readonly slots = new Map<string, Map<string, number>>();
  private closed = false;

  constructor(options: { now?: () => number } = {}) {
    this.now = options.now ?? Date.now;
  }

  async acquire(peer: string, leases: readonly ThrottleLease[], limits: PeerLimits): Promise<ThrottleGrant> {
    this.check();
    if (!(limits.rate > 0)) throw new RangeError(`throttle rate for ${peer} must be > 0 (got ${limits.rate})`);
    if (leases.length === 0) return { granted: 0, retryAfterMs: 0, waitMs: [] };
    const now = this.now();
    const interval = 1000 / limits.rate;
    const tolerance = (Math.max(1, limits.burst) - 1) * interval;
    let tat = Math.max(now, this.tats.get(peer) ?? now);

    let held = this.slots.get(peer);
    if (!held) {
      held = new Map();
      this.slots.set(peer, held);
    }
    for (const [lease, until] of held) if (until < now) held.delete(lease);
    const free = limits.maxInFlight - held.size;

    const waitMs: number[] = [];
    let next = 0; // the earliest time the first refused delivery could go
    while (waitMs.length < leases.length && waitMs.length < free) {
      const { lease, leaseUntil, cost = 1 } = leases[waitMs.length]!;
      const at = Math.max(now, tat + (cost - 1) * interval - tolerance);
      next = at;
      if (at - now > THROTTLE_HORIZON_MS) break;
      waitMs.push(Math.ceil(at - now));
      tat += cost * interval;
      held.set(lease, leaseUntil);
    }
    const granted = waitMs.length;
    // A TAT in the past is a full bucket, like no TAT: forget it so that idle peers cost nothing.
    if (tat > now) this.tats.set(peer, tat);
    else this.tats.delete(peer);
    if (held.size === 0) this.slots.delete(peer);

    let retryAfterMs = 0;
    if (granted < leases.length) {
      retryAfterMs =
        granted >= free
          ? CAP_RETRY_MS
          : // The next delivery may go at `next`: retry once that is within the horizon.
            Math.max(1, Math.ceil(next - now - THROTTLE_HORIZON_MS));
    }
    return { granted, retryAfterMs, waitMs };
  }

  async release(peer: string, lease: string): Promise<void> {
    this.check();
    const held = this.slots.get(peer);
    if (!held) return;
    held.delete(lease);
    if (held.size === 0) this.slots.delete(peer);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.tats.clear();
    this.slots.clear();
  }

  private check(): void {
    if (this.closed) throw new Error('throttle is closed');
  }
}
