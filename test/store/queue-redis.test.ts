// The shared queue/throttle behaviour suite against the Redis backend. Never skipped: without REDIS_URL or a
// redis-server on PATH, redisUrl() fails the run.
import { Redis } from 'ioredis';
import t, { type Test } from 'tap';
import { createRedisStore } from '../../src/store/redis/index.js';
import { ContentMissingError } from '../../src/store/redis/queue.js';
import { makeMessage, queueSuite } from './queue-behaviour.js';
import { dropKeys as dropKeysAt, redisUrl, testPrefix } from '../helpers/redis.js';
import { until } from '../helpers/until.js';

const url = await redisUrl(t);

const dropKeys = (prefix: string): Promise<void> => dropKeysAt(url, prefix);

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

/** A Redis store of its own for one test (its keys and connection go at the end). */
function ownStore(t: Test) {
  const redis = new Redis(url);
  const prefix = testPrefix();
  const store = createRedisStore({ redis, prefix });
  t.teardown(async () => {
    await store.queue.close().catch(() => {});
    await store.throttle.close().catch(() => {});
    await dropKeys(prefix);
    await redis.quit().catch(() => {});
  });
  return { redis, prefix, store };
}

/** Every key matching `pattern` (a whole SCAN: the server may hold other tests' keys). */
async function keysMatching(redis: Redis, pattern: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    out.push(...keys);
    cursor = next;
  } while (cursor !== '0');
  return out;
}

/**
 * A stage of message `id` whose slices did not all land: 150,000 bytes written (two full slices go out at
 * once, the rest with the enqueue), then the key cut back to its first slice, as if Redis had refused an
 * APPEND. Returns the stage and the keys its content key pattern matched (one, unless something is wrong).
 */
async function stageCutShort(ctx: ReturnType<typeof ownStore>, id: string) {
  const { redis, prefix, store } = ctx;
  const stage = store.queue.stage(id, 60_000);
  const part = stage.part();
  part.write(Buffer.alloc(150_000, 7));
  part.end();
  await stage.drain();
  const keys = await keysMatching(redis, `*${prefix}*c:${id}`);
  if (keys.length === 1) await redis.set(keys[0] as string, await redis.getrangeBuffer(keys[0] as string, 0, 65_535), 'KEEPTTL');
  return { stage, keys };
}

t.test('redis: a stage whose slices did not all land is refused by the enqueue script (its size is checked)', async (t) => {
  const ctx = ownStore(t);
  const { store } = ctx;
  const { stage, keys } = await stageCutShort(ctx, 'lost');
  t.equal(keys.length, 1, 'the stage key exists');
  await t.rejects(store.queue.enqueue(makeMessage('lost', ['+15550000002']), stage, ['mm4:carrier']), /content incomplete/);
  t.equal(await store.queue.message('lost'), undefined, 'no message stored');
  t.equal((await store.queue.take(10)).length, 0, 'no job');
});

t.test('redis: the enqueues of one turn go to Redis as one script run; each message stands or falls alone', async (t) => {
  const ctx = ownStore(t);
  const { redis, prefix, store } = ctx;
  // A stage cut short (as in the test above): its message must be refused, the others of its batch stored.
  const { stage, keys } = await stageCutShort(ctx, 'cut');
  t.equal(keys.length, 1, 'the stage key exists');

  // MONITOR shows the script calls of this prefix (other tests share the server).
  const monitor = await redis.monitor(); // a connection of its own, in monitor mode
  const scripts: string[][] = [];
  monitor.on('monitor', (_time: string, args: string[]) => {
    if (/^eval(sha)?$/i.test(args[0] ?? '') && args.some((a) => a.includes(prefix))) scripts.push(args);
  });
  t.teardown(() => monitor.disconnect());

  const live = { expiresAt: Date.now() + 3600_000 }; // this store runs on the real clock
  const results = await Promise.allSettled([
    store.queue.enqueue(makeMessage('b1', ['+15550000002'], live), [Buffer.from('one')], ['mm4:a']),
    store.queue.enqueue(makeMessage('cut', ['+15550000002'], live), stage, ['mm4:a']),
    store.queue.enqueue(makeMessage('b2', ['+15550000003', '+15550000004'], live), [Buffer.from('two')], ['mm4:b', 'mm4:a']),
    store.queue.enqueue(makeMessage('b1', ['+15550000002'], live), [Buffer.from('again')], ['mm4:a']),
    store.queue.enqueue(makeMessage('nan', ['+15550000002'], { expiresAt: Number.NaN }), [Buffer.from('x')], ['mm4:a']),
  ]);
  t.same(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'rejected'],
  );
  t.type((results[4] as PromiseRejectedResult).reason, RangeError, 'a time that is not a number is refused before it reaches the batch');
  const refusal = (results[1] as PromiseRejectedResult).reason as ContentMissingError;
  t.ok(refusal instanceof ContentMissingError, 'a typed refusal');
  t.equal(refusal.code, 'CONTENT_MISSING');
  t.match(refusal.message, /content incomplete for cut/);
  // MONITOR lines arrive on their own connection: wait for the first, then for any that would follow it.
  await until('the MONITOR line of the script run', () => scripts.length > 0, 5000);
  await new Promise((r) => setTimeout(r, 200));
  t.equal(scripts.length, 1, 'one script run for the enqueues of the turn');

  t.equal(await store.queue.message('cut'), undefined, 'the message with short content is not stored');
  t.same((await store.queue.content('b1'))?.map(String), ['one'], 'a re-submission in the same batch stores nothing of its own');
  const [b1Content] = await keysMatching(redis, `*${prefix}*c:b1`);
  t.ok((await redis.pttl(b1Content as string)) > 3000_000, "nor cuts the content's TTL to the short one of a write ahead of its script");
  t.same((await store.queue.content('b2'))?.map(String), ['two']);
  // Jobs of one batch keep their enqueue order within a peer, and the peers' schedules hold them.
  const jobs = await store.queue.take(10, 10);
  t.same(jobs.map((j) => `${j.peer} ${j.messageId}/${j.recipientIndex}`).sort(), ['mm4:a b1/0', 'mm4:a b2/1', 'mm4:b b2/0']);
  t.same(
    jobs.filter((j) => j.peer === 'mm4:a').map((j) => j.messageId),
    ['b1', 'b2'],
    "peer a's jobs in enqueue order",
  );
});

