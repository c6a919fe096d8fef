// mmsc_store_info{durable} says what Redis reports (its append-only file on or off), read when the store
// connects, not what the backend's name suggests. Each case runs a redis-server of its own on loopback.
import { pino } from 'pino';
import t from 'tap';
import { Gateway } from '../../src/gateway.js';
import { ConfigSchema } from '../../src/ops/config.js';
import { testPrefix } from '../helpers/redis.js';
import { RedisServer, startCluster } from '../helpers/redis-server.js';

const gateway = (url: string) =>
  new Gateway(
    ConfigSchema.parse({
      redis: { url },
      queue: { prefix: testPrefix() },
      ops: { port: 0 },
      mm1: { enabled: false },
      mm7: { enabled: false },
    }),
    pino({ level: 'silent' }),
  );

for (const [appendonly, durable] of [
  ['no', 'false'],
  ['yes', 'true'],
] as const) {
  t.test(`Redis with appendonly ${appendonly}: durable="${durable}"`, async (t) => {
    const redis = await RedisServer.start(['--save', '', '--appendonly', appendonly]);
    t.teardown(() => redis.stop('SIGKILL'));
    const gw = gateway(redis.url);
    t.match(
      await gw.metrics.registry.getSingleMetricAsString('mmsc_store_info'),
      /mmsc_store_info\{backend="redis",durable="unknown",service="mmsc"\} 1/,
      'unknown before it connects',
    );
    t.notMatch(await gw.metrics.registry.metrics(), /mmsc_store_durable\{/, 'mmsc_store_durable: absent while unknown (no false alert)');
    await gw.start();
    t.teardown(() => gw.stop());
    await gw.whenReady();
    const info = await gw.metrics.registry.getSingleMetricAsString('mmsc_store_info');
    t.match(info, new RegExp(`mmsc_store_info\\{backend="redis",durable="${durable}",service="mmsc"\\} 1`));
    t.equal(info.match(/^mmsc_store_info\{/gm)?.length, 1, 'one series: the unknown one is gone');
    t.equal(gw.store.durable, durable === 'true');
    t.match(
      await gw.metrics.registry.metrics(),
      new RegExp(`mmsc_store_durable\\{backend="redis",service="mmsc"\\} ${durable === 'true' ? 1 : 0}\n`),
      'mmsc_store_durable: what the alert MmscRedisNotDurable reads',
    );
  });
}

t.test('Redis Cluster: ready through the same fail-fast client; durable="false" when its masters keep no AOF', async (t) => {
  const cluster = await startCluster(); // three masters, appendonly no
  t.teardown(() => cluster.stop());
  const gw = new Gateway(
    ConfigSchema.parse({
      redis: { cluster: cluster.nodes.map((n) => `${n.host}:${n.port}`) },
      queue: { prefix: testPrefix(), shards: 4 },
      ops: { port: 0 },
      mm1: { enabled: false },
      mm7: { enabled: false },
    }),
    pino({ level: 'silent' }),
  );
  await gw.start();
  t.teardown(() => gw.stop());
  await gw.whenReady();
  t.ok(gw.store.available(), 'available');
  t.match(
    await gw.metrics.registry.getSingleMetricAsString('mmsc_store_info'),
    /mmsc_store_info\{backend="redis-cluster",durable="false",service="mmsc"\} 1/,
  );
  t.same(await gw.store.queue.stats(), { waiting: 0, leased: 0, dead: 0 }, 'commands go through');
});
