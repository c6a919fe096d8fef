import type { Cluster, Redis } from 'ioredis';
import { THROTTLE_HORIZON_MS, type PeerLimits, type Throttle, type ThrottleGrant, type ThrottleLease } from '../../core/ports.js';
import { Batcher } from './batcher.js';
import type { KeySpace } from './keys.js';
import { script, type ScriptCall } from './scripts.js';

interface AcquireCall {
  leases: readonly ThrottleLease[];
  limits: PeerLimits;
}

/**
 * Per-peer token bucket and in-flight slots in Redis, shared by every instance. Calls for one peer in the
 * same turn of the event loop go as one Lua call (batcher.ts): an edge taking one slot per request (the MM7
 * intake) then costs one command per turn under load instead of two per request. A batch of acquires is
 * granted in call order, as one acquire with all their leases would be.
 */
export class RedisThrottle implements Throttle {
  private readonly acquireScript: ScriptCall;
  private readonly releaseScript: ScriptCall;
  private readonly acquires: Batcher<AcquireCall, ThrottleGrant>;
  private readonly releases: Batcher<string, undefined>;

  constructor(
    redis: Redis | Cluster,
    private readonly keys: KeySpace,
    private readonly now: () => number = Date.now,
  ) {
    this.acquireScript = script(redis, 'mmscThrottleAcquire');
    this.releaseScript = script(redis, 'mmscThrottleRelease');
    this.acquires = new Batcher((peer, calls) => this.acquireBatch(peer, calls), 64);
    this.releases = new Batcher(async (peer, leases) => {
      await this.releaseScript([this.keys.throttle(peer).slots], leases);
      return leases.map(() => undefined);
    });
  }

  async acquire(peer: string, leases: readonly ThrottleLease[], limits: PeerLimits): Promise<ThrottleGrant> {
    if (leases.length === 0) return { granted: 0, retryAfterMs: 0, waitMs: [] };
    return this.acquires.add(peer, { leases, limits });
  }

  /** One script call for the batch; the grant (the first g leases) is split back over the calls in order. */
  private async acquireBatch(peer: string, calls: AcquireCall[]): Promise<ThrottleGrant[]> {
    const k = this.keys.throttle(peer);
    // One peer has one set of limits; should callers disagree, the first call's apply to the batch.
    const limits = calls[0]!.limits;
    const args: (string | number)[] = [this.now(), limits.rate, limits.burst, limits.maxInFlight, THROTTLE_HORIZON_MS];
    for (const c of calls) for (const l of c.leases) args.push(l.lease, l.leaseUntil, l.cost ?? 1);
    const [granted, retryAfterMs, ...waitMs] = (await this.acquireScript([k.bucket, k.slots], args)) as number[];
    let offset = 0;
    return calls.map((c) => {
      const g = Math.max(0, Math.min(c.leases.length, granted! - offset));
      const grant = { granted: g, retryAfterMs: g < c.leases.length ? retryAfterMs! : 0, waitMs: waitMs.slice(offset, offset + g) };
      offset += c.leases.length;
      return grant;
    });
  }

  async release(peer: string, lease: string): Promise<void> {
    await this.releases.add(peer, lease);
  }

  async close(): Promise<void> {}
}
