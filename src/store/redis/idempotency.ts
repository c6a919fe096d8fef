import type { Cluster, Redis } from 'ioredis';
import type { IdempotencyClaim, IdempotencyStore } from '../../core/ports.js';
import type { KeySpace } from './keys.js';
import { script, type ScriptCall } from './scripts.js';

/**
 * Idempotency records as plain keys with a TTL (keys.ts: `{i:<scope>:<key>}`), claimed by one script
 * (lua/claim-1.lua): shared by every instance, durable as the queue is (the claim is answered before the
 * message it names is enqueued, so a message never exists without its record while the record lives).
 */
export class RedisIdempotency implements IdempotencyStore {
  private readonly claimScript: ScriptCall;
  private readonly releaseScript: ScriptCall;

  constructor(
    redis: Redis | Cluster,
    private readonly keys: KeySpace,
  ) {
    this.claimScript = script(redis, 'mmscClaim');
    this.releaseScript = script(redis, 'mmscRelease');
  }

  async claim(scope: string, key: string, value: string, ttlMs: number): Promise<IdempotencyClaim> {
    const [recorded, v] = (await this.claimScript([this.keys.idempotency(scope, key)], [value, Math.max(1, Math.round(ttlMs))])) as [
      number,
      string,
    ];
    return { value: String(v), first: Number(recorded) === 1 };
  }

  async release(scope: string, key: string, value: string): Promise<void> {
    await this.releaseScript([this.keys.idempotency(scope, key)], [value]);
  }
}
