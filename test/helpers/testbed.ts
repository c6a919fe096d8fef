import { Redis } from 'ioredis';
import type { Test } from 'tap';
import { createRedisStore } from '../../src/store/redis/index.js';
import type { Queue } from '../../src/core/ports.js';
import { Receiver } from './receiver.js';
import { redisUrl, testPrefix } from './redis.js';

/**
 * The set-up of the process-level queue tests: the test Redis, a fresh key prefix, a Redis store on it and a
 * receiving peer; everything is removed when the test ends.
 */
export async function queueTestbed(t: Test): Promise<{ url: string; prefix: string; redis: Redis; queue: Queue; receiver: Receiver }> {
  const url = await redisUrl(t);
  const prefix = testPrefix();
  const redis = new Redis(url);
  const { queue } = createRedisStore({ redis, prefix });
  const receiver = new Receiver();
  await receiver.start();
  t.teardown(async () => {
    await receiver.stop();
    const keys = await redis.keys(`${prefix}*`);
    for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
    await redis.quit();
  });
  return { url, prefix, redis, queue, receiver };
}
