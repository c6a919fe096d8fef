// StoreHandsetMemory on both backends (the embedded MediaStore and Redis): hints kept per subscriber for
// 180 days, written only when they change (counted at the store), refreshed before they expire, and shared
// between instances through the store.
import { Redis } from 'ioredis';
import t, { type Test } from 'tap';
import { HANDSET_REFRESH_MS, HANDSET_TTL_MS, StoreHandsetMemory } from '../../src/adapt/handset-memory.js';
import type { MediaRecord, MediaRecordKind, MediaStore } from '../../src/core/ports.js';
import { MemoryMediaStore } from '../../src/store/memory/media.js';
import { RedisMediaStore } from '../../src/store/redis/media.js';
import { dropKeys, redisUrl, testPrefix } from '../helpers/redis.js';

const url = await redisUrl(t);

/** A store that counts the writes reaching it. */
class Counting implements MediaStore {
  puts: { kind: MediaRecordKind; key: string; ttlMs: number }[] = [];
  constructor(private readonly inner: MediaStore) {}
  put(kind: MediaRecordKind, key: string, record: MediaRecord, ttlMs: number) {
    this.puts.push({ kind, key, ttlMs });
    return this.inner.put(kind, key, record, ttlMs);
  }
  get(kind: MediaRecordKind, key: string) {
    return this.inner.get(kind, key);
  }
  touch(kind: MediaRecordKind, key: string, meta: string, ttlMs: number) {
    return this.inner.touch(kind, key, meta, ttlMs);
  }
  delete(kind: MediaRecordKind, key: string) {
    return this.inner.delete(kind, key);
  }
}

interface Subject {
  store: MediaStore;
  clock: { now: number };
  /** Remaining TTL of a subscriber's record, in ms, as the backend sees it (Redis: PTTL). */
  ttl?: (address: string) => Promise<number>;
}

const PROFILE = 'http://wap.example.com/uaprof/X100.xml';
const UA = 'Nokia6600/1.0 (4.09.1) SymbianOS/7.0s Series60/2.0 Profile/MIDP-2.0';