t.test('redis: entries of a settled job left in the leases and the expiry index are dropped by a take', async (t) => {
  // The settle script takes the jobs it settles off the leases, and the messages done off the expiry index,
  // in one ZREM each at its end; a script that failed part way would leave their entries there. The take
  // must drop such entries: a reclaim would make a delivered job due again, and the expiry sweep, which
  // reads the first 50 expired messages, would read this one at every take.
  const redis = new Redis(url);
  const prefix = testPrefix();
  const clock = { now: 1_800_000_000_000 };
  const store = createRedisStore({ redis, prefix, now: () => clock.now, leaseMs: 1000 });
  t.teardown(async () => {
    await store.queue.close().catch(() => {});
    await store.throttle.close().catch(() => {});
    await dropKeys(prefix);
    await redis.quit().catch(() => {});
  });
  const live = { expiresAt: clock.now + 3600_000 };
  await store.queue.enqueue(makeMessage('done', ['+15550000002'], live), [Buffer.from('x')], ['mm4:a']);
  await store.queue.enqueue(makeMessage('held', ['+15550000003'], live), [Buffer.from('y')], ['mm4:a']);
  const jobs = await store.queue.take(10, 10);
  t.same(
    jobs.map((j) => j.messageId),
    ['done', 'held'],
  );
  await store.queue.ack(jobs[0]!, 'delivered');
  const [leased] = await keysMatching(redis, `*${prefix}*leased`);
  t.ok(leased, 'the leases key');
  t.same(await redis.zrange(leased as string, '0', '-1'), ['held/0'], 'the ack took its job off the leases');
  await redis.zadd(leased as string, String(clock.now + 1000), 'done/0'); // as a failed settle would leave it
  const [exp] = await keysMatching(redis, `*${prefix}*exp`);
  t.ok(exp, 'the expiry index key');
  t.equal(await redis.zscore(exp as string, 'done'), null, 'the ack took the message off the expiry index');
  await redis.zadd(exp as string, String(clock.now), 'done'); // likewise, and already expired

  clock.now += 1001; // both leases ended (a lease is held through its last ms)
  const again = await store.queue.take(10, 10);
  t.same(
    again.map((j) => `${j.messageId}/${j.attempt}`),
    ['held/2'],
    'the job still being delivered is reclaimed and handed out again',
  );
  t.same(await store.queue.states('done'), ['delivered'], 'the delivered job stays delivered');
  t.same(
    (await store.queue.history('done', 0)).map((h) => h.state),
    ['queued', 'delivering', 'delivered'],
    'and its history has no reclaim',
  );
  t.same(await redis.zrange(leased as string, '0', '-1'), ['held/0'], 'its entry is gone from the leases');
  t.equal(await redis.zscore(exp as string, 'done'), null, 'and from the expiry index');
  t.ok(await redis.zscore(exp as string, 'held'), 'where the message still pending stays');
});

