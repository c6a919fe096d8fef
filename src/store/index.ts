import { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../ops/config.js';
import { createMemoryStore } from './memory/index.js';
import { createRedisStore } from './redis/index.js';
import type { CorrelationStore, IdempotencyStore, Queue, StoreUsage, SubscriberStore, Throttle } from './types.js';

export interface Store {
  queue: Queue;
  throttle: Throttle;
  subscribers: SubscriberStore;
  correlations: CorrelationStore;
  idempotency: IdempotencyStore;
  backend: 'memory' | 'redis' | 'redis-cluster';
  durable: boolean;
  /** What the store holds against its own limits (the embedded store; Redis' memory is Redis' own to report). */
  usage?: () => StoreUsage;
  /** Resolves once the backend answers (Redis connected). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Accepted messages are only as durable as Redis: warn when the server does not keep an append-only file
 * (see README, "Durability"). CONFIG may be disabled on managed Redis: then say that it could not be checked.
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
        log.warn({ redis: where, appendonly }, 'Redis keeps no append-only file: a Redis crash or restart loses accepted messages (set appendonly yes)');
      } else {
        log.info({ redis: where, appendonly, appendfsync: fsync }, 'Redis durability');
      }
      if (eviction !== 'noeviction') {
        log.warn({ redis: where, maxmemoryPolicy: eviction }, 'Redis may evict keys when full: queued messages could vanish (set maxmemory-policy noeviction)');
      }
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'could not read the Redis durability settings (CONFIG GET): check appendonly by hand');
    }
  }
}

/**
 * The store the config asks for: Redis Cluster (redis.cluster), Redis (redis.url), or the embedded
 * in-process store, which is not durable and says so loudly at start.
 */
export function createStore(config: Config, log: Logger): Store {
  const q = config.queue;
  const options = { prefix: q.prefix, shards: q.shards, leaseMs: q.leaseMs, maxAttempts: q.maxAttempts, retentionMs: q.retentionMs };
  if (config.redis.cluster || config.redis.url) {
    // Commands fail after a couple of retries instead of queueing for long while Redis is away: an edge can
    // then answer "try later" at once, and workers simply poll again.
    const redisOptions = { maxRetriesPerRequest: 2, connectTimeout: 5_000, lazyConnect: true };
    const client = config.redis.cluster
      ? new Cluster(
          config.redis.cluster.map((n) => ({ host: n.slice(0, n.lastIndexOf(':')), port: Number(n.slice(n.lastIndexOf(':') + 1)) })),
          { redisOptions, lazyConnect: true, scaleReads: 'master' },
        )
      : new Redis(config.redis.url!, redisOptions);
    client.on('error', (err: Error) => log.warn({ err: err.message }, 'redis connection error'));
    const store = createRedisStore({ redis: client, ...options });
    const backend = config.redis.cluster ? 'redis-cluster' : 'redis';
    log.info({ backend, shards: q.shards, prefix: q.prefix }, 'queue: Redis store (durability as configured on the Redis server: see README)');
    return {
      ...store,
      backend,
      ready: async () => {
        // lazyConnect: the first call connects; after a failure ioredis reconnects by itself, so later calls
        // just wait for the connection (a ping) instead of connecting twice.
        if (client.status === 'wait') await client.connect();
        else await client.ping();
        await checkDurability(client, log);
      },
      close: async () => {
        await store.queue.close();
        await client.quit().catch(() => client.disconnect());
      },
    };
  }
  log.warn(
    { backend: 'memory', durable: false },
    'queue: embedded in-process store, NOT DURABLE: accepted messages are lost when this process stops; set REDIS_URL (or redis.url / redis.cluster) for production',
  );
  const limits = { maxMessages: q.memoryMaxMessages, maxBytes: q.memoryMaxBytes };
  log.info({ maxMessages: limits.maxMessages, maxBytes: limits.maxBytes }, 'queue: embedded store limits (queue.memoryMaxMessages, queue.memoryMaxBytes): new messages over them are refused "try later"');
  const store = createMemoryStore({ leaseMs: q.leaseMs, maxAttempts: q.maxAttempts, retentionMs: q.retentionMs, limits });
  return { ...store, usage: () => store.queue.usage(), ready: async () => {}, close: () => store.queue.close() };
}
