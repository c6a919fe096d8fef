// API keys' last-used times (ApiKeyActivity) on the embedded store and on Redis, and the recorder in front of
// them (src/vasp/api-key-usage.ts): written at most once a minute per key per instance, shared by instances
// through Redis, and a store that fails is logged, never the request's error.
import { Redis } from 'ioredis';
import t, { type Test } from 'tap';
import type { ApiKeyActivity } from '../../src/core/ports.js';
import { createMemoryStore } from '../../src/store/memory/index.js';
import { createRedisStore } from '../../src/store/redis/index.js';
import { ApiKeyUsage } from '../../src/vasp/api-key-usage.js';
import { freePort } from '../helpers/free-port.js';
import { captureLog } from '../helpers/log-capture.js';
import { dropKeys, redisUrl, testPrefix } from '../helpers/redis.js';

const T0 = 1_700_000_000_000;
const url = await redisUrl(t);

type Backend = 'memory' | 'redis';

/** The backend's activity store; for Redis, a second instance's view of the same keys (`peer`). */
async function activityOf(t: Test, backend: Backend): Promise<{ activity: ApiKeyActivity; peer: () => ApiKeyActivity; prefix?: string }> {
  if (backend === 'memory') {
    const store = createMemoryStore();
    t.teardown(() => store.queue.close());
    return { activity: store.apiKeyActivity, peer: () => store.apiKeyActivity };
  }
  const prefix = testPrefix();
  const clients: Redis[] = [];
  const open = () => {
    const redis = new Redis(url);
    clients.push(redis);
    const store = createRedisStore({ redis, prefix });
    t.teardown(() => store.queue.close().catch(() => {}));
    return store.apiKeyActivity;
  };
  t.teardown(async () => {
    await dropKeys(url, prefix);
    await Promise.all(clients.map((c) => c.quit().catch(() => {})));
  });
  return { activity: open(), peer: open, prefix };
}

/** Until the recorder's write (not waited for by its caller) has landed. */
const settle = () => new Promise((r) => setTimeout(r, 50));

for (const backend of ['memory', 'redis'] as const) {
  t.test(`${backend}: touch and lastUsed, per account and key`, async (t) => {
    const { activity, peer } = await activityOf(t, backend);
    t.strictSame(await activity.lastUsed('acme'), new Map(), 'nothing used yet');
    await activity.touch('acme', 'ci', T0);
    await activity.touch('acme', 'dashboard', T0 + 5);
    await activity.touch('other', 'ci', T0 + 9);
    await activity.touch('acme', 'ci', T0 + 60_000);
    t.strictSame(
      await peer().lastUsed('acme'),
      new Map([
        ['ci', T0 + 60_000],
        ['dashboard', T0 + 5],
      ]),
      'the later time; read by another instance on Redis',
    );
    t.strictSame(await activity.lastUsed('other'), new Map([['ci', T0 + 9]]));
    t.strictSame(await activity.lastUsed('nobody'), new Map());
  });

  t.test(`${backend}: the recorder writes at most once a minute per key per instance`, async (t) => {
    const { activity, peer } = await activityOf(t, backend);
    const clock = { now: T0 };
    const log = captureLog('debug');
    const usage = new ApiKeyUsage({ activity, log: log.log, now: () => clock.now });
    usage.used('acme', 'ci');
    await settle();
    t.strictSame(await activity.lastUsed('acme'), new Map([['ci', T0]]), 'the first use is written at once');
    clock.now = T0 + 30_000;
    usage.used('acme', 'ci');
    clock.now = T0 + 59_999;
    usage.used('acme', 'ci');
    usage.used('acme', 'dashboard');
    await settle();
    t.strictSame(
      await activity.lastUsed('acme'),
      new Map([
        ['ci', T0],
        ['dashboard', T0 + 59_999],
      ]),
      'uses within the minute are not written; another key is its own',
    );
    clock.now = T0 + 60_000;
    usage.used('acme', 'ci');
    await settle();
    t.equal((await activity.lastUsed('acme')).get('ci'), T0 + 60_000, 'a minute on: written again');

    // A second instance writes its own first use: the time is shared, whichever instance served.
    const other = new ApiKeyUsage({ activity: peer(), log: log.log, now: () => T0 + 90_000 });
    other.used('acme', 'ci');
    await settle();
    t.equal((await activity.lastUsed('acme')).get('ci'), T0 + 90_000);
    t.strictSame(
      log.lines.filter((l) => l.level >= 40),
      [],
      'no warnings',
    );
  });
}

t.test('redis: one hash per account in a hash tag of its own, with a TTL', async (t) => {
  const { activity, prefix } = await activityOf(t, 'redis');
  await activity.touch('acme', 'ci', T0);
  const admin = new Redis(url);
  t.teardown(() => admin.quit());
  const key = `${prefix}:{ak:acme}`;
  t.equal(await admin.type(key), 'hash');
  t.strictSame(await admin.hgetall(key), { ci: String(T0) });
  t.ok((await admin.pttl(key)) > 300 * 86_400_000, 'kept for a long while, not forever');
});

t.test('a store that fails: the use is not an error, the failure is logged, the next minute tries again', async (t) => {
  // A Redis client that cannot connect (a closed loopback port) and does not queue: every command fails at once.
  const port = await freePort();
  const redis = new Redis({ host: '127.0.0.1', port, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
  redis.on('error', () => {});
  t.teardown(() => redis.disconnect());
  const store = createRedisStore({ redis, prefix: testPrefix() });
  t.teardown(() => store.queue.close().catch(() => {}));
  const clock = { now: T0 };
  const log = captureLog('debug');
  const usage = new ApiKeyUsage({ activity: store.apiKeyActivity, log: log.log, now: () => clock.now });
  t.doesNotThrow(() => usage.used('acme', 'ci'));
  await settle();
  const warned = () => log.lines.filter((l) => l.msg === 'API key last-used time not recorded');
  t.equal(warned().length, 1, 'logged');
  t.match(warned()[0], { level: 40, vasp: 'acme', key: 'ci' });
  usage.used('acme', 'ci');
  await settle();
  t.equal(warned().length, 1, 'not retried within the minute (no write per request, even failing)');
  clock.now = T0 + 60_000;
  usage.used('acme', 'ci');
  await settle();
  t.equal(warned().length, 2, 'tried again a minute on');
});
