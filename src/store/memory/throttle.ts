import type { PeerLimits, Throttle } from '../types.js';

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date. */
  at: number;
}

/**
 * The embedded per-peer throttle: a token bucket (refilling continuously at `rate` per second up to
 * `burst`, full at first) and in-flight slots keyed by lease token. A slot expires at its lease's end
 * (now >= leaseUntil), so a worker that died without releasing does not hold capacity for ever.
 */
export class MemoryThrottle implements Throttle {
  private readonly now: () => number;
  private readonly buckets = new Map<string, Bucket>();
  /** peer -> lease token -> leaseUntil. */
  private readonly slots = new Map<string, Map<string, number>>();
  private closed = false;

  constructor(options: { now?: () => number } = {}) {
    this.now = options.now ?? Date.now;
  }

  async acquire(
    peer: string,
    leases: readonly { lease: string; leaseUntil: number }[],
    limits: PeerLimits,
  ): Promise<{ granted: number; retryAfterMs: number }> {
    this.check();
    const { rate, burst, maxInFlight } = limits;
    // Without these no request could ever be granted, and retryAfterMs would be infinite.
    if (!(rate > 0) || !(burst >= 1) || !(maxInFlight >= 1)) {
      throw new RangeError(`throttle limits for ${peer} must have rate > 0, burst >= 1, maxInFlight >= 1`);
    }
    const now = this.now();

    let bucket = this.buckets.get(peer);
    if (!bucket) {
      bucket = { tokens: burst, at: now };
      this.buckets.set(peer, bucket);
    } else if (now > bucket.at) {
      bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) * rate) / 1000);
      bucket.at = now;
    }
    // A lowered burst takes effect at once.
    bucket.tokens = Math.min(bucket.tokens, burst);

    let held = this.slots.get(peer);
    if (!held) {
      held = new Map();
      this.slots.set(peer, held);
    }
    for (const [lease, until] of held) if (until <= now) held.delete(lease);

    const granted = Math.max(0, Math.min(leases.length, Math.floor(bucket.tokens), maxInFlight - held.size));
    bucket.tokens -= granted;
    for (let i = 0; i < granted; i++) held.set(leases[i].lease, leases[i].leaseUntil);
    if (held.size === 0) this.slots.delete(peer);

    if (granted === leases.length) return { granted, retryAfterMs: 0 };
    // The next grant needs both a whole token and a free slot: wait for whichever comes later.
    const tokenWait = bucket.tokens >= 1 ? 0 : Math.ceil(((1 - bucket.tokens) * 1000) / rate);
    let slotWait = 0;
    if (held.size >= maxInFlight) {
      let earliest = Infinity;
      for (const until of held.values()) earliest = Math.min(earliest, until);
      slotWait = earliest - now;
    }
    return { granted, retryAfterMs: Math.max(1, tokenWait, slotWait) };
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
    this.buckets.clear();
    this.slots.clear();
  }

  private check(): void {
    if (this.closed) throw new Error('throttle is closed');
  }
}
