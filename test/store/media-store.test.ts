// The media store (MediaStore: uploads by id, fetched media by cache key) on the embedded store and on Redis:
// the shared contract (bytes and meta kept, TTL, touch keeps the bytes, delete), the memory store's byte
// bound, and the Redis key layout (one hash tag per record, long keys hashed, TTL set).
import { Redis } from 'ioredis';
import t, { type Test } from 'tap';
import type { MediaStore } from '../../src/core/ports.js';
import { createMemoryStore, MemoryMediaStore } from '../../src/store/memory/index.js';
import { createRedisStore, RedisMediaStore } from '../../src/store/redis/index.js';
import { dropKeys, redisUrl, testPrefix } from '../helpers/redis.js';

const url = await redisUrl(t);

interface Subject {
  store: MediaStore;
  /** Let `ms` pass on the store's clock. */
  pass(ms: number): Promise<void>;
}

function suite(name: string, make: (t: Test) => Promise<Subject>): void {
  t.test(`${name}: put and get, bytes and meta as given`, async (t) => {
    const { store } = await make(t);
    const bytes = Buffer.from([0, 1, 2, 255, 254, 0x80]);
    await store.put('upload', 'med_abc', { meta: '{"owner":"acme"}', bytes }, 60_000);
    const got = await store.get('upload', 'med_abc');
    t.ok(got?.bytes.equals(bytes), 'binary bytes kept exactly');
    t.equal(got?.meta, '{"owner":"acme"}');
    t.equal(await store.get('url', 'med_abc'), undefined, 'kinds are apart');
    t.equal(await store.get('upload', 'med_other'), undefined);
    // A URL key (spaces, braces, long): stored and found.
    const key = `acme https://cdn.example/{a}/${'x'.repeat(200)}.png`;
    await store.put('url', key, { meta: 'm1', bytes: Buffer.from('one') }, 60_000);
    t.equal((await store.get('url', key))?.bytes.toString(), 'one');
    await store.put('url', key, { meta: 'm2', bytes: Buffer.from('two') }, 60_000);
    const replaced = await store.get('url', key);
    t.strictSame({ meta: replaced?.meta, bytes: replaced?.bytes.toString() }, { meta: 'm2', bytes: 'two' }, 'replaced');
    await store.delete('url', key);
    t.equal(await store.get('url', key), undefined, 'deleted');
  });

  t.test(`${name}: a record expires; touch renews it with new meta and the same bytes`, async (t) => {
    const { store, pass } = await make(t);
    await store.put('url', 'k1', { meta: 'old', bytes: Buffer.from('body') }, 300);
    await store.put('url', 'k2', { meta: 'x', bytes: Buffer.from('gone') }, 300);
    t.ok(await store.touch('url', 'k1', 'new', 60_000), 'touched while there');
    await pass(500);
    t.equal(await store.get('url', 'k2'), undefined, 'k2 expired');
    const k1 = await store.get('url', 'k1');
    t.equal(k1?.meta, 'new', 'k1 lives on with the new meta');
    t.equal(k1?.bytes.toString(), 'body', 'and its bytes');
    t.notOk(await store.touch('url', 'k2', 'late', 60_000), 'a record gone is not made again');
    t.equal(await store.get('url', 'k2'), undefined);
  });
}

suite('memory', async () => {
  const clock = { now: 1_700_000_000_000 };
  const store = createMemoryStore({ now: () => clock.now });
  return { store: store.media, pass: async (ms) => void (clock.now += ms) };
});

suite('redis', async (t) => {
  const redis = new Redis(url);
  const prefix = testPrefix();
  const store = createRedisStore({ redis, prefix });
  t.teardown(async () => {
    await store.queue.close().catch(() => {});
    await dropKeys(url, prefix);
    await redis.quit().catch(() => {});
  });
  // Redis expires keys by its own clock: real milliseconds.
  return { store: store.media, pass: (ms) => new Promise((r) => setTimeout(r, ms)) };
});

t.test('memory: bounded by bytes; the oldest go first, a record over the bound is not kept', async (t) => {
  const clock = { now: 0 };
  const store = new MemoryMediaStore(() => clock.now, 100);
  await store.put('upload', 'a', { meta: '', bytes: Buffer.alloc(40) }, 1000);
  await store.put('upload', 'b', { meta: '', bytes: Buffer.alloc(40) }, 1000);
  await store.put('upload', 'c', { meta: '', bytes: Buffer.alloc(40) }, 1000);
  t.equal(await store.get('upload', 'a'), undefined, 'the oldest went');
  t.ok(await store.get('upload', 'c'));
  t.ok(store.size <= 100, `${store.size} bytes held`);
  await store.put('upload', 'huge', { meta: '', bytes: Buffer.alloc(101) }, 1000);
  t.equal(await store.get('upload', 'huge'), undefined, 'over the bound: not kept');
  t.throws(() => new MemoryMediaStore(Date.now, 0), RangeError);
});

t.test('redis: one hash per record under its own hash tag, long or odd keys hashed, with its TTL', async (t) => {
  const redis = new Redis(url);
  const prefix = testPrefix();
  t.teardown(async () => {
    await dropKeys(url, prefix);
    await redis.quit().catch(() => {});
  });
  const store = new RedisMediaStore(redis, prefix);
  t.equal(store.key('upload', 'med_abc'), `${prefix}:{med:upload:med_abc}`);
  const odd = store.key('url', 'acme https://cdn.example/{x}.png');
  t.match(odd, new RegExp(`^${prefix}:\\{med:url:#[\\w-]{43}\\}$`), 'a key with spaces or braces is hashed');
  t.equal((odd.match(/[{}]/g) ?? []).length, 2, 'one hash tag');
  await store.put('upload', 'med_abc', { meta: 'm', bytes: Buffer.from('b') }, 60_000);
  const key = `${prefix}:{med:upload:med_abc}`;
  t.equal(await redis.hget(key, 'm'), 'm');
  const ttl = await redis.pttl(key);
  t.ok(ttl > 0 && ttl <= 60_000, `TTL ${ttl} ms`);
});