function suite(name: string, make: (t: Test) => Promise<Subject>): void {
  t.test(`${name}: remembered, written only when changed`, async (t) => {
    const { store: inner, clock } = await make(t);
    const store = new Counting(inner);
    const a = new StoreHandsetMemory(store, { now: () => clock.now });
    t.equal(await a.get('+15550001'), undefined, 'nothing known');
    await a.remember('+15550001', { profileUrl: ` ${PROFILE} `, userAgent: UA, at: 0 });
    t.strictSame(await a.get('+15550001'), { at: clock.now, profileUrl: PROFILE, userAgent: UA }, 'trimmed, stamped with the time written');
    t.strictSame(store.puts, [{ kind: 'handset', key: '+15550001', ttlMs: HANDSET_TTL_MS }], 'one write, 180 days');
    for (let k = 0; k < 50; k++) {
      clock.now += 60_000;
      await a.remember('+15550001', { profileUrl: PROFILE, userAgent: UA, at: clock.now });
    }
    t.equal(store.puts.length, 1, 'fifty requests with the same headers: no more writes');
    await a.remember('+15550001', { at: clock.now });
    t.equal(store.puts.length, 1, 'a request without the headers changes nothing');
    await a.remember('+15550001', { profileUrl: PROFILE, userAgent: 'Nokia6600/2.0', at: clock.now });
    t.equal(store.puts.length, 2, 'a new User-Agent is written');
    t.equal((await a.get('+15550001'))?.userAgent, 'Nokia6600/2.0');
    await a.remember('+15550001', { profileUrl: 'http://wap.example.com/uaprof/X200.xml', at: clock.now });
    t.strictSame(
      await a.get('+15550001'),
      { at: clock.now, profileUrl: 'http://wap.example.com/uaprof/X200.xml' },
      'the profile alone now',
    );
    t.equal(store.puts.length, 3);
    t.equal(await a.get('+15550002'), undefined, 'subscribers are apart');
  });

  t.test(`${name}: knows: true only for what this instance knows the record says (and is not due for its refresh)`, async (t) => {
    const { store: inner, clock } = await make(t);
    const store = new Counting(inner);
    const a = new StoreHandsetMemory(store, { now: () => clock.now });
    t.equal(a.knows('+15550009', { userAgent: UA, at: clock.now }), false, 'nothing known here yet');
    t.equal(a.knows('+15550009', { at: clock.now }), true, 'a hint that says nothing changes nothing');
    await a.remember('+15550009', { userAgent: UA, at: clock.now });
    t.equal(a.knows('+15550009', { userAgent: ` ${UA} `, at: clock.now }), true, 'as written (bounded and trimmed alike)');
    t.equal(a.knows('+15550009', { userAgent: UA, profileUrl: PROFILE, at: clock.now }), false, 'a profile URL besides');
    t.equal(a.knows('+15550009', { userAgent: 'Other/1', at: clock.now }), false, 'another User-Agent');
    clock.now += HANDSET_REFRESH_MS;
    t.equal(a.knows('+15550009', { userAgent: UA, at: clock.now }), false, 'due for its refresh');
    const b = new StoreHandsetMemory(store, { now: () => clock.now });
    t.equal(b.knows('+15550009', { userAgent: UA, at: clock.now }), false, 'another instance reads the store first');
    t.equal(store.puts.length, 1, 'knows writes nothing');
  });

  t.test(`${name}: another instance sees it, and does not write it again`, async (t) => {
    const { store: inner, clock } = await make(t);
    const store = new Counting(inner);
    const a = new StoreHandsetMemory(store, { now: () => clock.now });
    const b = new StoreHandsetMemory(store, { now: () => clock.now });
    await a.remember('+15550003', { profileUrl: PROFILE, at: clock.now });
    t.equal((await b.get('+15550003'))?.profileUrl, PROFILE, 'shared through the store');
    await b.remember('+15550003', { profileUrl: PROFILE, at: clock.now });
    t.equal(store.puts.length, 1, 'B read what A wrote and did not write the same again');
  });

  t.test(`${name}: an unchanged hint is refreshed before it expires`, async (t) => {
    const { store: inner, clock, ttl } = await make(t);
    const store = new Counting(inner);
    const a = new StoreHandsetMemory(store, { now: () => clock.now });
    await a.remember('+15550004', { userAgent: UA, at: clock.now });
    clock.now += HANDSET_REFRESH_MS - 1;
    await a.remember('+15550004', { userAgent: UA, at: clock.now });
    t.equal(store.puts.length, 1, 'not yet');
    clock.now += 2;
    await a.remember('+15550004', { userAgent: UA, at: clock.now });
    t.equal(store.puts.length, 2, 'after the refresh period, written again (its TTL restarts)');
    if (ttl) {
      const left = await ttl('+15550004');
      t.ok(left > HANDSET_TTL_MS - 60_000 && left <= HANDSET_TTL_MS, `the backend's TTL is 180 days (${left} ms)`);
    }
  });

  t.test(`${name}: a record that is not a hint is not trusted`, async (t) => {
    const { store } = await make(t);
    await store.put('handset', '+15550005', { meta: 'not json', bytes: Buffer.alloc(0) }, 60_000);
    await store.put('handset', '+15550006', { meta: '{"profileUrl":42,"at":"x"}', bytes: Buffer.alloc(0) }, 60_000);
    await store.put('handset', '+15550007', { meta: '{"profileUrl":42,"userAgent":"UA","at":5}', bytes: Buffer.alloc(0) }, 60_000);
    const a = new StoreHandsetMemory(store);
    t.equal(await a.get('+15550005'), undefined);
    t.equal(await a.get('+15550006'), undefined);
    t.strictSame(await a.get('+15550007'), { at: 5, userAgent: 'UA' }, 'fields of the wrong type dropped');
  });

  t.test(`${name}: long header values are bounded`, async (t) => {
    const { store } = await make(t);
    const a = new StoreHandsetMemory(store);
    await a.remember('+15550008', { userAgent: 'U'.repeat(100_000), at: 0 });
    t.equal((await a.get('+15550008'))?.userAgent?.length, 1024);
  });
}

suite('memory', async () => {
  const clock = { now: Date.UTC(2030, 0, 15, 12) };
  return { store: new MemoryMediaStore(() => clock.now), clock };
});

suite('redis', async (t) => {
  const prefix = testPrefix();
  const redis = new Redis(url);
  const store = new RedisMediaStore(redis, prefix);
  t.teardown(async () => {
    await redis.quit();
    await dropKeys(url, prefix);
  });
  return {
    store,
    clock: { now: Date.now() },
    ttl: async (address) => redis.pttl(store.key('handset', address)),
  };
});

t.test('the in-process cache is bounded', async (t) => {
  const inner = new MemoryMediaStore();
  const store = new Counting(inner);
  const a = new StoreHandsetMemory(store, { cacheEntries: 2 });
  for (const n of ['+1', '+2', '+3']) await a.remember(n, { userAgent: UA, at: 0 });
  t.equal(store.puts.length, 3);
  await inner.put(
    'handset',
    '+1',
    { meta: JSON.stringify({ at: Date.now(), userAgent: 'changed elsewhere' }), bytes: Buffer.alloc(0) },
    60_000,
  );
  await a.remember('+1', { userAgent: UA, at: 0 });
  t.equal(store.puts.length, 4, '+1 was forgotten by the cache: read from the store, found different, written');
  await a.remember('+3', { userAgent: UA, at: 0 });
  t.equal(store.puts.length, 4, '+3 still cached');
});
