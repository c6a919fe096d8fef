// The SMPP edge inside the gateway, end to end over loopback with real Redis and the SMSC simulator (a test
// double for a real SMSC, see helpers/smsc.ts): STOP/START from a subscriber, the opt-out holding for MMS
// and SMS alike, the text fallback for a text-only subscriber with its receipt, MO text to a VASP.
// The handset side (MM1) is turned off here and a stand-in route plays it, so that these tests look at SMPP alone
// (test/mm1/*.test.ts and test/flows/ cover MM1 with SMPP as its push bearer).
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import type { Delivery, DeliveryResult, Route } from '../../src/core/router.js';
import { Gateway } from '../../src/gateway.js';
import { ConfigSchema } from '../../src/ops/config.js';
import { startSmsc } from '../helpers/smsc.js';
import { redisUrl, testPrefix } from '../helpers/redis.js';
import { until } from '../helpers/until.js';

const NS = 'http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-6-MM7-1-4';

class HandsetStandIn implements Route {
  readonly peer = 'mm1-standin';
  readonly limits = { rate: 1000, burst: 1000, maxInFlight: 100 };
  readonly delivered: string[] = [];
  async send(d: Delivery): Promise<DeliveryResult> {
    this.delivered.push(d.message.recipients[d.recipientIndex]!.address);
    return { status: 'delivered' };
  }
}

/** `store`: config sections that replace the Redis store (e.g. `{ redis: {}, queue: {...} }`: the embedded one). */
async function setup(t: Test, store: Record<string, unknown> = {}) {
  const smsc = await startSmsc({ systemId: 'mmsc', password: 'secret', receipts: 'both' });
  t.teardown(() => smsc.stop());
  const deliverReqs: string[] = [];
  const vaspHttp = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      deliverReqs.push(Buffer.concat(chunks).toString('utf8'));
      res
        .writeHead(200, { 'content-type': 'text/xml' })
        .end(
          `<?xml version="1.0"?><e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Header><TransactionID xmlns="${NS}">x</TransactionID></e:Header>` +
            `<e:Body><DeliverRsp xmlns="${NS}"><MM7Version>6.8.0</MM7Version><Status><StatusCode>1000</StatusCode></Status></DeliverRsp></e:Body></e:Envelope>`,
        );
    });
  });
  vaspHttp.listen(0, '127.0.0.1');
  await once(vaspHttp, 'listening');
  t.teardown(() => new Promise<void>((r) => vaspHttp.close(() => r())));
  const config = ConfigSchema.parse({
    redis: { url: await redisUrl(t) },
    queue: { prefix: testPrefix(), retryBaseMs: 50, retryMaxMs: 200 },
    ...store,
    ops: { port: 0 },
    mm7: {
      port: 0,
      vasps: [
        {
          id: 'shop',
          username: 'shop',
          password: 'pw-shop',
          senders: ['7050'],
          rate: 1000,
          burst: 1000,
          url: `http://127.0.0.1:${(vaspHttp.address() as AddressInfo).port}/mm7`,
          deliveryRate: 1000,
          deliveryBurst: 1000,
        },
      ],
    },
    smpp: {
      smscs: [
        { id: 'sim', host: '127.0.0.1', port: smsc.port, systemId: 'mmsc', password: 'secret', sourceAddr: '7050', enquireLinkMs: 5000 },
      ],
      viewUrl: 'https://mms.example/v/{token}',
    },
    mm1: {
      enabled: false,
    },
  });
  const gw = new Gateway(config, pino({ level: process.env.TEST_LOG ?? 'silent' }));
  const handsets = new HandsetStandIn();
  gw.router.add((m, i) => m.report === undefined && m.recipients[i]!.type === 'plmn' && m.origin.iface !== 'smpp', handsets);
  const listeners = await gw.start();
  await gw.whenReady();
  t.teardown(() => gw.stop());
  await until('bound to the SMSC', () => gw.smpp!.clients[0]!.bound);
  const mm7 = listeners.find((l) => l.iface === 'mm7')!.address;
  t.ok(
    listeners.some((l) => l.iface === 'smpp' && l.address.includes(`:${smsc.port}`)),
    'an smpp line names the SMSC',
  );
  const submit = async (to: string, subject: string): Promise<string> => {
    const xml =
      `<?xml version="1.0"?><e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Header><TransactionID xmlns="${NS}">t</TransactionID></e:Header><e:Body>` +
      `<SubmitReq xmlns="${NS}"><MM7Version>6.8.0</MM7Version><SenderIdentification><VASPID>shop</VASPID><SenderAddress><ShortCode>7050</ShortCode></SenderAddress></SenderIdentification>` +
      `<Recipients><To><Number>${to}</Number></To></Recipients><Subject>${subject}</Subject></SubmitReq></e:Body></e:Envelope>`;
    const r = await fetch(mm7, {
      method: 'POST',
      body: xml,
      headers: { 'content-type': 'text/xml', authorization: `Basic ${Buffer.from('shop:pw-shop').toString('base64')}` },
    });
    const id = /<(?:\w+:)?MessageID>([^<]+)</.exec(await r.text())?.[1];
    if (!id) throw new Error('not accepted');
    return id;
  };
  return { smsc, gw, handsets, deliverReqs, submit };
}

