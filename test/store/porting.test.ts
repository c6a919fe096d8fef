// The ported-numbers table behind portability.redis (core PortingTable): the same behaviour from the embedded
// store and from Redis, where it is one hash `<prefix>:np` that an operator fills with HSET and that every
// instance reads.
import { Redis } from 'ioredis';
import t, { type Test } from 'tap';
import type { PortingTable } from '../../src/core/portability.js';
import { createMemoryStore } from '../../src/store/memory/index.js';
import { createRedisStore } from '../../src/store/redis/index.js';
import { dropKeys, redisUrl, testPrefix } from '../helpers/redis.js';

async function behaves(t: Test, table: PortingTable): Promise<void> {
  t.equal(await table.get('+31612345678'), undefined, 'empty at first');
  await table.set('+31612345678', 'carrier-c');
  await table.set('+31687654321', 'home');
  t.equal(await table.get('+31612345678'), 'carrier-c');
  t.equal(await table.get('+31687654321'), 'home');
  await table.set('+31612345678', 'carrier-b');
  t.equal(await table.get('+31612345678'), 'carrier-b', 'ported again: the last network');
  await table.delete('+31612345678');
  t.equal(await table.get('+31612345678'), undefined, 'deleted: the prefixes again');
  t.equal(await table.get('+3161234567'), undefined, 'no prefix matching: exact numbers only');
}

t.test('embedded store', async (t) => {
  await behaves(t, createMemoryStore().porting);
});

t.test('Redis: one hash <prefix>:np, filled by HSET from outside, shared by instances', async (t) => {
  const url = await redisUrl(t);
  const prefix = testPrefix();
  const a = new Redis(url);
  const b = new Redis(url);
  t.teardown(async () => {
    await dropKeys(url, prefix);
    a.disconnect();
    b.disconnect();
  });
  const one = createRedisStore({ redis: a, prefix }).porting;
  const two = createRedisStore({ redis: b, prefix }).porting;
  await behaves(t, one);
  // The operator's way (docs/portability.md): HSET on the hash, no gateway involved.
  await a.hset(`${prefix}:np`, '+31611111111', 'carrier-c', '+31622222222', 'home');
  t.equal(await two.get('+31611111111'), 'carrier-c', 'another instance reads it');
  t.equal(await two.get('+31622222222'), 'home');
  t.same(await b.hgetall(`${prefix}:np`), { '+31611111111': 'carrier-c', '+31622222222': 'home', '+31687654321': 'home' });
  t.equal(
    await createRedisStore({ redis: b, prefix: testPrefix() }).porting.get('+31611111111'),
    undefined,
    'another prefix, another table',
  );
});
