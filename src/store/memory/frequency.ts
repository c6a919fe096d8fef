import type { FrequencyAnswer, FrequencyCaps, FrequencyStore } from '../../core/ports.js';
import { WEEK_MS, overCaps } from '../frequency-window.js';

/**
 * Marketing send counts in this process (the embedded store: one process, lost on restart). Per (sender,
 * subscriber), the send times of the last 7 days, oldest first, and the tokens counted. A pair untouched for
 * 7 days holds nothing any window would count: it is dropped when met at the front of the map (kept in
 * last-write order), so memory follows the pairs written to in the last week.
 */
export class MemoryFrequency implements FrequencyStore {
  private readonly pairs = new Map<string, { times: number[]; tokens: string[] }>();

  constructor(private readonly now: () => number = Date.now) {}

  async take(sender: string, subscriber: string, token: string, caps: FrequencyCaps): Promise<FrequencyAnswer> {
    const now = this.now();
    this.sweep(now);
    const key = `${sender}\u0000${subscriber}`;
    const pair = this.pairs.get(key) ?? { times: [], tokens: [] };
    // Trim to the week (entries at or before now - 7 d have left every window).
    let drop = 0;
    while (drop < pair.times.length && pair.times[drop]! <= now - WEEK_MS) drop += 1;
    pair.times.splice(0, drop);
    pair.tokens.splice(0, drop);
    if (pair.tokens.includes(token)) return { ok: true };
    const over = overCaps(pair.times, now, caps);
    if (over) return over;
    // Appended in time order (a clock that went back inserts in place, so the list stays sorted).
    let at = pair.times.length;
    while (at > 0 && pair.times[at - 1]! > now) at -= 1;
    pair.times.splice(at, 0, now);
    pair.tokens.splice(at, 0, token);
    this.pairs.delete(key);
    this.pairs.set(key, pair);
    return { ok: true };
  }

  /** Pairs held now (tests). */
  get size(): number {
    return this.pairs.size;
  }

  private sweep(now: number): void {
    for (const [key, pair] of this.pairs) {
      const last = pair.times[pair.times.length - 1];
      if (last !== undefined && last > now - WEEK_MS) break;
      this.pairs.delete(key);
    }
  }
}
