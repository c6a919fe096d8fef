import { Redis } from 'ioredis';
import t, { type Test } from 'tap';
import { createRedisStore } from '../../src/store/redis/index.js';
import { ShardLayoutError } from '../../src/store/redis/queue.js';
import { textMessage } from '../helpers/messages.js';
import { redisUrl, testPrefix } from '../helpers/redis.js';

/** A client and a prefix of the test's own, whose keys go when the test ends. */
async function freshPrefix(t: Test): Promise<{ redis: Redis; prefix: string }> {
  const redis = new Redis(await redisUrl(t));
  const prefix = testPrefix();
  t.teardown(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });
  return { redis, prefix };
}

// Instances that share a key prefix must agree on the shard count: one that hashes messages differently
// would settle jobs in the wrong shard. The second layout is refused, loudly, before it touches a job.
t.test('instances with another shard count are refused', async (t) => {
  const { redis, prefix } = await freshPrefix(t);
  const first = createRedisStore({ redis, prefix, shards: 4 });
  await first.queue.enqueue(textMessage('layout-1', 1), [Buffer.from('x')], ['p']);
  const other = createRedisStore({ redis, prefix, shards: 8 });
  await t.rejects(other.queue.take(10), ShardLayoutError, 'take refused');
  await t.rejects(other.queue.enqueue(textMessage('layout-2', 1), [Buffer.from('x')], ['p']), { code: 'SHARD_LAYOUT' }, 'enqueue refused');
  const same = createRedisStore({ redis, prefix, shards: 4 });
  const jobs = await same.queue.take(10);
  t.strictSame(
    jobs.map((j) => j.messageId),
    ['layout-1'],
    'an instance with the same layout works',
  );
});

// A queue written by a build that reads its keys otherwise (another layout version) is refused too: layout 1
// (the record holds the shard count alone) scored due times in ms, layout 2 in ms * 1024, and each would
// misread the other's jobs as due now or in the far future.
t.test('a queue of another key layout version is refused', async (t) => {
  const { redis, prefix } = await freshPrefix(t);
  for (const [record, version] of [
    ['4', '1'],
    ['4:3', '3'],
  ] as const) {
    await redis.set(`${prefix}:shards`, record);
    const store = createRedisStore({ redis, prefix, shards: 4 });
    await t.rejects(
      store.queue.take(10),
      { code: 'SHARD_LAYOUT', message: new RegExp(`written with key layout ${version}, this instance uses layout 2`) },
      `record ${record}: take refused`,
    );
    await t.rejects(
      store.queue.enqueue(textMessage(`layout-${version}`, 1), [Buffer.from('x')], ['p']),
      ShardLayoutError,
      `record ${record}: enqueue refused`,
    );
    t.strictSame(await redis.keys(`${prefix}:*layout-${version}*`), [], 'the refused enqueue stored nothing');
  }
  await redis.del(`${prefix}:shards`);
  const fresh = createRedisStore({ redis, prefix, shards: 4 });
  await fresh.queue.enqueue(textMessage('layout-ok', 1), [Buffer.from('x')], ['p']);
  t.equal(await redis.get(`${prefix}:shards`), '4:2', 'a new queue records its shard count and layout version');
});
