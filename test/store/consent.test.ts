// The consent registry (ConsentStore) on the embedded store and on Redis: one contract for both: current
// state and bounded history per (sender, subscriber), paged export by sender or all, import that keeps a
// newer change, and the Redis layout (one hash tag per sender).
import { Redis } from 'ioredis';
import t from 'tap';
import type { Test } from 'tap';
import type { ConsentEntry, ConsentStore } from '../../src/core/ports.js';
import { createMemoryStore } from '../../src/store/memory/index.js';
import { MemoryConsent } from '../../src/store/memory/consent.js';
import { createRedisStore } from '../../src/store/redis/index.js';
import { RedisConsent } from '../../src/store/redis/consent.js';
import { dropKeys, redisUrl, testPrefix } from '../helpers/redis.js';

const url = await redisUrl(t);

async function all(it: AsyncIterable<ConsentEntry>): Promise<ConsentEntry[]> {
  const out: ConsentEntry[] = [];
  for await (const e of it) out.push(e);
  return out.sort((a, b) => `${a.sender}/${a.subscriber}`.localeCompare(`${b.sender}/${b.subscriber}`));
}

function suite(name: string, make: (t: Test, historyLimit?: number) => Promise<ConsentStore>): void {
  t.test(`${name}: get, set, history`, async (t) => {
    const c = await make(t);
    t.equal(await c.get('12345', '+14155550100'), undefined, 'no record: undefined');
    await c.set('12345', '+14155550100', { state: 'pending', source: 'keyword', at: 1_000, proof: 'MO "START"' });
    await c.set('12345', '+14155550100', { state: 'opted-in', source: 'keyword', at: 2_000, proof: 'MO "YES"' });
    await c.set('12345', '+14155550100', { state: 'opted-out', source: 'web', at: 3_000 });
    const r = await c.get('12345', '+14155550100');
    t.strictSame(r, {
      sender: '12345',
      subscriber: '+14155550100',
      state: 'opted-out',
      source: 'web',
      at: 3_000,
      history: [
        { state: 'pending', source: 'keyword', at: 1_000, proof: 'MO "START"' },
        { state: 'opted-in', source: 'keyword', at: 2_000, proof: 'MO "YES"' },
        { state: 'opted-out', source: 'web', at: 3_000 },
      ],
    });
    t.equal(await c.get('54321', '+14155550100'), undefined, 'another sender: its own registry');
    t.equal(await c.get('12345', '+14155550199'), undefined, 'another subscriber: none');
  });

  t.test(`${name}: history bounded, the newest kept`, async (t) => {
    const c = await make(t, 5);
    for (let i = 1; i <= 12; i++) await c.set('s{1}', '+1', { state: i % 2 ? 'opted-in' : 'opted-out', source: 'api', at: i });
    const r = await c.get('s{1}', '+1');
    t.equal(r?.history.length, 5);
    t.strictSame(
      r?.history.map((h) => h.at),
      [8, 9, 10, 11, 12],
    );
    t.equal(r?.state, 'opted-out', 'the last change is current');
  });

  t.test(`${name}: export by sender and all, paged past one page`, async (t) => {
    const c = await make(t);
    const many: ConsentEntry[] = [];
    for (let i = 0; i < 1_200; i++)
      many.push({ sender: 'big', subscriber: `+1415555${String(i).padStart(4, '0')}`, state: 'opted-in', source: 'import', at: i });
    t.equal(await c.import(many), 1_200);
    await c.set('small', '+447700900123', { state: 'opted-out', source: 'keyword', at: 5, proof: 'STOP' });
    const big = await all(c.export('big'));
    t.equal(big.length, 1_200, 'every entry of the sender, once');
    t.equal(new Set(big.map((e) => e.subscriber)).size, 1_200);
    t.strictSame(await all(c.export('small')), [
      { sender: 'small', subscriber: '+447700900123', state: 'opted-out', source: 'keyword', at: 5, proof: 'STOP' },
    ]);
    t.strictSame(await all(c.export('none')), [], 'a sender with no entry: nothing');
    t.equal((await all(c.export())).length, 1_201, 'all senders');
  });

  t.test(`${name}: import keeps a newer change current, history has both`, async (t) => {
    const c = await make(t);
    await c.set('12345', '+1', { state: 'opted-out', source: 'keyword', at: 5_000, proof: 'STOP' });
    const n = await c.import([
      { sender: '12345', subscriber: '+1', state: 'opted-in', source: 'import', at: 1_000, proof: 'old.csv' },
      { sender: '12345', subscriber: '+2', state: 'opted-in', source: 'import', at: 1_000, proof: 'old.csv' },
    ]);
    t.equal(n, 1, 'only the new pair became current');
    const r = await c.get('12345', '+1');
    t.equal(r?.state, 'opted-out', 'the later STOP still holds');
    t.equal(r?.history.length, 2, 'the import is in the history');
    t.equal((await c.get('12345', '+2'))?.state, 'opted-in');
  });
}

suite('memory', async (_t, limit) => (limit ? new MemoryConsent(limit) : createMemoryStore().consent));

suite('redis', async (t, limit) => {
  const redis = new Redis(url);
  const prefix = testPrefix();
  t.teardown(async () => {
    await dropKeys(url, prefix);
    await redis.quit();
  });
  return limit ? new RedisConsent(redis, prefix, limit) : createRedisStore({ redis, prefix }).consent;
});

t.test('redis: one hash tag per sender (Cluster-safe), no TTL', async (t) => {
  const redis = new Redis(url);
  const prefix = testPrefix();
  t.teardown(async () => {
    await dropKeys(url, prefix);
    await redis.quit();
  });
  const c = new RedisConsent(redis, prefix);
  await c.set('12345', '+14155550100', { state: 'opted-in', source: 'api', at: 1 });
  const keys = (await redis.keys(`${prefix}*`)).sort();
  t.strictSame(keys, [`${prefix}:{c:12345}:cur`, `${prefix}:{c:12345}:h:+14155550100`, `${prefix}:{c}:senders`]);
  for (const k of keys) t.equal(await redis.pttl(k), -1, `${k} does not expire`);
});
