import { createHash } from 'node:crypto';
import type { IdempotencyClaim, IdempotencyStore } from '../../core/ports.js';

/** Records kept at most, by default: a few hundred bytes each (a long key is kept as its hash). */
export const MEMORY_IDEMPOTENCY_MAX = 100_000;

/**
 * Idempotency records in this process. Bounded: at most `max` records; when full, the oldest goes first
 * (so a retry that comes after `max` newer requests is no longer recognised: the embedded store is for
 * development, one process). Expired records are dropped when met: at the front of the map (insertion
 * order, roughly expiry order) on each claim, and when read.
 */
export class MemoryIdempotency implements IdempotencyStore {
  private readonly records = new Map<string, { value: string; until: number }>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly max = MEMORY_IDEMPOTENCY_MAX,
  ) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`max must be a positive integer, got ${max}`);
  }

  async claim(scope: string, key: string, value: string, ttlMs: number): Promise<IdempotencyClaim> {
    const now = this.now();
    const k = recordKey(scope, key);
    const live = this.records.get(k);
    if (live && live.until > now) return { value: live.value, first: false };
    if (live) this.records.delete(k);
    for (const [old, r] of this.records) {
      if (r.until > now && this.records.size < this.max) break;
      this.records.delete(old);
    }
    this.records.set(k, { value, until: now + ttlMs });
    return { value, first: true };
  }

  async release(scope: string, key: string, value: string): Promise<void> {
    const k = recordKey(scope, key);
    if (this.records.get(k)?.value === value) this.records.delete(k);
  }

  /** Records held now (expired ones not swept yet included). */
  get size(): number {
    return this.records.size;
  }
}

/** Scope and key as one map key; a long client key is hashed, so a record's size does not depend on the client. */
function recordKey(scope: string, key: string): string {
  const short = key.length <= 64 && !key.startsWith('#');
  return `${scope}\u0000${short ? key : `#${createHash('sha256').update(key).digest('base64url')}`}`;
}
