import type { Cluster, Redis } from 'ioredis';
import type { ApiKeyActivity } from '../../core/ports.js';
import { RedisApiKeyActivity } from './api-key-activity.js';
import type { CorrelationStore, FrequencyStore, IdempotencyStore, Queue, SubscriberStore, Throttle } from '../../core/ports.js';
import type { ConsentStore } from '../../core/ports.js';
import { RedisConsent } from './consent.js';
import type { QueueOptions } from '../options.js';
import { RedisCorrelations } from './correlations.js';
import { RedisIdempotency } from './idempotency.js';
import { KeySpace } from './keys.js';
import { RedisQueue } from './queue.js';
import { RedisSubscribers } from './subscribers.js';
import { RedisPortingTable } from './porting.js';
import type { PortingTable } from '../../core/portability.js';
import { RedisThrottle } from './throttle.js';
import { RedisFrequency } from './frequency.js';
import { RedisMediaStore } from './media.js';
import type { MediaStore } from '../../core/ports.js';

export interface RedisStoreOptions extends Partial<QueueOptions> {
  /** A connected client: a single Redis, or a Cluster (every multi-key call stays in one slot). */
  redis: Redis | Cluster;
  /** Key prefix shared by every gateway instance of one deployment (no braces). */
  prefix: string;
  /**
   * Queue shards (hash tags); must be the same on every instance. Default 1: on a single Redis, shards buy
   * nothing (one thread serves them all) and one shard keeps the exact ordering of the contract. On a
   * Cluster, use several (e.g. 16) to spread the queue over the masters; ordering is then per shard.
   */
  shards?: number;
}

export function createRedisStore(options: RedisStoreOptions): {
  queue: Queue;
  throttle: Throttle;
  subscribers: SubscriberStore;
  correlations: CorrelationStore;
  idempotency: IdempotencyStore;
  porting: PortingTable;
  // -- issue 24 stores (consent, frequency, media, API keys): one line each
  apiKeyActivity: ApiKeyActivity;
  frequency: FrequencyStore;
  media: MediaStore;
  consent: ConsentStore;
  backend: 'redis';
} {
  const keys = new KeySpace(options.prefix, options.shards ?? 1);
  const queue = new RedisQueue(options.redis, keys, options);
  const throttle = new RedisThrottle(options.redis, keys, options.now);
  return {
    queue,
    throttle,
    subscribers: new RedisSubscribers(options.redis, options.prefix),
    correlations: new RedisCorrelations(options.redis, options.prefix),
    idempotency: new RedisIdempotency(options.redis, keys),
    porting: new RedisPortingTable(options.redis, options.prefix),
    // -- issue 24 stores (consent, frequency, media, API keys): one line each
    apiKeyActivity: new RedisApiKeyActivity(options.redis, options.prefix),
    frequency: new RedisFrequency(options.redis, options.prefix, options.now),
    media: new RedisMediaStore(options.redis, options.prefix),
    consent: new RedisConsent(options.redis, options.prefix),
    backend: 'redis',
  };
}

export { KeySpace, RedisIdempotency, RedisQueue, RedisThrottle };
export { RedisMediaStore };
