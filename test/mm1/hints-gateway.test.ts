// MM1 handset hints through a real gateway (real Redis, the SMSC simulator as the push bearer): every request
// of an identified subscriber (m-send-req, retrieval, m-notifyresp-ind, m-acknowledge-ind) has its
// x-wap-profile / Profile and User-Agent remembered for that subscriber; a UAProf without MMS marks it
// text-only; nothing is remembered for an unidentified or untrusted source. The capability resolver then
// finds the remembered hint without one given.
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { decodePdu, encodePdu, type MmsPdu, type SendReq } from '../../protocols/mms/index.js';
import type { UaProfile } from '../../protocols/uaprof/model.js';
import type { HandsetHint, HandsetMemory, ProfileSource } from '../../src/adapt/capabilities.js';
import { DefaultCapabilityResolver } from '../../src/adapt/resolve.js';
import { Gateway } from '../../src/gateway.js';
import { ConfigSchema } from '../../src/ops/config.js';
import { Handset, httpRequest } from '../helpers/handset.js';
import { redisUrl, testPrefix } from '../helpers/redis.js';
import { startSmsc } from '../helpers/smsc.js';
import { until } from '../helpers/until.js';

const A = '+15550000001';
const B = '+15550000002';
const PUBLIC = 'http://mmsc.operator.test/mms';
const MMS = 'application/vnd.wap.mms-message';
const PHONE = 'http://profiles.example/phone.rdf';
const BROWSER = 'http://profiles.example/browser-only.rdf';

/** Hints by address, counting writes (the store-backed StoreHandsetMemory: test/mm1/hints-uaprof.test.ts). */
class Memory implements HandsetMemory {
  readonly hints = new Map<string, HandsetHint>();
  writes = 0;
  async get(address: string) {
    return this.hints.get(address);
  }
  async remember(address: string, hint: HandsetHint) {
    this.writes++;
    this.hints.set(address, hint);
  }
}

class Profiles implements ProfileSource {
  lookups: string[] = [];
  async lookup(url: string): Promise<UaProfile | undefined> {
    this.lookups.push(url);
    const base = { mmsCcppAccept: [], mmsCcppAcceptCharSet: [], mmsVersion: [] };
    if (url === PHONE) return { ...base, hasMms: true, mmsMaxMessageSize: 614_400, mmsMaxImageResolution: { width: 1024, height: 768 } };
    if (url === BROWSER) return { ...base, hasMms: false };
    return undefined;
  }
}

async function setup(t: Test) {
  const smsc = await startSmsc({ systemId: 'mmsc', password: 'secret' });
  t.teardown(() => smsc.stop());
  const config = ConfigSchema.parse({
    redis: { url: await redisUrl(t) },
    queue: { prefix: testPrefix(), retryBaseMs: 50, retryMaxMs: 200 },
    ops: { port: 0 },
    mm7: { enabled: false },
    mm1: { port: 0, publicUrl: PUBLIC, tokenSecret: 'test-secret-0123456789', localPrefixes: ['+1555'], trustedProxies: ['127.0.0.1'] },
    smpp: {
      smscs: [
        { id: 'sim', host: '127.0.0.1', port: smsc.port, systemId: 'mmsc', password: 'secret', sourceAddr: '6000', enquireLinkMs: 5000 },
      ],
    },
  });
  const memory = new Memory();
  const profiles = new Profiles();
  const gw = new Gateway(config, pino({ level: process.env.TEST_LOG ?? 'silent' }), { handsets: { memory, profiles } });
  const listeners = await gw.start();
  await gw.whenReady();
  t.teardown(() => gw.stop());
  await until('bound to the SMSC', () => gw.smpp!.clients[0]!.bound);
  const mm1Url = listeners.find((l) => l.iface === 'mm1')!.address;
  /** A request as the operator's WAP gateway passes it on: the subscriber header, and the handset's own. */
  const call = async (msisdn: string, headers: Record<string, string>, o: { pdu?: MmsPdu; path?: string; localAddress?: string } = {}) => {
    const a = await httpRequest(`${mm1Url}${o.path ?? '/'}`, {
      method: o.pdu ? 'POST' : 'GET',
      headers: { 'x-msisdn': msisdn, ...(o.pdu ? { 'content-type': MMS } : {}), ...headers },
      ...(o.pdu ? { body: encodePdu(o.pdu) } : {}),
      ...(o.localAddress !== undefined ? { localAddress: o.localAddress } : {}),
    });
    return { status: a.status, ...(a.headers['content-type'] === MMS && a.body.length > 0 ? { pdu: decodePdu(a.body) } : {}) };
  };
  return { smsc, gw, config, memory, profiles, call, b: new Handset(B, mm1Url) };
}

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

