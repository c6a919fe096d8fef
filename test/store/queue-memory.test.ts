// The shared queue/throttle behaviour suite against the embedded (memory) backend, plus a volume check.
import t from 'tap';
import { createMemoryStore } from '../../src/store/memory/index.js';
import { T0, makeMessage, queueSuite } from './queue-behaviour.js';

queueSuite(t, 'memory', async (opts) => {
  const store = createMemoryStore(opts);
  return {
    queue: store.queue,
    throttle: store.throttle,
    subscribers: store.subscribers,
    correlations: store.correlations,
    cleanup: async () => {
      await store.queue.close();
      await store.throttle.close();
    },
  };
});

t.test('memory: createMemoryStore describes itself', async (t) => {
  const store = createMemoryStore();
  t.teardown(() => store.queue.close());
  t.equal(store.backend, 'memory');
  t.equal(store.durable, false);
});

t.test('memory: 10,000 messages over 10 peers drain in FIFO order per peer', async (t) => {
  let now = T0;
  const { queue } = createMemoryStore({ now: () => now });
  t.teardown(() => queue.close());
  const N = 10_000;
  const started = Date.now();
  for (let i = 0; i < N; i++) {
    await queue.enqueue(makeMessage(`v${i}`, ['+15550000002']), [Buffer.from('hello'), Buffer.from([0, 1, 0x7f, 0xff])], [`peer${i % 10}`]);
  }
  t.strictSame(await queue.stats(), { waiting: N, leased: 0, dead: 0 });
  const order = new Map<string, number[]>();
  let taken = 0;
  for (;;) {
    now += 1;
    const jobs = await queue.take(100, 20);
    if (jobs.length === 0) break;
    taken += jobs.length;
    for (const j of jobs) {
      const seen = order.get(j.peer) ?? [];
      seen.push(Number(j.messageId.slice(1)));
      order.set(j.peer, seen);
      await queue.ack(j, 'delivered');
    }
  }
  t.equal(taken, N);
  t.strictSame(await queue.stats(), { waiting: 0, leased: 0, dead: 0 });
  // peer3 got messages 3, 13, 23, ... 9993, in that order.
  t.strictSame(
    order.get('peer3'),
    Array.from({ length: 1000 }, (_, k) => 10 * k + 3),
  );
  t.equal(order.size, 10);
  // Generous bound: a quadratic scan of 10,000 jobs per take would take far longer.
  t.ok(Date.now() - started < 20_000, `took ${Date.now() - started} ms`);
});