t.test('redis: a replacement stage is renamed over the content, which keeps the message lifetime; nothing is left behind', async (t) => {
  const { redis, prefix, store } = ownStore(t);
  const keysOf = (pattern: string) => keysMatching(redis, `*${prefix}*${pattern}`);
  await store.queue.enqueue(makeMessage('rn', ['+15550000002']), [Buffer.from('old')], ['mm4:carrier']);
  const [contentKey] = await keysOf('c:rn');
  const before = await redis.pttl(contentKey as string);
  t.ok(before > 24 * 3600_000, `the content lives as long as the message (${before} ms)`);
  const stage = store.queue.stage('rn', 30_000, 'replacement');
  const part = stage.part();
  part.write(Buffer.alloc(70_000, 3)); // one slice out before the replace, the rest with it
  part.end();
  await stage.drain();
  const staged = await keysOf('c:rn:next:*');
  t.equal(staged.length, 1, 'the replacement is written beside the content');
  const stagedTtl = await redis.pttl(staged[0] as string);
  t.ok(stagedTtl > 0 && stagedTtl <= 30_000, 'with the stage TTL');
  t.equal(await store.queue.replace(makeMessage('rn', ['+15550000002']), stage), 'replaced');
  t.same(await keysOf('c:rn:next:*'), [], 'no stage key left');
  const after = await redis.pttl(contentKey as string);
  t.ok(after > 24 * 3600_000 && after <= before, `the content keeps the message lifetime (${after} ms), not the stage's`);
  t.equal((await store.queue.content('rn'))?.[0]?.length, 70_000);

  const refused = store.queue.stage('gone', 30_000, 'replacement');
  refused.part().write(Buffer.from('x'));
  t.equal(await store.queue.replace(makeMessage('gone', ['+15550000002']), refused), 'unknown');
  await refused.discard();
  t.same(await keysOf('c:gone*'), [], 'a discarded replacement leaves no key');
});

t.test('redis: a requeued dead letter gets its message and content back their lifetime and its expiry entry', async (t) => {
  // A message whose last recipient failed lives on for the retention only; requeued, it is pending again and
  // must live until its expiry, or it would vanish under the job.
  const redis = new Redis(url);
  const prefix = testPrefix();
  const store = createRedisStore({ redis, prefix, retentionMs: 5000, maxAttempts: 1 });
  t.teardown(async () => {
    await store.queue.close().catch(() => {});
    await dropKeys(prefix);
    await redis.quit().catch(() => {});
  });
  const expiresAt = Date.now() + 2 * 3600_000;
  await store.queue.enqueue(makeMessage('rq', ['+15550000002'], { expiresAt }), [Buffer.from('x')], ['smsc:a']);
  const [job] = await store.queue.take(1);
  t.equal(await store.queue.retry(job!, 'down', 0), 'failed');
  const [mk] = await keysMatching(redis, `*${prefix}*m:rq`);
  const [ck] = await keysMatching(redis, `*${prefix}*c:rq`);
  const exp = `${prefix}:{s0}:exp`; // emptied by the failure: the key is gone, SCAN would not find it
  t.ok((await redis.pttl(mk!)) <= 5000, 'done: kept for the retention only');
  t.equal(await redis.zscore(exp, 'rq'), null, 'and off the expiry index');
  t.equal(await store.queue.requeueDead('rq', 0), 'requeued');
  for (const key of [mk!, ck!]) t.ok((await redis.pttl(key)) > 2 * 3600_000, `${key.slice(prefix.length)} lives past its expiry again`);
  t.equal(Number(await redis.zscore(exp, 'rq')), expiresAt, 'back on the expiry index');
  t.same(await redis.lrange(`${prefix}:{s0}:dead`, 0, -1), [], 'the dead-letter entry is gone');
});

t.test('redis: the search index of an address is trimmed past its lifetime and expires with it', async (t) => {
  const redis = new Redis(url);
  const prefix = testPrefix();
  const clock = { now: 1_800_000_000_000 };
  const store = createRedisStore({ redis, prefix, now: () => clock.now, searchIndexMs: 60_000 });
  t.teardown(async () => {
    await store.queue.close().catch(() => {});
    await dropKeys(prefix);
    await redis.quit().catch(() => {});
  });
  const send = async (id: string) =>
    store.queue.enqueue(
      makeMessage(id, ['+15550000002'], { receivedAt: clock.now, expiresAt: clock.now + 3600_000 }),
      [Buffer.from('x')],
      ['p'],
    );
  for (let i = 0; i < 20; i++) await send(`old${i}`);
  const key = `${prefix}:{x:to:+15550000002}`;
  t.equal(await redis.zcard(key), 20);
  const ttl = await redis.pttl(key);
  t.ok(ttl > 50_000 && ttl <= 60_000, `the key lives the index lifetime (${ttl} ms)`);
  clock.now += 61_000;
  for (let i = 0; i < 20; i++) await send(`new${i}`);
  t.equal(await redis.zcard(key), 20, 'the entries past the lifetime were trimmed by a later write');
  t.strictSame((await redis.zrange(key, '0', '-1')).sort(), Array.from({ length: 20 }, (_, i) => `new${i}`).sort());
});