t.test('STOP: opted out, confirmed by SMS, and no further MMS or SMS; START lifts it', async (t) => {
  const { smsc, gw, handsets, submit } = await setup(t);
  await smsc.sendMo({ sourceAddr: '15550000001', destinationAddr: '7050', octets: Buffer.from('Stop.') });
  await until('opted out', async () => (await gw.store.subscribers.get('+15550000001')).optedOut);
  const confirmation = await until('the STOP confirmation SMS', () => smsc.submits.find((s) => s.destinationAddr === '15550000001'));
  t.match(confirmation.text, /no more messages/, 'the confirmation text');
  t.equal(confirmation.destAddrTon, 1, 'to an international number');

  const before = smsc.submits.length;
  const blocked = await submit('15550000001', 'offer');
  const states = await until('the MMS refused', async () => {
    const s = await gw.store.queue.states(blocked);
    return s?.[0] === 'rejected' ? s : undefined;
  });
  t.strictSame(states, ['rejected']);
  t.match((await gw.store.queue.history(blocked, 0)).at(-1)?.detail, /opted out/);
  await gw.store.subscribers.setTextOnly('+15550000001', true); // not even the SMS fallback may go
  const blockedText = await submit('15550000001', 'offer 2');
  await until('the text refused', async () => (await gw.store.queue.states(blockedText))?.[0] === 'rejected');
  t.equal(smsc.submits.length, before, 'no SMS to the opted-out subscriber');
  t.notOk(handsets.delivered.includes('+15550000001'), 'no MMS to the opted-out subscriber');
  await gw.store.subscribers.setTextOnly('+15550000001', false);

  await smsc.sendMo({ sourceAddr: '15550000001', destinationAddr: '7050', octets: Buffer.from('START') });
  await until('opted back in', async () => !(await gw.store.subscribers.get('+15550000001')).optedOut);
  await until('the START confirmation', () => smsc.submits.filter((s) => s.destinationAddr === '15550000001').length === 2);
  const again = await submit('15550000001', 'welcome back');
  await until('delivered again', async () => (await gw.store.queue.states(again))?.[0] === 'delivered');
  t.ok(handsets.delivered.includes('+15550000001'), 'MMS flows again after START');
  const moCount = await gw.metrics.registry.getSingleMetricAsString('mmsc_smpp_mo_total');
  t.match(moCount, /outcome="stop"[^\n]* 1/);
  t.match(moCount, /outcome="start"[^\n]* 1/);
});

