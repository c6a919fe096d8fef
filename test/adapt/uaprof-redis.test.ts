// UaProfiles on the Redis MediaStore: two instances share the outcomes (a profile, and a failure), so that a
// profile server is asked once for the whole cluster.
import { Redis } from 'ioredis';
import t from 'tap';
import { RedisMediaStore } from '../../src/store/redis/media.js';
import { dropKeys, redisUrl, testPrefix } from '../helpers/redis.js';
import { uaprofDoc } from '../protocols/uaprof-docs.js';
import { mediaServer, serve } from '../rest/media-fixtures.js';
import { fetches, profiles } from './uaprof-fixtures.js';

const url = await redisUrl(t);

t.test('two instances on one Redis: one fetch of a profile, one of a failure', async (t) => {
  const prefix = testPrefix();
  const redis = new Redis(url);
  t.teardown(async () => {
    await redis.quit();
    await dropKeys(url, prefix);
  });
  const store = new RedisMediaStore(redis, prefix);
  const srv = await mediaServer(t);
  srv.route('/ok.xml', serve(Buffer.from(uaprofDoc({ size: '512000', resolution: '1280x960' })), 'text/xml'));
  srv.route('/bad.xml', serve(Buffer.from('<html>oops</html>'), 'text/html'));
  const clock = { now: Date.now() };
  const a = profiles({ store, clock });
  const b = profiles({ store, clock });
  t.equal((await a.profiles.lookup(`${srv.base}/ok.xml`))?.mmsMaxMessageSize, 512000, 'A fetched it');
  t.strictSame((await b.profiles.lookup(`${srv.base}/ok.xml`))?.mmsMaxImageResolution, { width: 1280, height: 960 }, 'B has it from Redis');
  t.equal(await a.profiles.lookup(`${srv.base}/bad.xml`), undefined);
  await a.profiles.idle();
  t.equal(await b.profiles.lookup(`${srv.base}/bad.xml`), undefined, 'B knows it failed');
  t.strictSame(srv.seen, ['GET /ok.xml', 'GET /bad.xml'], 'each asked once');
  t.strictSame(await fetches(a.metrics), { ok: 1, malformed: 1 });
  t.strictSame(await fetches(b.metrics), { cached: 2 });
  const ttl = await redis.pttl(store.key('uaprof', `${srv.base}/bad.xml`));
  t.ok(ttl > a.config.failureTtlMs - 60_000 && ttl <= a.config.failureTtlMs, `the failure kept for failureTtlMs (${ttl} ms)`);
  const okTtl = await redis.pttl(store.key('uaprof', `${srv.base}/ok.xml`));
  t.ok(okTtl > a.config.ttlMs - 60_000 && okTtl <= a.config.ttlMs, `the profile kept for ttlMs (${okTtl} ms)`);
});
