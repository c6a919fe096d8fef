import type { Cluster, Redis } from 'ioredis';
import type { ApiKeyActivity } from '../../core/ports.js';

/** A record of an account no longer used (removed, renamed) goes away by itself after this long untouched. */
const KEEP_MS = 400 * 86_400_000;

/**
 * API keys' last-used times as one hash per account, `<prefix>:{ak:<vasp>}` (key name -> ms): one key per
 * call, Cluster-safe. Plain HSET, last write wins: each instance writes its clock's time at most once a minute
 * per key, so between instances whose clocks agree the value only moves forward (to the minute, which is all
 * it claims).
 */
export class RedisApiKeyActivity implements ApiKeyActivity {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly prefix: string,
  ) {}

  private key(vasp: string): string {
    return `${this.prefix}:{ak:${vasp.replace(/[{}]/g, '_')}}`;
  }

  async touch(vasp: string, name: string, at: number): Promise<void> {
    const key = this.key(vasp);
    await this.redis
      .multi()
      .hset(key, name, String(Math.round(at)))
      .pexpire(key, KEEP_MS)
      .exec();
  }

  async lastUsed(vasp: string): Promise<Map<string, number>> {
    const all = await this.redis.hgetall(this.key(vasp));
    const out = new Map<string, number>();
    for (const [name, v] of Object.entries(all)) {
      const at = Number(v);
      if (Number.isFinite(at)) out.set(name, at);
    }
    return out;
  }
}