t.test('text-only subscriber: the SMS fallback with the link, its receipt noted in the history', async (t) => {
  const { smsc, gw, handsets, submit } = await setup(t);
  await gw.store.subscribers.setTextOnly('+15550000003', true);
  const id = await submit('15550000003', 'Spring sale');
  const sms = await until('the fallback SMS', () => smsc.submits.find((s) => s.destinationAddr === '15550000003'));
  t.equal(sms.text, `Spring sale https://mms.example/v/${gw.tokens.view(id)}`, 'subject and the web-view link');
  t.equal(sms.dataCoding, 0, 'GSM 7-bit');
  t.equal(sms.registeredDelivery, 1, 'a receipt asked for');
  t.notOk(handsets.delivered.includes('+15550000003'), 'not sent as MMS');
  const history = await until('the receipt in the history', async () => {
    const h = await gw.store.queue.history(id, 0);
    return h.some((e) => /receipt .*DELIVRD/i.test(e.detail ?? '')) ? h : undefined;
  });
  t.match(history.find((e) => e.state === 'delivered')?.detail, new RegExp(`accepted by SMSC sim as ${sms.messageId}`));
  t.equal((await gw.store.queue.states(id))?.[0], 'delivered');
});

t.test('MO text to a VASP short code goes to the VASP as DeliverReq; to nowhere it is dropped and counted', async (t) => {
  const { smsc, gw, deliverReqs } = await setup(t);
  await smsc.sendMo({
    sourceAddr: '15550000004',
    destinationAddr: '7050',
    octets: Buffer.from([0x00, 0x56, 0x00, 0x4f, 0x00, 0x54, 0x00, 0x45, 0x00, 0x20, 0x00, 0x33]),
    dataCoding: 0x08,
  });
  const req = await until('the DeliverReq', () => deliverReqs[0]);
  t.match(req, /DeliverReq/);
  t.match(req, /<(\w+:)?Number>\+15550000004</, 'from the subscriber');
  t.match(req, /<(\w+:)?ShortCode>7050</, 'to the short code');
  t.match(req, /VOTE 3/, 'the UCS-2 text, decoded, as the content');
  await smsc.sendMo({ sourceAddr: '15550000004', destinationAddr: '9999', octets: Buffer.from('hello') });
  await until('counted as unrouted', async () =>
    /outcome="unrouted"[^\n]* 1/.test(await gw.metrics.registry.getSingleMetricAsString('mmsc_smpp_mo_total')),
  );
  t.equal(deliverReqs.length, 1, 'nothing else reached the VASP');
});

t.test('an MO the store cannot take is answered ESME_RX_T_APPN (the SMSC sends it again), and taken once there is room', async (t) => {
  const { smsc, gw, deliverReqs } = await setup(t, { redis: {}, queue: { retryBaseMs: 50, retryMaxMs: 200, memoryMaxMessages: 1 } });
  t.equal(gw.store.backend, 'memory');
  // One message deferred by a day fills the embedded store (1 of 1).
  const now = Date.now();
  await gw.store.queue.enqueue(
    {
      id: 'filler',
      originator: { address: '7050', type: 'shortcode' },
      recipients: [{ address: '+15550000009', type: 'plmn', kind: 'to' }],
      contentType: 'text/plain',
      parts: [{ index: 0, contentType: 'text/plain', size: 1 }],
      expiresAt: now + 7 * 86_400_000,
      earliestDeliveryAt: now + 86_400_000,
      deliveryReport: false,
      readReport: false,
      priority: 'normal',
      messageClass: 'personal',
      origin: { iface: 'mm7', peer: 'shop' },
      receivedAt: now,
    },
    [Buffer.from('x')],
    ['mm1-standin'],
  );
  const vote = { sourceAddr: '15550000004', destinationAddr: '7050', octets: Buffer.from('VOTE 4') };
  t.equal(await smsc.sendMo(vote), 0x64, 'full: deliver_sm answered ESME_RX_T_APPN (0x64), a temporary error');
  t.match(await gw.metrics.registry.getSingleMetricAsString('mmsc_smpp_mo_total'), /outcome="retry"[^\n]* 1/, 'counted');
  await new Promise((r) => setTimeout(r, 200));
  t.equal(deliverReqs.length, 0, 'nothing reached the VASP');

  t.same(await gw.store.queue.cancel('filler', 'test: making room'), { cancelled: 1, inProgress: 0 });
  t.equal(await smsc.sendMo(vote), 0, 'the SMSC sends it again: ESME_ROK');
  const req = await until('the DeliverReq', () => deliverReqs[0]);
  t.match(req, /VOTE 4/, 'and it reaches the VASP');
});

