import type { CorrelationStore } from '../../core/ports.js';

/** Correlations in this process; expired entries are dropped when read or when the map is swept. */
export class MemoryCorrelations implements CorrelationStore {
  private readonly entries = new Map<string, { value: string; until: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async put(key: string, value: string, ttlMs: number): Promise<void> {
    const now = this.now();
    // Amortised sweep: a map that only grows would hold every receipt id ever seen.
    if (this.entries.size > 0 && this.entries.size % 1024 === 0) {
      for (const [k, e] of this.entries) if (e.until <= now) this.entries.delete(k);
    }
    this.entries.set(key, { value, until: now + ttlMs });
  }

  async get(key: string): Promise<string | undefined> {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.until <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value;
  }
}
