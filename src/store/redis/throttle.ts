import type { Cluster, Redis } from 'ioredis';
import { THROTTLE_HORIZON_MS, type PeerLimits, type Throttle, type ThrottleGrant } from '../types.js';
import type { KeySpace } from './keys.js';
import { script, type ScriptCall } from './scripts.js';

/** Per-peer token bucket and in-flight slots in Redis: one Lua call per acquire, shared by every instance. */
export class RedisThrottle implements Throttle {
  private readonly acquireScript: ScriptCall;
  private readonly releaseScript: ScriptCall;

  constructor(
    redis: Redis | Cluster,
    private readonly keys: KeySpace,
    private readonly now: () => number = Date.now,
  ) {
    this.acquireScript = script(redis, 'mmscThrottleAcquire');
    this.releaseScript = script(redis, 'mmscThrottleRelease');
  }

  async acquire(peer: string, leases: readonly { lease: string; leaseUntil: number }[], limits: PeerLimits): Promise<ThrottleGrant> {
    if (leases.length === 0) return { granted: 0, retryAfterMs: 0, waitMs: [] };
    const k = this.keys.throttle(peer);
    const args: (string | number)[] = [this.now(), limits.rate, limits.burst, limits.maxInFlight, THROTTLE_HORIZON_MS];
    for (const l of leases) args.push(l.lease, l.leaseUntil);
    const [granted, retryAfterMs, ...waitMs] = (await this.acquireScript([k.bucket, k.slots], args)) as number[];
    return { granted: granted!, retryAfterMs: retryAfterMs!, waitMs };
  }

  async release(peer: string, lease: string): Promise<void> {
    await this.releaseScript([this.keys.throttle(peer).slots], [lease]);
  }

  async close(): Promise<void> {}
}
