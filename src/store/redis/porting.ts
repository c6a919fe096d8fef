import type { Cluster, Redis } from 'ioredis';
import type { PortingTable } from '../../core/portability.js';

/**
 * The ported-numbers table in Redis, shared by every instance: one hash `<prefix>:np`, field = +E.164
 * number, value = network ('home' or a peer id). Operators fill it with HSET (docs/portability.md); no TTL:
 * a porting lasts until the number moves again. One hash is one slot on a Cluster: lookups are few (each
 * answer is cached in the gateway) and HGET is O(1).
 */
export class RedisPortingTable implements PortingTable {
  private readonly key: string;

  constructor(
    private readonly redis: Redis | Cluster,
    prefix: string,
  ) {
    this.key = `${prefix}:np`;
  }

  async get(e164: string): Promise<string | undefined> {
    return (await this.redis.hget(this.key, e164)) ?? undefined;
  }

  async set(e164: string, network: string): Promise<void> {
    await this.redis.hset(this.key, e164, network);
  }

  async delete(e164: string): Promise<void> {
    await this.redis.hdel(this.key, e164);
  }
}
