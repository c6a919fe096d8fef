import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import t from 'tap';
import { createRedisStore } from '../../src/store/redis/index.js';
import { textMessage } from '../helpers/messages.js';
import { Receiver } from '../helpers/receiver.js';
import { RedisServer } from '../helpers/redis-server.js';
import { exited, sleep, startWorker } from '../helpers/workers.js';

// Issue 3 acceptance: the Redis server is stopped and started mid-run; the gateway reconnects and nothing
// it accepted is lost. The server runs with the durability settings the README asks for (AOF, fsync always)
// and is killed with SIGKILL, the harder case.
t.test('Redis crash and restart mid-run: nothing accepted is lost', async (t) => {
  const server = await RedisServer.start(['--appendonly', 'yes', '--appendfsync', 'always', '--save', '']);
  const redis = new Redis(server.url, { maxRetriesPerRequest: 1, retryStrategy: () => 100 });
  redis.on('error', () => {}); // reconnect noise while the server is down
  const { queue } = createRedisStore({ redis, prefix: 'restart' });
  const receiver = new Receiver();
  await receiver.start();
  let worker: ChildProcess | undefined;
  try {
    const accepted: string[] = [];
    let refused = 0;
    const submit = async (id: string): Promise<void> => {
      try {
        await queue.enqueue(textMessage(id, 1), [Buffer.from(id)], ['receiver']);
        accepted.push(id); // only now would an edge answer "accepted"
      } catch {
        refused++; // an edge answers a temporary error; the sender keeps the message
      }
    };
    for (let i = 0; i < 3000; i += 300) await Promise.all(Array.from({ length: 300 }, (_, k) => submit(`before-${i + k}`)));
    t.equal(accepted.length, 3000, 'all accepted while Redis is up');

    worker = await startWorker({
      REDIS_URL: server.url,
      PREFIX: 'restart',
      RECEIVER: receiver.url,
      LEASE_MS: '2000',
      RATE: '1000',
      BURST: '50',
    });
    while (receiver.seen.size < 500) await sleep(20);

    await server.stop('SIGKILL');
    const deliveredAtCrash = receiver.seen.size;
    // Submissions during the outage fail: they are not accepted, so they need not be delivered.
    await Promise.all(Array.from({ length: 50 }, (_, k) => submit(`during-${k}`)));
    t.equal(refused, 50, 'submissions during the outage are refused, not silently accepted');
    await sleep(1500);
    await server.start();
    for (let i = 0; i < 500; i += 250) await Promise.all(Array.from({ length: 250 }, (_, k) => submit(`after-${i + k}`)));
    t.equal(accepted.length, 3500, 'accepting again after the restart');

    const deadline = Date.now() + 60_000;
    while (accepted.some((id) => !receiver.seen.has(id))) {
      if (Date.now() > deadline) break;
      await sleep(200);
    }
    const missing = accepted.filter((id) => !receiver.seen.has(id));
    t.strictSame(missing, [], `every accepted message delivered (${deliveredAtCrash} before the crash)`);
    t.equal((await queue.stats()).dead, 0, 'nothing dead-lettered');
    t.comment(`redeliveries after the restart, dropped by the receiver's dedupe: ${receiver.duplicates}`);
    worker.kill('SIGTERM');
    t.equal((await exited(worker)).code, 0, 'the worker stops cleanly');
  } finally {
    worker?.kill('SIGKILL');
    await receiver.stop();
    redis.disconnect();
    await server.stop('SIGKILL');
  }
});
