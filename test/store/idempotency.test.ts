// Idempotency records (IdempotencyStore) on the embedded store and on Redis: the shared contract, the memory
// store's bound, the Redis key layout (one hash tag per record), and the content stage a second copy of a
// request leaves behind: its discard never deletes the content of a message stored on it.
import { Redis } from 'ioredis';
import t from 'tap';
import { createMemoryStore, MemoryIdempotency } from '../../src/store/memory/index.js';
import type { RedisContentStage } from '../../src/store/redis/content-stage.js';
import { createRedisStore, KeySpace } from '../../src/store/redis/index.js';
import { idempotencySuite } from './idempotency-behaviour.js';
import { makeMessage } from './queue-behaviour.js';
import { dropKeys as dropKeysAt, redisUrl, testPrefix } from '../helpers/redis.js';

const url = await redisUrl(t);

const dropKeys = (prefix: string): Promise<void> => dropKeysAt(url, prefix);

idempotencySuite(t, 'memory', async () => {
  const clock = { now: 1_700_000_000_000 };
  const store = createMemoryStore({ now: () => clock.now });
  return {
    store: store.idempotency,
    pass: async (ms) => void (clock.now += ms),
    cleanup: () => store.queue.close(),
  };
});

idempotencySuite(t, 'redis', async () => {
  const redis = new Redis(url);
  const prefix = testPrefix();
  const store = createRedisStore({ redis, prefix });
  return {
    store: store.idempotency,
    // Redis expires keys by its own clock: the records' TTLs are real milliseconds.
    pass: (ms) => new Promise((r) => setTimeout(r, ms)),
    cleanup: async () => {
      await store.queue.close().catch(() => {});
      await dropKeys(prefix);
      await redis.quit().catch(() => {});
    },
  };
});

t.test('memory: at most `max` records; the oldest go first, expired ones before', async (t) => {
  const clock = { now: 0 };
  const store = new MemoryIdempotency(() => clock.now, 3);
  for (const k of ['a', 'b', 'c']) t.ok((await store.claim('s', k, k, 1000)).first);
  t.equal(store.size, 3);
  t.ok((await store.claim('s', 'd', 'd', 1000)).first, 'a fourth');
  t.equal(store.size, 3, 'still three');
  t.strictSame(await store.claim('s', 'a', 'a2', 1000), { value: 'a2', first: true }, 'the oldest (a) was dropped');
  t.equal((await store.claim('s', 'd', 'x', 1000)).value, 'd', 'the newest is kept');
  // Ten thousand more: the map never holds more than three.
  for (let i = 0; i < 10_000; i++) await store.claim('s', `k${i}`, 'v', 1000);
  t.equal(store.size, 3);
  // Expired records are dropped before live ones are pushed out.
  clock.now += 2000;
  t.ok((await store.claim('s', 'late', 'v', 10_000)).first);
  t.equal(store.size, 1, 'the expired three went');
  t.throws(() => new MemoryIdempotency(Date.now, 0), RangeError);
});

t.test('redis: each record is a key with its own hash tag under the prefix, with its TTL', async (t) => {
  const keys = new KeySpace('P', 1);
  t.equal(keys.idempotency('mm7-submit:VASP01', 'tx-1'), 'P:{i:mm7-submit:VASP01:tx-1}');
  const odd = keys.idempotency('mm7-submit:VASP01', 'a}b');
  t.match(odd, /^P:\{i:mm7-submit:VASP01:#[\w-]{43}\}$/, 'a key with braces is hashed (the tag ends at the first })');
  t.equal((odd.match(/[{}]/g) ?? []).length, 2, 'one hash tag');
  t.match(keys.idempotency('s', 'x'.repeat(65)), /:#[\w-]{43}\}$/, 'a long key is hashed');
  t.not(keys.idempotency('s', '#abc'), 'P:{i:s:#abc}', 'a key that looks hashed is hashed');

  const redis = new Redis(url);
  const prefix = testPrefix();
  const store = createRedisStore({ redis, prefix });
  t.teardown(async () => {
    await store.queue.close().catch(() => {});
    await dropKeys(prefix);
    await redis.quit().catch(() => {});
  });
  await store.idempotency.claim('mm7-submit:VASP01', 'tx-9', 'm-1 fp', 60_000);
  const key = `${prefix}:{i:mm7-submit:VASP01:tx-9}`;
  t.equal(await redis.get(key), 'm-1 fp');
  const ttl = await redis.pttl(key);
  t.ok(ttl > 0 && ttl <= 60_000, `TTL ${ttl} ms`);
});

t.test('redis: a second stage of a stored message, discarded, leaves the message its content', async (t) => {
  const redis = new Redis(url);
  const prefix = testPrefix();
  const store = createRedisStore({ redis, prefix });
  t.teardown(async () => {
    await store.queue.close().catch(() => {});
    await dropKeys(prefix);
    await redis.quit().catch(() => {});
  });
  // Two copies of one request stream under one Message-ID; the first SET takes the content key, the
  // second copy's stage finds it taken and writes nothing.
  const big = Buffer.alloc(100_000, 0x41);
  const a = store.queue.stage('m-1', 60_000) as RedisContentStage;
  const b = store.queue.stage('m-1', 60_000);
  a.part().write(big);
  await a.drain();
  b.part().write(big);
  await b.drain();
  // The first copy's enqueue writes its last slice (just before its script)...
  const sealed = await a.seal();
  await sealed.last?.();
  // ... and the second copy's enqueue comes first: the message is stored on the first copy's content.
  const message = makeMessage('m-1', ['+15550000002'], {
    parts: [{ index: 0, contentType: 'application/octet-stream', size: big.length }],
  });
  await store.queue.enqueue(message, b, ['peer']);
  // The first copy's script then fails (say Redis dropped the connection): its request discards its stage.
  await a.discard();
  const content = await store.queue.content('m-1');
  t.ok(content?.[0]?.equals(big), 'the stored content is whole');

  // A stage whose message is not stored is deleted by its discard, as before.
  const c = store.queue.stage('m-2', 60_000);
  c.part().write(big);
  await c.drain();
  t.ok(await redis.exists(`${prefix}:{s0}:c:m-2`), 'staged');
  await c.discard();
  t.notOk(await redis.exists(`${prefix}:{s0}:c:m-2`), 'deleted');
});

t.test('redis: a message whose content comes whole is refused while another copy of it still streams under its id', async (t) => {
  const redis = new Redis(url);
  const prefix = testPrefix();
  const store = createRedisStore({ redis, prefix });
  t.teardown(async () => {
    await store.queue.close().catch(() => {});
    await dropKeys(prefix);
    await redis.quit().catch(() => {});
  });
  // Copy A (SOAP first) streams under m-3 and has written one slice; copy B (content read into memory) comes.
  const big = Buffer.alloc(150_000, 0x42);
  const a = store.queue.stage('m-3', 60_000);
  a.part().write(big);
  await a.drain();
  const message = makeMessage('m-3', ['+15550000002'], {
    parts: [{ index: 0, contentType: 'application/octet-stream', size: big.length }],
  });
  await t.rejects(
    store.queue.enqueue(message, [big], ['peer']),
    { name: 'ContentMissingError' },
    'B is told to retry: not stored on half of A',
  );
  t.equal(await store.queue.message('m-3'), undefined, 'nothing stored');
  // A finishes: stored whole; B's retry is then a re-submission of a stored message.
  await store.queue.enqueue(message, a, ['peer']);
  await store.queue.enqueue(message, [big], ['peer']);
  t.ok((await store.queue.content('m-3'))?.[0]?.equals(big), 'whole');
});
