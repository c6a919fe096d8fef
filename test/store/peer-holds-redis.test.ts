// Peer holds across instances on one Redis: a hold made through one queue object holds for another sharing
// the prefix (another gateway instance), and a hold only written to the holds hash (its instance died before
// hiding the peer in the shards) is applied by the others within about a second.
import { Redis } from 'ioredis';
import t, { type Test } from 'tap';
import { createRedisStore } from '../../src/store/redis/index.js';
import { dropKeys, redisUrl, testPrefix } from '../helpers/redis.js';
import { makeMessage } from './queue-behaviour.js';

const url = await redisUrl(t);
/** makeMessage's messages expire a week after its fake clock's start: these run on the real clock. */
const live = (id: string, to: string, at?: number) =>
  makeMessage(id, [to], { expiresAt: Date.now() + 3600_000, receivedAt: Date.now(), ...(at ? { earliestDeliveryAt: at } : {}) });
const parts = () => [Buffer.from('hello'), Buffer.from([0, 1, 0x7f, 0xff])];

function twoInstances(t: Test, shards = 1) {
  const prefix = testPrefix();
  const clients = [new Redis(url), new Redis(url)];
  const [one, two] = clients.map((redis) => createRedisStore({ redis, prefix, shards }));
  t.teardown(async () => {
    await dropKeys(url, prefix);
    for (const c of clients) await c.quit().catch(() => {});
  });
  return { one: one!.queue, two: two!.queue, redis: clients[0]!, prefix };
}

t.test('a peer paused on one instance is not delivered by the other; resumed on the other, it is', async (t) => {
  const { one, two } = twoInstances(t, 4);
  for (let i = 0; i < 8; i++) await one.enqueue(live(`m${i}`, '+1555000001'), parts(), ['A']);
  await one.enqueue(live('b', '+1555000002'), parts(), ['B']);
  await one.holdPeer('A', { mode: 'paused', by: 'ops', at: Date.now() });
  const taken = await two.take(100, 100);
  t.strictSame(
    taken.map((j) => j.peer),
    ['B'],
    'instance two hands out none of A (in any of the 4 shards)',
  );
  t.strictSame([...(await two.peerHolds()).keys()], ['A'], 'and sees the hold');
  t.equal(await two.releasePeer('A'), true);
  t.equal((await one.take(100, 100)).length, 8, 'released from instance two, instance one delivers A again');
});

t.test('a hold only written to the holds hash is applied by every instance within about a second', async (t) => {
  const { one, redis, prefix } = twoInstances(t);
  await one.enqueue(live('x', '+1555000001'), parts(), ['A']);
  await one.enqueue(live('y', '+1555000001', Date.now() + 1500), parts(), ['A']);
  t.equal((await one.take(1)).length, 1, 'x is handed out (and the take read the holds: none)');
  // Another instance held A and died before hiding it in the shards.
  await redis.hset(`${prefix}:holds`, 'A', JSON.stringify({ mode: 'paused', by: 'ops', at: Date.now() }));
  const until = Date.now() + 3000;
  let seen = false;
  while (Date.now() < until) {
    const jobs = await one.take(10);
    if (jobs.length > 0) t.fail(`y handed out while held: ${jobs[0]?.messageId}`);
    if ((await redis.hget(`${prefix}:{s0}:hide`, 'A')) !== null) seen = true;
    await new Promise((r) => setTimeout(r, 100));
  }
  t.ok(seen, 'the hold reached the shard');
  // The same when it is released only in the hash.
  await redis.hdel(`${prefix}:holds`, 'A');
  let released: string | undefined;
  for (const end = Date.now() + 3000; !released && Date.now() < end; await new Promise((r) => setTimeout(r, 100)))
    released = (await one.take(10))[0]?.messageId;
  t.equal(released, 'y', 'released in the hash alone: handed out again');
});
