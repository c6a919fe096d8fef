import t from 'tap';
import { textMessage } from '../helpers/messages.js';
import { queueTestbed } from '../helpers/testbed.js';
import { exited, sleep, startWorker } from '../helpers/workers.js';

// Issue 3 acceptance: two worker processes share a peer limited to 200 msg/s; over 5 s the receiver's
// measured rate stays within 200 x 1.05 and above 200 x 0.9.
const RATE = 200;
const BURST = 10;
const WINDOW_MS = 5_000;

t.test(`two processes share a peer limited to ${RATE}/s`, async (t) => {
  const { url, prefix, queue, receiver } = await queueTestbed(t);

  // More than the window can take, so that both workers always have work.
  const total = Math.ceil((RATE * WINDOW_MS) / 1000) * 2;
  for (let i = 0; i < total; i += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, total - i) }, (_, k) =>
        queue.enqueue(textMessage(`thr-${i + k}`, 1), [Buffer.from('x')], ['limited']),
      ),
    );
  }

  const env = {
    REDIS_URL: url,
    PREFIX: prefix,
    RECEIVER: receiver.url,
    PEER: 'limited',
    RATE: String(RATE),
    BURST: String(BURST),
    MAX_IN_FLIGHT: '50',
    CONCURRENCY: '32',
  };
  const workers = await Promise.all([startWorker(env), startWorker(env)]);
  // Measure from the first delivery for WINDOW_MS (the initial burst included, as a peer would see it).
  while (receiver.arrivals.length === 0) await sleep(10);
  const t0 = receiver.arrivals[0]!;
  await sleep(WINDOW_MS + 300);
  for (const w of workers) w.kill('SIGTERM');
  await Promise.all(workers.map(exited));

  const inWindow = receiver.arrivals.filter((a) => a - t0 < WINDOW_MS).length;
  const rate = inWindow / (WINDOW_MS / 1000);
  t.comment(`${inWindow} deliveries in ${WINDOW_MS} ms: ${rate.toFixed(1)} msg/s (limit ${RATE}, burst ${BURST})`);
  t.ok(rate <= RATE * 1.05, `rate ${rate.toFixed(1)} <= ${RATE * 1.05}`);
  t.ok(rate >= RATE * 0.9, `rate ${rate.toFixed(1)} >= ${RATE * 0.9}`);
  t.equal(receiver.duplicates, 0, 'no duplicates without crashes');
  // Per-second buckets stay within the limit (+5 %, for arrival jitter) plus the burst: no bunching that a
  // 5 s average would hide.
  const perSecond = Array.from(
    { length: WINDOW_MS / 1000 },
    (_, s) => receiver.arrivals.filter((a) => a - t0 >= s * 1000 && a - t0 < (s + 1) * 1000).length,
  );
  t.comment(`per second: ${perSecond.join(', ')}`);
  for (const [s, n] of perSecond.entries()) t.ok(n <= RATE * 1.05 + BURST, `second ${s}: ${n} <= ${RATE * 1.05 + BURST}`);
});
