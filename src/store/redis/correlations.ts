import type { Cluster, Redis } from 'ioredis';
import type { CorrelationStore } from '../../core/ports.js';

/** Correlations as plain keys `<prefix>:cor:<key>` with a TTL (SET PX). */
export class RedisCorrelations implements CorrelationStore {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly prefix: string,
  ) {}

  private k(key: string): string {
    return `${this.prefix}:cor:${key.replace(/[{}]/g, '')}`;
  }

  async put(key: string, value: string, ttlMs: number): Promise<void> {
    await this.redis.set(this.k(key), value, 'PX', Math.max(1, Math.round(ttlMs)));
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.redis.get(this.k(key))) ?? undefined;
  }
}
