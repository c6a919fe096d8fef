// The shared queue/throttle behaviour suite against the Redis backend. Never skipped: without REDIS_URL or a
// redis-server on PATH, redisUrl() fails the run.
import { Redis } from 'ioredis';
import t from 'tap';
import { createRedisStore } from '../src/store/redis/index.js';
import { queueSuite } from './queue-behaviour.js';
import { redisUrl, testPrefix } from './helpers/redis.js';

const url = await redisUrl(t);

/** Delete every key of one test (the prefix may sit inside a cluster hash tag, hence *prefix*). */
async function dropKeys(prefix: string): Promise<void> {
  const admin = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await admin.scan(cursor, 'MATCH', `*${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await admin.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    await admin.quit();
  }
}

queueSuite(t, 'redis', async (opts) => {
  const redis = new Redis(url);
  const prefix = testPrefix();
  const store = createRedisStore({ redis, prefix, ...opts });
  return {
    queue: store.queue,
    throttle: store.throttle,
    subscribers: store.subscribers,
    correlations: store.correlations,
    cleanup: async () => {
      // The suite may have closed the store already (and the store may quit its connection on close).
      await store.queue.close().catch(() => {});
      await store.throttle.close().catch(() => {});
      await dropKeys(prefix);
      if (redis.status !== 'end') await redis.quit().catch(() => {});
    },
  };
});
