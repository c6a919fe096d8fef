import type { Cluster, Redis } from 'ioredis';
import type { SubscriberFlags, SubscriberStore } from '../../core/ports.js';

/**
 * Subscriber flags in Redis: one small hash per flagged subscriber, `<prefix>:sub:<address>` with fields
 * `optout` and `textonly` (absent = not set); no TTL: an opt-out lasts until the subscriber sends START.
 */
export class RedisSubscribers implements SubscriberStore {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly prefix: string,
  ) {}

  private key(address: string): string {
    // Braces would make a hash tag of part of the address; no address has them, so drop them.
    return `${this.prefix}:sub:${address.replace(/[{}]/g, '')}`;
  }

  async get(address: string): Promise<SubscriberFlags> {
    const [optout, textonly] = await this.redis.hmget(this.key(address), 'optout', 'textonly');
    return { optedOut: optout === '1', textOnly: textonly === '1' };
  }

  async setOptedOut(address: string, optedOut: boolean): Promise<void> {
    await (optedOut ? this.redis.hset(this.key(address), 'optout', '1') : this.redis.hdel(this.key(address), 'optout'));
  }

  async setTextOnly(address: string, textOnly: boolean): Promise<void> {
    await (textOnly ? this.redis.hset(this.key(address), 'textonly', '1') : this.redis.hdel(this.key(address), 'textonly'));
  }
}