t.test('an MO our own handling fails on (not the store) is acknowledged and counted, not redelivered for ever', async (t) => {
  const { smsc, gw, deliverReqs } = await setup(t);
  // A fault of the gateway's: a route resolver that throws for this destination.
  gw.router.addResolver((m) => {
    if (m.origin.iface === 'smpp' && m.recipients[0]?.address === '7051') throw new TypeError('a bug in a resolver');
    return undefined;
  });
  t.equal(
    await smsc.sendMo({ sourceAddr: '15550000004', destinationAddr: '7051', octets: Buffer.from('hello') }),
    0,
    'answered ESME_ROK: a redelivery would fail the same way',
  );
  t.match(await gw.metrics.registry.getSingleMetricAsString('mmsc_smpp_mo_total'), /outcome="failed"[^\n]* 1/, 'counted as failed');
  t.equal(
    await smsc.sendMo({ sourceAddr: '15550000004', destinationAddr: '7050', octets: Buffer.from('VOTE 5') }),
    0,
    'the next MO is taken',
  );
  t.match(await until('the DeliverReq', () => deliverReqs[0]), /VOTE 5/);
});

t.test('WAP push of an MMS notification over SMPP: binary, UDHI, WDP ports, fits one SMS', async (t) => {
  const { smsc, gw } = await setup(t);
  const sender = gw.smpp!.pushSender('+15550000005')!;
  const r = await sender.send('+15550000005', {
    messageType: 'm-notification-ind',
    transactionId: 'tx-push-1',
    mmsVersion: '1.2',
    messageClass: 'personal',
    messageSize: 51200,
    expiry: 86400,
    contentLocation: 'http://mms.example/m/abc123',
    from: '+15550000009/TYPE=PLMN',
    subject: 'A picture for you',
  });
  t.equal(r.messageIds.length, 1, 'one SMS');
  const s = await until('the push at the SMSC', () => smsc.submits.find((x) => x.destinationAddr === '15550000005'));
  t.equal(s.dataCoding, 0x04, 'data_coding 8-bit binary');
  t.equal(s.esmClass & 0x40, 0x40, 'esm_class UDHI');
  t.same(
    s.udh?.map((ie) => [...ie]),
    [[0x05, 0x04, 0x0b, 0x84, 0x23, 0xf0]],
    'UDH: 16-bit ports 2948 <- 9200, one segment',
  );
  const octets = s.octets!;
  t.equal(octets[1], 0x06, 'WSP PDU type Push (after the TID)');
  t.same([...octets.subarray(3, 6)], [0xbe, 0xaf, 0x84], 'application/vnd.wap.mms-message, X-Wap-Application-Id mms.ua');
  t.ok(octets.includes(Buffer.from('http://mms.example/m/abc123')), 'the content location is in the push');
});

t.test('SMSC choice by the longest destination prefix', async (t) => {
  const config = ConfigSchema.parse({
    smpp: {
      smscs: [
        { id: 'any', host: '127.0.0.1', port: 1, systemId: 'a' },
        { id: 'us', host: '127.0.0.1', port: 2, systemId: 'b', prefixes: ['+1'] },
        { id: 'nyc', host: '127.0.0.1', port: 3, systemId: 'c', prefixes: ['+1212', '+1646'] },
      ],
    },
  });
  const gw = new Gateway(config, pino({ level: 'silent' }));
  t.equal(gw.smpp!.textRoute('+12125550100')?.peer, 'smpp:nyc');
  t.equal(gw.smpp!.textRoute('+16465550100')?.peer, 'smpp:nyc');
  t.equal(gw.smpp!.textRoute('+13125550100')?.peer, 'smpp:us');
  t.equal(gw.smpp!.textRoute('+445550100')?.peer, 'smpp:any', 'no prefix = anything else');
  await gw.store.close();
});
