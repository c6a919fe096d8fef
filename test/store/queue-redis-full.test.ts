// A full Redis (maxmemory reached, noeviction, as the README asks): the queue refuses new messages with an
// error (an edge answers a temporary failure, the sender keeps the message), keeps every message it
// accepted whole, and workers can still take and settle jobs, which frees the memory so that accepting
// resumes. A private redis-server with a small maxmemory, real scripts.
import { Redis } from 'ioredis';
import t from 'tap';
import { createRedisStore } from '../../src/store/redis/index.js';
import { textMessage } from '../helpers/messages.js';
import { RedisServer } from '../helpers/redis-server.js';

t.test('a full Redis refuses new messages, loses none it accepted, and lets workers drain it', async (t) => {
  const server = await RedisServer.start(['--maxmemory', '16mb', '--maxmemory-policy', 'noeviction', '--save', '', '--appendonly', 'no']);
  const redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
  t.teardown(async () => {
    redis.disconnect();
    await server.stop('SIGTERM');
  });
  // Retention 0: a delivered message's keys go at once (the default keeps them a day for status queries).
  const { queue } = createRedisStore({ redis, prefix: 'full', retentionMs: 1 });
  const body = Buffer.alloc(64 * 1024, 0x5a);
  const accepted: string[] = [];
  const errors = new Set<string>();
  for (let i = 0; i < 2000 && errors.size === 0; i++) {
    const id = `fill-${i}`;
    try {
      await queue.enqueue(textMessage(id, 1), [body], ['peer']);
      accepted.push(id);
    } catch (err) {
      errors.add((err as Error).message.split(' ').slice(0, 3).join(' '));
    }
  }
  t.ok(accepted.length > 50, `accepted ${accepted.length} messages of 64 KB before the limit`);
  t.ok(
    [...errors].some((e) => e.startsWith('OOM')),
    `then refused with Redis' OOM error (${[...errors].join('; ')})`,
  );
  // Memory hovers at the limit (Redis' own buffers grow and shrink), so a later attempt may fit: each is
  // refused with OOM or accepted, and an accepted one must be whole like the rest.
  let refused = 0;
  for (let k = 0; k < 20; k++) {
    const id = `more-${k}`;
    try {
      await queue.enqueue(textMessage(id, 1), [body], ['peer']);
      accepted.push(id);
    } catch (err) {
      t.match((err as Error).message, /^OOM/, 'refused with OOM');
      refused++;
    }
  }
  t.ok(refused >= 10, `most further attempts refused while full (${refused} of 20)`);

  // Every accepted message is whole: content and job.
  let whole = 0;
  for (const id of accepted) if ((await queue.content(id))?.[0]?.equals(body)) whole++;
  t.equal(whole, accepted.length, 'every accepted message has its content');
  t.equal((await queue.stats()).waiting, accepted.length, 'and its job');

  // Far over the limit (maxmemory cut below what is used, so that every script sees a full Redis): a settle
  // batch whose first operation is an extend runs, and the acks batched with it. (Redis refuses a script's
  // first write when that command may grow memory, as ZADD may: see lua/settle-3.lua.)
  let delivered = 0;
  await redis.config('SET', 'maxmemory', '1mb');
  try {
    const held = await queue.take(4, 4);
    t.equal(held.length, 4, 'jobs taken from a Redis over its limit');
    const settled = await Promise.allSettled([queue.extend(held[0]!), ...held.slice(1).map((j) => queue.ack(j, 'delivered'))]);
    t.same(
      settled.map((s) => (s.status === 'fulfilled' ? 'ok' : String((s.reason as Error).message).split(' ')[0])),
      ['ok', 'ok', 'ok', 'ok'],
      'an extend first in a settle batch, and the acks after it, run on a Redis over its limit',
    );
    await queue.ack(held[0]!, 'delivered');
    delivered += held.length;
  } finally {
    await redis.config('SET', 'maxmemory', '16mb');
  }

  // Workers drain the full store: take and ack still work at maxmemory, and free memory as they go.
  for (let round = 0; round < 200 && delivered < accepted.length; round++) {
    const jobs = await queue.take(32, 32);
    for (const job of jobs) await queue.ack(job, 'delivered');
    delivered += jobs.length;
  }
  t.equal(delivered, accepted.length, 'every accepted message was taken and acknowledged at maxmemory');
  // Retention of 1 ms: the delivered messages' keys expire (Redis reclaims expired keys within a few of its
  // 100 ms cycles); accepting resumes once they are gone.
  let resumedAfter = -1;
  for (let waited = 0; waited <= 5000; waited += 100) {
    try {
      await queue.enqueue(textMessage(`after-${waited}`, 1), [body], ['peer']);
      resumedAfter = waited;
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  t.ok(resumedAfter >= 0, `accepting again once drained (after ${resumedAfter} ms)`);
  const info = await redis.info('memory');
  t.comment(
    info
      .split('\r\n')
      .filter((l) => /^used_memory(_human)?:/.test(l))
      .join(', '),
  );
  await queue.close();
});

t.test('content whose enqueue script is refused expires within minutes, not with the message', async (t) => {
  // The content SET gets in and the script does not (at maxmemory a 64 KB SET can be the write that crosses
  // the limit): here made certain with an account that may write keys but not run scripts.
  const server = await RedisServer.start(['--save', '', '--appendonly', 'no']);
  const admin = new Redis(server.url);
  await admin.call('ACL', 'SETUSER', 'noscripts', 'on', '>pw', '~*', '&*', '+@all', '-eval', '-evalsha', '-script');
  const redis = new Redis(server.url, { username: 'noscripts', password: 'pw', maxRetriesPerRequest: 1 });
  t.teardown(async () => {
    redis.disconnect();
    admin.disconnect();
    await server.stop('SIGTERM');
  });
  const { queue } = createRedisStore({ redis, prefix: 'orphan' });
  const message = textMessage('refused', 1, Date.now(), { expiresAt: Date.now() + 7 * 86_400_000 });
  await t.rejects(queue.enqueue(message, [Buffer.from('content')], ['peer']), /NOPERM/, 'the script is refused');
  const ttl = await admin.pttl('orphan:{s0}:c:refused');
  t.ok(ttl > 0 && ttl <= 10 * 60_000, `the content is there with a short TTL (${ttl} ms), not the message's 7 days`);
  t.equal(await admin.exists('orphan:{s0}:m:refused'), 0, 'and no message');
});
