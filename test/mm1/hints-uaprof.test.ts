// Handset hints end to end with the real pieces: a gateway on loopback (real Redis, the SMSC simulator) whose
// MM1 server remembers hints in StoreHandsetMemory and reads profiles through UaProfiles (outbound guard,
// store cache), against a real UAProf server on loopback. The documents served drive what the resolver
// decides: a UAProf's limits, text-only for a profile without MMS, the User-Agent class when the profile
// server never answers (within waitMs, the m-send-req never held by it).
import { pino } from 'pino';
import { Registry } from 'prom-client';
import t, { type Test } from 'tap';
import { decodePdu, encodePdu, type MmsPdu, type SendReq } from '../../protocols/mms/index.js';
import { StoreHandsetMemory } from '../../src/adapt/handset-memory.js';
import { DefaultCapabilityResolver } from '../../src/adapt/resolve.js';
import { UaProfiles } from '../../src/adapt/uaprof.js';
import { Gateway } from '../../src/gateway.js';
import { ConfigSchema } from '../../src/ops/config.js';
import { uaprofConfig } from '../../src/ops/config-content.js';
import { ContentMetrics } from '../../src/ops/metrics-content.js';
import { MemoryMediaStore } from '../../src/store/memory/media.js';
import { OutboundGuard } from '../../src/transport/outbound-guard.js';
import { httpRequest } from '../helpers/handset.js';
import { redisUrl, testPrefix } from '../helpers/redis.js';
import { startSmsc } from '../helpers/smsc.js';
import { until } from '../helpers/until.js';
import { uaprofDoc } from '../protocols/uaprof-docs.js';
import { mediaServer, serve } from '../rest/media-fixtures.js';

const A = '+15550000001';
const B = '+15550000002';
const C = '+15550000003';
const MMS = 'application/vnd.wap.mms-message';

function sendReq(to: string, transactionId: string): SendReq {
  return {
    messageType: 'm-send-req',
    transactionId,
    mmsVersion: '1.2',
    from: { insertAddress: true },
    to: [`${to}/TYPE=PLMN`],
    contentType: { mediaType: 'application/vnd.wap.multipart.mixed' },
    parts: [{ contentType: { mediaType: 'text/plain', params: { charset: 'utf-8' } }, data: Buffer.from('hello') }],
  };
}

async function setup(t: Test) {
  const profileServer = await mediaServer(t);
  const xml = (doc: string) => serve(Buffer.from(doc), 'application/rdf+xml');
  profileServer.route('/phone.xml', xml(uaprofDoc({ size: '614400', resolution: '1024X768 ', accept: ['Image/JPEG', 'image/gif'] })));
  profileServer.route('/browser.xml', xml(uaprofDoc({ noMms: true, screen: '128x160' })));
  profileServer.route('/never.xml', () => {}); // accepts, never answers
  const smsc = await startSmsc({ systemId: 'mmsc', password: 'secret' });
  t.teardown(() => smsc.stop());
  const config = ConfigSchema.parse({
    redis: { url: await redisUrl(t) },
    queue: { prefix: testPrefix() },
    ops: { port: 0 },
    mm7: { enabled: false },
    mm1: { port: 0, publicUrl: 'http://mmsc.operator.test/mms', tokenSecret: 'test-secret-0123456789', localPrefixes: ['+1555'] },
    smpp: {
      smscs: [
        { id: 'sim', host: '127.0.0.1', port: smsc.port, systemId: 'mmsc', password: 'secret', sourceAddr: '6000', enquireLinkMs: 5000 },
      ],
    },
    content: {
      userAgents: [{ name: 'smartphone', match: 'Android', maxMessageBytes: 1_048_576, maxImageWidth: 1600, maxImageHeight: 1200 }],
      uaprof: { timeoutMs: 3_000, waitMs: 300 },
    },
  });
  const log = pino({ level: process.env.TEST_LOG ?? 'silent' });
  const media = new MemoryMediaStore();
  const memory = new StoreHandsetMemory(media);
  const guard = new OutboundGuard({ allow: ['127.0.0.0/8'] });
  const profiles = new UaProfiles({ store: media, guard, config: uaprofConfig(config.content), log });
  const gw = new Gateway(config, log, { handsets: { memory, profiles } });
  const listeners = await gw.start();
  await gw.whenReady();
  t.teardown(() => gw.stop());
  await until('bound to the SMSC', () => gw.smpp!.clients[0]!.bound);
  const mm1Url = listeners.find((l) => l.iface === 'mm1')!.address;
  const post = async (msisdn: string, headers: Record<string, string>, pdu: MmsPdu) => {
    const a = await httpRequest(`${mm1Url}/`, {
      method: 'POST',
      headers: { 'x-msisdn': msisdn, 'content-type': MMS, ...headers },
      body: encodePdu(pdu),
    });
    return { status: a.status, ...(a.body.length > 0 ? { pdu: decodePdu(a.body) } : {}) };
  };
  const sources = new ContentMetrics(new Registry());
  const resolver = new DefaultCapabilityResolver({
    content: config.content,
    defaults: config.mm1,
    memory,
    profiles,
    // Its own: the gateway's resolver counts in gw.metrics too (its deliveries of these m-send-reqs).
    metrics: sources,
  });
  return { gw, post, resolver, memory, profiles, profileServer, sources };
}

