import { Redis } from 'ioredis';
import t from 'tap';
import { createRedisStore } from '../src/store/redis/index.js';
import { ShardLayoutError } from '../src/store/redis/queue.js';
import { textMessage } from './helpers/messages.js';
import { redisUrl, testPrefix } from './helpers/redis.js';

// Instances that share a key prefix must agree on the shard count: one that hashes messages differently
// would settle jobs in the wrong shard. The second layout is refused, loudly, before it touches a job.
t.test('instances with another shard count are refused', async (t) => {
  const redis = new Redis(await redisUrl(t));
  const prefix = testPrefix();
  t.teardown(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });
  const first = createRedisStore({ redis, prefix, shards: 4 });
  await first.queue.enqueue(textMessage('layout-1', 1), [Buffer.from('x')], ['p']);
  const other = createRedisStore({ redis, prefix, shards: 8 });
  await t.rejects(other.queue.take(10), ShardLayoutError, 'take refused');
  await t.rejects(other.queue.enqueue(textMessage('layout-2', 1), [Buffer.from('x')], ['p']), { code: 'SHARD_LAYOUT' }, 'enqueue refused');
  const same = createRedisStore({ redis, prefix, shards: 4 });
  const jobs = await same.queue.take(10);
  t.strictSame(jobs.map((j) => j.messageId), ['layout-1'], 'an instance with the same layout works');
});
