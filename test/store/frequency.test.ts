// Marketing send counts (FrequencyStore) on the embedded store and on Redis, the same contract: rolling 24 h
// and 7 d windows per (sender, subscriber), a send counted only when under both caps, the answer over a cap
// being when the window frees up (and which cap), a token counted once (a retry of a counted job passes and
// is not counted again). On Redis: two clients racing on one key never pass more than the cap (caps hold
// across instances), one hash-tagged key per pair with a TTL of at most the week.
import { Redis } from 'ioredis';
import t, { type Test } from 'tap';
import type { FrequencyStore } from '../../src/core/ports.js';
import { MemoryFrequency } from '../../src/store/memory/frequency.js';
import { RedisFrequency } from '../../src/store/redis/frequency.js';
import { createRedisStore } from '../../src/store/redis/index.js';
import { dropKeys, redisUrl, testPrefix } from '../helpers/redis.js';

const url = await redisUrl(t);
const H = 3_600_000;
const DAY = 24 * H;
const T0 = Date.parse('2026-06-16T12:00:00Z');

type Setup = () => Promise<{ store: FrequencyStore; clock: { now: number }; cleanup: () => Promise<void> }>;

function suite(t: Test, name: string, setup: Setup): void {
  t.test(`${name}: a daily cap, rolling`, async (t) => {
    const { store, clock, cleanup } = await setup();
    t.teardown(cleanup);
    const caps = { maxPerDay: 2 };
    t.same(await store.take('12345', '+15550001', 'm1/0', caps), { ok: true });
    clock.now += H;
    t.same(await store.take('12345', '+15550001', 'm2/0', caps), { ok: true });
    clock.now += H;
    t.same(
      await store.take('12345', '+15550001', 'm3/0', caps),
      { ok: false, until: T0 + DAY, cap: 'day' },
      'third: until the first leaves',
    );
    t.same(await store.take('12345', '+15550001', 'm1/0', caps), { ok: true }, 'a token counted before passes');
    t.same(await store.take('12345', '+15550002', 'm3/1', caps), { ok: true }, 'another subscriber: its own count');
    t.same(await store.take('67890', '+15550001', 'm4/0', caps), { ok: true }, 'another sender: its own count');
    clock.now = T0 + DAY - 1;
    t.same(await store.take('12345', '+15550001', 'm3/0', caps), { ok: false, until: T0 + DAY, cap: 'day' }, 'a millisecond before');
    clock.now = T0 + DAY;
    t.same(await store.take('12345', '+15550001', 'm3/0', caps), { ok: true }, 'the first has left the window');
    t.same(await store.take('12345', '+15550001', 'm5/0', caps), { ok: false, until: T0 + H + DAY, cap: 'day' }, 'now the second holds');
  });

  t.test(`${name}: a weekly cap with a daily one`, async (t) => {
    const { store, clock, cleanup } = await setup();
    t.teardown(cleanup);
    const caps = { maxPerDay: 2, maxPerWeek: 3 };
    t.same(await store.take('s', '+1', 'a', caps), { ok: true });
    clock.now += H;
    t.same(await store.take('s', '+1', 'b', caps), { ok: true });
    clock.now = T0 + 25 * H;
    t.same(await store.take('s', '+1', 'c', caps), { ok: true }, 'a day later: under both');
    clock.now = T0 + 26 * H;
    t.same(
      await store.take('s', '+1', 'd', caps),
      { ok: false, until: T0 + 7 * DAY, cap: 'week' },
      'the week is full: until the first leaves it',
    );
    clock.now = T0 + 25 * H + 1;
    t.same(
      await store.take('s', '+1', 'e', { maxPerDay: 1, maxPerWeek: 3 }),
      { ok: false, until: T0 + 7 * DAY, cap: 'week' },
      'both over: the later',
    );
    clock.now = T0 + 7 * DAY;
    t.same(await store.take('s', '+1', 'd', caps), { ok: true }, 'a week after the first: room again');
  });

  t.test(`${name}: no caps counts and passes; a count seen by a later capped call`, async (t) => {
    const { store, cleanup } = await setup();
    t.teardown(cleanup);
    for (const k of ['a', 'b', 'c']) t.same(await store.take('s', '+2', k, {}), { ok: true });
    t.same(await store.take('s', '+2', 'd', { maxPerWeek: 3 }), { ok: false, until: T0 + 7 * DAY, cap: 'week' });
  });
}

suite(t, 'memory', async () => {
  const clock = { now: T0 };
  return { store: new MemoryFrequency(() => clock.now), clock, cleanup: async () => {} };
});

suite(t, 'redis', async () => {
  const redis = new Redis(url);
  const prefix = testPrefix();
  const clock = { now: T0 };
  const store = createRedisStore({ redis, prefix, now: () => clock.now });
  return {
    store: store.frequency,
    clock,
    cleanup: async () => {
      await store.queue.close().catch(() => {});
      await dropKeys(url, prefix);
      await redis.quit().catch(() => {});
    },
  };
});

t.test('memory: pairs untouched for a week are dropped', async (t) => {
  const clock = { now: T0 };
  const store = new MemoryFrequency(() => clock.now);
  await store.take('s', '+1', 'a', { maxPerDay: 1 });
  await store.take('s', '+2', 'b', { maxPerDay: 1 });
  t.equal(store.size, 2);
  clock.now += 7 * DAY;
  await store.take('s', '+3', 'c', { maxPerDay: 1 });
  t.equal(store.size, 1, 'only the new pair is held');
});

t.test('redis: two instances racing on one subscriber never pass more than the cap', async (t) => {
  const prefix = testPrefix();
  const a = new Redis(url);
  const b = new Redis(url);
  t.teardown(async () => {
    await dropKeys(url, prefix);
    await a.quit();
    await b.quit();
  });
  const one = new RedisFrequency(a, prefix);
  const two = new RedisFrequency(b, prefix);
  const calls = [];
  for (let i = 0; i < 100; i++) calls.push((i % 2 ? one : two).take('12345', '+15550009', `m${i}/0`, { maxPerDay: 5, maxPerWeek: 7 }));
  const answers = await Promise.all(calls);
  t.equal(answers.filter((x) => x.ok).length, 5, 'exactly the cap passed');
  t.ok(
    answers.filter((x) => !x.ok).every((x) => !x.ok && x.cap === 'day'),
    'the rest were told the daily cap',
  );
  // The layout: one hash-tagged key per pair, five members, expiring within the week.
  const key = one.key('12345', '+15550009');
  t.match(key, /\{f:12345:\+15550009\}$/);
  t.equal(await a.zcard(key), 5);
  const ttl = await a.pttl(key);
  t.ok(ttl > 0 && ttl <= 7 * DAY, `TTL ${ttl}`);
  t.match(one.key('a{b}', 'x y'), /\{f:#[\w-]+:#[\w-]+\}$/, 'braces and spaces hashed out of the tag');
});