t.test('a loopback UAProf server drives the limits, text-only, and a dead one leaves the User-Agent class', async (t) => {
  const { gw, post, resolver, memory, profiles, profileServer, sources: counted } = await setup(t);
  const phone = `${profileServer.base}/phone.xml`;
  const browser = `${profileServer.base}/browser.xml`;
  const never = `${profileServer.base}/never.xml`;

  t.equal(
    (await post(A, { 'x-wap-profile': `"${phone}", 1-Zm9vYmFy`, 'user-agent': 'Android 14' }, sendReq(B, 'tx-a'))).pdu?.responseStatus,
    'Ok',
  );
  await until("A's hint in the store", () => memory.get(A));
  await until("A's profile fetched and cached", async () => profileServer.seen.includes('GET /phone.xml') && (await profiles.idle(), true));
  const a = await resolver.resolve({ address: A }, 'mm1:notify');
  t.strictSame(
    [a.source, a.maxMessageBytes, a.maxImageWidth, a.maxImageHeight, a.textOnly],
    ['uaprof', 614_400, 1024, 768, undefined],
    "the profile's MmsMaxMessageSize and MmsMaxImageResolution (a capital X, a trailing space), over the User-Agent class",
  );
  t.ok(a.contentTypes.includes('image/jpeg') && !a.contentTypes.includes('image/*'), 'its MmsCcppAccept, not mm1.contentTypes');
  t.equal((await gw.store.subscribers.get(A)).textOnly, false);

  t.equal((await post(B, { profile: `"${browser}"` }, sendReq(A, 'tx-b'))).pdu?.responseStatus, 'Ok');
  await until('B marked text-only by its profile without MMS', async () => (await gw.store.subscribers.get(B)).textOnly);
  t.equal((await resolver.resolve({ address: B }, 'mm1:notify')).textOnly, true);

  // A profile server that never answers: the m-send-req is answered at once, the resolver within waitMs.
  const started = Date.now();
  t.equal(
    (await post(C, { 'x-wap-profile': `"${never}"`, 'user-agent': 'Mozilla/5.0 (Linux; Android 13)' }, sendReq(A, 'tx-c'))).pdu
      ?.responseStatus,
    'Ok',
  );
  t.ok(Date.now() - started < 1_000, 'the request did not wait on the profile server');
  await until("C's hint in the store", () => memory.get(C));
  const resolving = Date.now();
  const c = await resolver.resolve({ address: C }, 'mm1:notify');
  t.ok(Date.now() - resolving < 1_000, `resolved in ${Date.now() - resolving} ms (waitMs 300)`);
  t.strictSame([c.source, c.maxMessageBytes, c.maxImageWidth], ['user-agent', 1_048_576, 1600], 'the User-Agent class decides');
  t.equal((await gw.store.subscribers.get(C)).textOnly, false, 'an unknown profile marks nothing');
  const sources = Object.fromEntries((await counted.capabilitySources.get()).values.map((v) => [v.labels.source, v.value]));
  t.strictSame(sources, { uaprof: 2, 'user-agent': 1 });
});
