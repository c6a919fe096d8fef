import t from 'tap';
import { textMessage } from '../helpers/messages.js';
import { queueTestbed } from '../helpers/testbed.js';
import { exited, prng, sleep, startWorker } from '../helpers/workers.js';

// Issue 3 acceptance: a worker process taking jobs from a queue of 10,000 messages is killed with SIGKILL at
// random moments several times; after a final clean run every message has been delivered at least once,
// and the receiver's Message-ID dedupe sees each exactly once.
const MESSAGES = 10_000;
const KILLS = 5;
const SEED = 0xc0ffee;

t.test(`crash safety: ${MESSAGES} messages, ${KILLS} SIGKILLs (seed ${SEED.toString(16)})`, async (t) => {
  const { url, prefix, queue, receiver } = await queueTestbed(t);

  for (let i = 0; i < MESSAGES; i += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, MESSAGES - i) }, (_, k) =>
        queue.enqueue(textMessage(`crash-${i + k}`, 1), [Buffer.from(`payload ${i + k}`)], ['receiver']),
      ),
    );
  }
  t.equal((await queue.stats()).waiting, MESSAGES, 'all queued');

  const env = { REDIS_URL: url, PREFIX: prefix, RECEIVER: receiver.url, LEASE_MS: '1500', CONCURRENCY: '32' };
  const random = prng(SEED);
  for (let k = 0; k < KILLS; k++) {
    const child = await startWorker(env);
    // A kill lands at a random time, or sooner at a random point of progress: on a fast host the time
    // alone let the killed runs finish the queue, and the final run had nothing left to recover.
    const until = Date.now() + 150 + Math.floor(random() * 600);
    const left = MESSAGES - receiver.seen.size;
    const upTo = receiver.seen.size + Math.ceil((random() * left) / (KILLS + 1 - k));
    while (Date.now() < until && receiver.seen.size < upTo) await sleep(5);
    child.kill('SIGKILL');
    const { signal } = await exited(child);
    t.equal(signal, 'SIGKILL', `run ${k + 1} killed after ${receiver.seen.size} distinct deliveries so far`);
  }
  t.ok(receiver.seen.size < MESSAGES, 'the killed runs did not finish the queue (the final run has work left)');

  const last = await startWorker(env);
  const deadline = Date.now() + 120_000;
  for (;;) {
    const s = await queue.stats();
    if (s.waiting === 0 && s.leased === 0) break;
    if (Date.now() > deadline) throw new Error(`queue not drained: ${JSON.stringify(s)}`);
    await sleep(200);
  }
  last.kill('SIGTERM');
  t.equal((await exited(last)).code, 0, 'the final run stops cleanly on SIGTERM');

  const missing = [];
  for (let i = 0; i < MESSAGES; i++) if (!receiver.seen.has(`crash-${i}`)) missing.push(i);
  t.strictSame(missing, [], 'every message was delivered');
  t.equal(receiver.seen.size, MESSAGES, 'the receiver saw each Message-ID (after dedupe) exactly once');
  t.equal((await queue.stats()).dead, 0, 'nothing dead-lettered');
  t.comment(`redeliveries dropped by the receiver's dedupe: ${receiver.duplicates}`);
  const states = await queue.states('crash-1234');
  t.strictSame(states, ['delivered'], 'a sample message ends delivered');
});