t.test('each request of an identified subscriber says its handset: remembered per subscriber', async (t) => {
  const { smsc, gw, config, memory, profiles, call, b } = await setup(t);
  const sent = await call(
    A,
    { 'x-wap-profile': `"${PHONE}", 1-gDVDA8dnNsUPf7yUnH8UGw==`, 'user-agent': 'Nokia6230/2.0' },
    { pdu: sendReq(B, 'tx-1') },
  );
  t.equal(sent.pdu?.responseStatus, 'Ok', 'the m-send-req is answered as before');
  await until("A's hint remembered", () => memory.hints.get(A));
  t.strictSame({ ...memory.hints.get(A), at: 0 }, { profileUrl: PHONE, userAgent: 'Nokia6230/2.0', at: 0 }, 'the first URL, unquoted');
  t.ok(memory.hints.get(A)!.at > Date.now() - 60_000, 'when it was seen');
  t.strictSame(profiles.lookups, [PHONE], 'its UAProf looked at (MMS: nothing to mark)');
  t.equal((await gw.store.subscribers.get(A)).textOnly, false);

  // B retrieves with its own headers (Profile, not x-wap-profile), then answers with another User-Agent.
  const push = await until('the notification pushed to B', () => b.pushes(smsc).find((p) => p.messageType === 'm-notification-ind'));
  const path = new URL(push.contentLocation as string).pathname.replace('/mms', '');
  const retrieved = await call(B, { profile: `"${BROWSER}"`, 'user-agent': 'Opera Mini' }, { path });
  t.equal(retrieved.pdu?.messageType, 'm-retrieve-conf');
  await until("B's hint remembered", () => memory.hints.get(B));
  t.strictSame([memory.hints.get(B)?.profileUrl, memory.hints.get(B)?.userAgent], [BROWSER, 'Opera Mini']);
  await until('B marked text-only: its UAProf has no MMS characteristics', async () => (await gw.store.subscribers.get(B)).textOnly);

  const ack = await call(
    B,
    { 'user-agent': 'SEC-SGHE900' },
    { pdu: { messageType: 'm-acknowledge-ind', transactionId: retrieved.pdu!.transactionId!, mmsVersion: '1.2' } },
  );
  t.equal(ack.status, 204);
  await until("B's hint of the m-acknowledge-ind", () => memory.hints.get(B)?.userAgent === 'SEC-SGHE900');
  const writes = memory.writes;
  await call(B, {}, { pdu: { messageType: 'm-notifyresp-ind', transactionId: 'unknown', mmsVersion: '1.2', status: 'Deferred' } });
  await new Promise((r) => setTimeout(r, 200));
  t.equal(memory.writes, writes, 'a request that says nothing of its handset remembers nothing');
  await call(
    B,
    { 'x-wap-profile': `"${PHONE}"` },
    { pdu: { messageType: 'm-notifyresp-ind', transactionId: 'unknown', mmsVersion: '1.2', status: 'Deferred' } },
  );
  await until(
    "B's hint of the m-notifyresp-ind (answered 404: unknown transaction, the subscriber identified all the same)",
    () => memory.hints.get(B)?.profileUrl === PHONE,
  );
  await until('B no longer text-only: its new UAProf has MMS', async () => !(await gw.store.subscribers.get(B)).textOnly);

  // The resolver of later deliveries finds what was remembered, without a hint given.
  const resolver = new DefaultCapabilityResolver({ content: config.content, defaults: config.mm1, memory, profiles });
  const caps = await resolver.resolve({ address: A }, 'mm1:notify');
  t.strictSame([caps.source, caps.maxMessageBytes, caps.maxImageWidth], ['uaprof', 614_400, 1024]);
});

t.test('nothing is remembered of an unidentified subscriber or an untrusted source', async (t) => {
  const { memory, call } = await setup(t);
  const headers = { 'x-wap-profile': `"${BROWSER}"`, 'user-agent': 'Spoofer/1.0' };
  const foreign = await call('+4479000000001', headers, { pdu: sendReq(B, 'tx-f') });
  t.strictSame(
    [foreign.status, foreign.pdu?.responseStatus],
    [403, 'Error-service-denied'],
    'not a local subscriber: refused (before the PDU is read)',
  );
  const untrusted = await call(A, headers, { pdu: sendReq(B, 'tx-u'), localAddress: '127.0.0.2' });
  t.strictSame([untrusted.status, untrusted.pdu?.responseStatus], [403, 'Error-service-denied'], 'untrusted source: refused');
  // Seen as a control: a later identified request of A is remembered, so the two above had their chance.
  await call(A, { 'user-agent': 'Nokia6230/2.0' }, { pdu: sendReq(B, 'tx-ok') });
  await until("A's own hint", () => memory.hints.get(A));
  t.strictSame([...memory.hints.keys()], [A]);
  t.equal(memory.hints.get(A)?.userAgent, 'Nokia6230/2.0');
});
