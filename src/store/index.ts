import { errorFields } from '../core/log-error.js';
import { Cluster, type Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createMemoryStore } from './memory/index.js';
import { aofEnabled, createRedisClient, isUp, type RedisClientConfig } from './redis/client.js';
import { createRedisStore } from './redis/index.js';
import type { PortingTable } from '../core/portability.js';
import type { ApiKeyActivity } from '../core/ports.js';
import {
  StoreUnavailableError,
  type ConsentStore,
  type CorrelationStore,
  type FrequencyStore,
  type IdempotencyStore,
  type MediaStore,
  type Queue,
  type StoreUsage,
  type SubscriberStore,
  type Throttle,
} from '../core/ports.js';

/**
 * What createStore needs, and no more: where Redis is (neither url nor cluster: the embedded store) and the
 * queue's settings. The composition root (gateway.ts) fills it from the config's `redis` and `queue` sections,
 * whose key names it keeps (the log lines name them).
 */
export interface StoreOptions {
  redis: RedisClientConfig;
  queue: {
    /** Key prefix shared by the instances of one deployment (Redis). */
    prefix: string;
    /** Queue shards (Redis). */
    shards: number;
    leaseMs: number;
    maxAttempts: number;
    retentionMs: number;
    /** The embedded store's limits. */
    memoryMaxMessages: number;
    memoryMaxBytes: number;
  };
}

export interface Store {
  queue: Queue;
  throttle: Throttle;
  subscribers: SubscriberStore;
  correlations: CorrelationStore;
  idempotency: IdempotencyStore;
  /** Ported numbers (portability.redis): a hash shared by the instances, or this process's table. */
  porting: PortingTable;
  // -- issue 24 stores (consent, frequency, media, API keys): one line each, each a port of core/ports.ts
  apiKeyActivity: ApiKeyActivity;
  /** Marketing sends per (sender, subscriber), for the frequency caps (core/marketing-policy.ts). */
  frequency: FrequencyStore;
  media: MediaStore;
  consent: ConsentStore;
  backend: 'memory' | 'redis' | 'redis-cluster';
  /**
   * Whether an accepted message survives a crash of the store: never for the embedded store; for Redis what
   * the server reports (append-only file on), read each time ready() connects; undefined until then, or
   * when Redis would not say.
   */
  durable: boolean | undefined;
  /** What the store holds against its own limits (the embedded store; Redis' memory is Redis' own to report). */
  usage?: () => StoreUsage;
  /** Resolves once the backend answers (Redis connected). */
  ready(): Promise<void>;
  /**
   * Whether the store can be reached now. While it cannot, every store call fails at once with
   * StoreUnavailableError; an edge that must answer synchronously (SMPP deliver_sm) asks this instead.
   */
  available(): boolean;
  close(): Promise<void>;
}

/**
 * Accepted messages are only as durable as Redis: warn when the server does not keep an append-only file
 * (docs/queue.md, "Durability"). CONFIG may be disabled on managed Redis: then say that it could not be checked.
 */
async function checkDurability(client: Redis | Cluster, log: Logger): Promise<void> {
  const servers = client instanceof Cluster ? client.nodes('master') : [client];
  for (const server of servers) {
    try {
      const [, appendonly] = (await server.config('GET', 'appendonly')) as [string, string];
      const [, fsync] = (await server.config('GET', 'appendfsync')) as [string, string];
      const [, eviction] = (await server.config('GET', 'maxmemory-policy')) as [string, string];
      const where = `${server.options.host ?? ''}:${server.options.port ?? ''}`;
      if (appendonly !== 'yes') {
        log.warn(
          { redis: where, appendonly },
          'Redis keeps no append-only file: a Redis crash or restart loses accepted messages (set appendonly yes)',
        );
      } else {
        log.info({ redis: where, appendonly, appendfsync: fsync }, 'Redis durability');
      }
      if (eviction !== 'noeviction') {
        log.warn(
          { redis: where, maxmemoryPolicy: eviction },
          'Redis may evict keys when full: queued messages could vanish (set maxmemory-policy noeviction)',
        );
      }
    } catch (err) {
      log.warn({ err: errorFields(err) }, 'could not read the Redis durability settings (CONFIG GET): check appendonly by hand');
    }
  }
}

/**
 * The store the options ask for: Redis Cluster (redis.cluster), Redis (redis.url), or the embedded
 * in-process store, which is not durable and says so loudly at start.
 */
export function createStore(config: StoreOptions, log: Logger): Store {
  const q = config.queue;
  const options = { prefix: q.prefix, shards: q.shards, leaseMs: q.leaseMs, maxAttempts: q.maxAttempts, retentionMs: q.retentionMs };
  if (config.redis.cluster || config.redis.url) {
    const client = createRedisClient(config.redis, log);
    const store = createRedisStore({ redis: client, ...options });
    const backend = config.redis.cluster ? 'redis-cluster' : 'redis';
    log.info(
      { backend, shards: q.shards, prefix: q.prefix },
      'queue: Redis store (durability as configured on the Redis server: see docs/queue.md)',
    );
    const s: Store = {
      ...store,
      backend,
      durable: undefined,
      ready: async () => {
        // lazyConnect: the first call connects; after a failure ioredis reconnects by itself, so later calls
        // just wait for the connection (a ping) instead of connecting twice.
        try {
          if (client.status === 'wait') await client.connect();
          else await client.ping();
        } catch (err) {
          // Why is logged as it happens (createRedisClient); the caller hears the store's own error.
          throw isUp(client) ? err : new StoreUnavailableError();
        }
        s.durable = await aofEnabled(client);
        await checkDurability(client, log);
      },
      available: () => isUp(client),
      close: async () => {
        await store.queue.close();
        await client.quit().catch(() => client.disconnect());
      },
    };
    return s;
  }
  log.warn(
    { backend: 'memory', durable: false },
    'queue: embedded in-process store, NOT DURABLE: accepted messages are lost when this process stops; set REDIS_URL (or redis.url / redis.cluster) for production',
  );
  const limits = { maxMessages: q.memoryMaxMessages, maxBytes: q.memoryMaxBytes };
  log.info(
    { maxMessages: limits.maxMessages, maxBytes: limits.maxBytes },
    'queue: embedded store limits (queue.memoryMaxMessages, queue.memoryMaxBytes): new messages over them are refused "try later"',
  );
  const store = createMemoryStore({ leaseMs: q.leaseMs, maxAttempts: q.maxAttempts, retentionMs: q.retentionMs, limits });
  return { ...store, usage: () => store.queue.usage(), ready: async () => {}, available: () => true, close: () => store.queue.close() };
}
