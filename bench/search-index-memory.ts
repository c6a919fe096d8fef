// What the admin API's search index (Queue.search, src/store/redis/search-index.ts) costs in Redis: 10,000
// messages enqueued with gateway-made ids, then MEMORY USAGE of every index key, summed and divided. Two
// shapes: every message to its own recipient (a key per address: the worst case), and 10,000 messages over
// 100 recipients from 100 originators (entries share keys). Figures: docs/operations.md ("Search index").
// Run: npm run build && REDIS_URL=redis://127.0.0.1:6379 node dist/bench/search-index-memory.js
import { Redis } from 'ioredis';
import type { CoreMessage } from '../src/core/message.js';
import { newMessageId } from '../src/core/message-id.js';
import { createRedisStore } from '../src/store/redis/index.js';

const N = 10_000;
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

function message(i: number, recipients: number, originators: number): CoreMessage {
  const now = Date.now();
  return {
    id: newMessageId(now),
    originator: { address: `+1555${String(i % originators).padStart(7, '0')}`, type: 'plmn' },
    recipients: [{ address: `+1666${String(i % recipients).padStart(7, '0')}`, type: 'plmn', kind: 'to' }],
    contentType: 'text/plain',
    parts: [{ index: 0, contentType: 'text/plain', size: 1 }],
    expiresAt: now + 3600_000,
    deliveryReport: false,
    readReport: false,
    priority: 'normal',
    messageClass: 'personal',
    origin: { iface: 'mm7', peer: 'bench' },
    receivedAt: now + i,
  };
}

async function keys(redis: Redis, pattern: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    out.push(...found);
    cursor = next;
  } while (cursor !== '0');
  return out;
}

async function measure(recipients: number, originators: number): Promise<void> {
  const redis = new Redis(url);
  const prefix = `bench-ix-${process.pid}-${recipients}`;
  const store = createRedisStore({ redis, prefix });
  for (let i = 0; i < N; i += 100) {
    await Promise.all(
      Array.from({ length: 100 }, (_, k) => store.queue.enqueue(message(i + k, recipients, originators), [Buffer.from('x')], ['p'])),
    );
  }
  const index = await keys(redis, `${prefix}:{x:*`);
  let bytes = 0;
  for (const k of index) bytes += Number(await redis.call('MEMORY', 'USAGE', k, 'SAMPLES', '0'));
  const all = await keys(redis, `${prefix}:*`);
  let total = 0;
  for (const k of all) total += Number(await redis.call('MEMORY', 'USAGE', k, 'SAMPLES', '0'));
  console.log(
    `${N} messages, ${recipients} recipients, ${originators} originators: ${index.length} index keys, ${bytes} bytes = ${(bytes / N).toFixed(0)} B/message; all keys of the queue ${(total / N).toFixed(0)} B/message`,
  );
  for (const k of all) await redis.del(k);
  await redis.quit();
}

await measure(N, N);
await measure(100, 100);
