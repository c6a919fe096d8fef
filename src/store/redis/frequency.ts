import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { FrequencyAnswer, FrequencyCaps, FrequencyStore } from '../../core/ports.js';
import { DAY_MS, WEEK_MS } from '../frequency-window.js';
import { script, type ScriptCall } from './scripts.js';

/**
 * Marketing send counts in Redis, shared by every instance: one sorted set per (sender, subscriber),
 * `<prefix>:{f:<sender>:<subscriber>}` (its own hash tag, so that pairs spread over a cluster and each call
 * touches one slot), member the send's token (job id), score its time; trimmed to 7 days by each call and
 * expiring 7 days after the last send. Checked and counted by one script (lua/frequency-1.lua). Times are
 * the instances' clocks, as the queue's are.
 */
export class RedisFrequency implements FrequencyStore {
  private readonly takeScript: ScriptCall;

  constructor(
    redis: Redis | Cluster,
    private readonly prefix: string,
    private readonly now: () => number = Date.now,
  ) {
    this.takeScript = script(redis, 'mmscFrequency');
  }

  /** The key of one pair; a part with braces or spaces, or longer than 128 characters, is '#' + its SHA-256. */
  key(sender: string, subscriber: string): string {
    const part = (s: string) => (s.length <= 128 && !/[{}:\s#]/.test(s) ? s : `#${createHash('sha256').update(s).digest('base64url')}`);
    return `${this.prefix}:{f:${part(sender)}:${part(subscriber)}}`;
  }

  async take(sender: string, subscriber: string, token: string, caps: FrequencyCaps): Promise<FrequencyAnswer> {
    const r = (await this.takeScript(
      [this.key(sender, subscriber)],
      [Math.round(this.now()), caps.maxPerDay ?? 0, caps.maxPerWeek ?? 0, token, DAY_MS, WEEK_MS],
    )) as [number, string?, string?];
    if (Number(r[0]) === 1) return { ok: true };
    return { ok: false, until: Number(r[1]), cap: r[2] === 'week' ? 'week' : 'day' };
  }
}
