import { pino } from 'pino';
import t, { type Test } from 'tap';
import type { MmsPdu, SendReq } from '../../protocols/mms/index.js';
import { Gateway } from '../../src/gateway.js';
import { ConfigSchema } from '../../src/ops/config.js';
import { freePort } from '../helpers/free-port.js';
import { Handset, httpRequest } from '../helpers/handset.js';
import { mm7SubmitReq } from '../helpers/mm7-request.js';
import { type Smsc, startSmsc } from '../helpers/smsc.js';
import { until } from '../helpers/until.js';
import { vaspServer } from '../helpers/vasp-server.js';

const A_DOMAIN = 'mms.mnc001.mcc001.gprs';
const B_DOMAIN = 'mms.mnc002.mcc001.gprs';
const A_PHONE = '+15550000001';
const B_PHONE = '+16660000002';
const TEXT = Buffer.from('Hello across networks');

interface Carrier {
  gw: Gateway;
  smsc: Smsc;
  mm1: string;
  mm7: string;
}

async function carrier(
  t: Test,
  o: { name: string; domain: string; local: string; mm4Port: number; peer: { id: string; domain: string; prefix: string; port: number } },
  extra: Record<string, unknown> = {},
): Promise<Carrier> {
  const smsc = await startSmsc({ systemId: 'mmsc', password: 'secret' });
  t.teardown(() => smsc.stop());
  const config = ConfigSchema.parse({
    ops: { port: 0 },
    queue: { retryBaseMs: 50, retryMaxMs: 200 },
    mm1: { port: 0, publicUrl: `http://mmsc.${o.name}.test/mms`, tokenSecret: `secret-of-${o.name}-0123456789`, localPrefixes: [o.local] },
    smpp: {
      smscs: [
        { id: 'sim', host: '127.0.0.1', port: smsc.port, systemId: 'mmsc', password: 'secret', sourceAddr: '6000', enquireLinkMs: 5000 },
      ],
    },
    mm4: {
      enabled: true,
      host: '127.0.0.1',
      port: o.mm4Port,
      domains: [o.domain],
      peers: [
        {
          id: o.peer.id,
          domain: o.peer.domain,
          prefixes: [o.peer.prefix],
          allow: ['127.0.0.1/32'],
          out: { host: '127.0.0.1', port: o.peer.port, tls: 'none', ackRequest: true, connectTimeoutMs: 2000, greetingTimeoutMs: 2000 },
        },
      ],
    },
    ...extra,
  });
  const gw = new Gateway(config, pino({ level: process.env.TEST_LOG ?? 'silent' }).child({ carrier: o.name }));
  const listeners = await gw.start();
  await gw.whenReady();
  t.teardown(() => gw.stop());
  await until(`${o.name} bound to its SMSC`, () => gw.smpp!.clients[0]!.bound);
  const url = (iface: string) => listeners.find((l) => l.iface === iface)?.address ?? '';
  return { gw, smsc, mm1: url('mm1'), mm7: url('mm7') };
}

async function twoCarriers(t: Test) {
  const vasp = await vaspServer(t);
  const [portA, portB] = [await freePort(), await freePort()];
  const mm7 = { mm7: { port: 0, vasps: [{ id: 'shop', username: 'shop', password: 'pw-shop', senders: ['7050'], url: vasp.url }] } };
  const a = await carrier(
    t,
    {
      name: 'a',
      domain: A_DOMAIN,
      local: '+1555',
      mm4Port: portA,
      peer: { id: 'carrier-b', domain: B_DOMAIN, prefix: '+1666', port: portB },
    },
    mm7,
  );
  const b = await carrier(
    t,
    {
      name: 'b',
      domain: B_DOMAIN,
      local: '+1666',
      mm4Port: portB,
      peer: { id: 'carrier-a', domain: A_DOMAIN, prefix: '+1555', port: portA },
    },
    { mm7: { enabled: false } },
  );
  return { a, b, vasp };
}

function pushed<T extends MmsPdu['messageType']>(h: Handset, smsc: Smsc, type: T): () => Extract<MmsPdu, { messageType: T }> | undefined {
  return () => h.pushes(smsc).find((p): p is Extract<MmsPdu, { messageType: T }> => p.messageType === type);
}

/**
 * The handset takes its notification, retrieves the MM and acknowledges it; resolves to the m-retrieve-conf.
 * `notified`: what to check once the notification is there, before the handset retrieves.
 */
async function fetch(h: Handset, smsc: Smsc, notified?: () => Promise<void>) {
  const n = await until(`the notification pushed to ${h.msisdn}`, pushed(h, smsc, 'm-notification-ind'));
  await notified?.();
  const conf = (await h.retrieve(n.contentLocation)).pdu!;
  if (conf.messageType !== 'm-retrieve-conf') throw new Error(`retrieved ${conf.messageType}`);
  const ack = await h.post({ messageType: 'm-acknowledge-ind', transactionId: conf.transactionId!, mmsVersion: '1.2' });
  if (ack.status !== 204) throw new Error(`m-acknowledge-ind answered ${ack.status}`);
  return conf;
}

t.test("A's VASP -> B's handset: retrieved, delivery report and read reply back to the VASP over MM4", async (t) => {
  const { a, b, vasp } = await twoCarriers(t);
  const req = mm7SubmitReq({
    vasp: 'shop',
    shortCode: '7050',
    to: [B_PHONE],
    deliveryReport: true,
    readReply: true,
    subject: 'Offer',
    parts: [{ type: 'text/plain', name: 't.txt', body: TEXT }],
  });
  const auth = `Basic ${Buffer.from('shop:pw-shop').toString('base64')}`;
  const r = await httpRequest(a.mm7, { method: 'POST', body: req.body, headers: { 'content-type': req.contentType, authorization: auth } });
  const id = /<(?:\w+:)?MessageID>([^<]+)</.exec(r.body.toString('utf8'))?.[1];
  t.ok(id, 'A accepted the submit');

  const handset = new Handset(B_PHONE, b.mm1);
  const conf = await fetch(handset, b.smsc, async () => {
    await until("B's MM4_forward.RES at A", async () =>
      (await a.gw.store.queue.history(id!, 0)).some((h) => /MM4_forward.RES from carrier-b: Ok/.test(h.detail ?? '')),
    );
    t.same(await a.gw.store.queue.states(id!), ['notified'], "A's copy waits: B took it (RES Ok), its delivery report is awaited");
    t.equal(vasp.seen.filter((s) => s.kind === 'DeliveryReportReq').length, 0, 'no report to the VASP before B reports');
  });
  t.equal(conf.subject, 'Offer');
  t.same(
    conf.parts?.map((p) => p.data.toString()),
    [TEXT.toString()],
    'the content as the VASP sent it',
  );
  const dr = await until('DeliveryReportReq at the VASP', () => vasp.seen.find((s) => s.kind === 'DeliveryReportReq'));
  t.match(dr.body, /MMStatus>Retrieved</, 'Retrieved');
  t.match(dr.body, new RegExp(`${id}`), 'about the message A gave the VASP');
  t.same(await a.gw.store.queue.states(id!), ['delivered'], "A's recipient ended by B's report");

  const rr = await handset.post({
    messageType: 'm-read-rec-ind',
    mmsVersion: '1.2',
    messageId: conf.messageId!,
    to: ['7050/TYPE=PLMN'],
    from: { insertAddress: true },
    readStatus: 'Read',
  });
  t.equal(rr.status, 204);
  const read = await until('ReadReplyReq at the VASP', () => vasp.seen.find((s) => s.kind === 'ReadReplyReq'));
  t.match(read.body, /MMStatus>Read</);
});

t.test("B's handset -> A's handset: m-delivery-ind and m-read-orig-ind come back to B's handset", async (t) => {
  const { a, b } = await twoCarriers(t);
  const sender = new Handset(B_PHONE, b.mm1);
  const reader = new Handset(A_PHONE, a.mm1);
  const send: SendReq = {
    messageType: 'm-send-req',
    transactionId: 'tx-b-1',
    mmsVersion: '1.2',
    from: { insertAddress: true },
    to: [`${A_PHONE}/TYPE=PLMN`],
    subject: 'Across',
    deliveryReport: 'Yes',
    readReport: 'Yes',
    contentType: { mediaType: 'text/plain', params: { charset: 'utf-8' } },
    body: TEXT, // a single-part message: the body is the text
  };
  const sent = await sender.post(send);
  t.equal(sent.pdu?.responseStatus, 'Ok');
  const id = sent.pdu?.messageId as string;

  const conf = await fetch(reader, a.smsc);
  t.equal(conf.from, `${B_PHONE}/TYPE=PLMN`, 'from the handset of B');
  const di = await until('m-delivery-ind at B', pushed(sender, b.smsc, 'm-delivery-ind'));
  t.equal(di.messageId, id, 'about the message B gave its handset');
  t.equal(di.status, 'Retrieved');

  const rr = await reader.post({
    messageType: 'm-read-rec-ind',
    mmsVersion: '1.2',
    messageId: conf.messageId!,
    to: [`${B_PHONE}/TYPE=PLMN`],
    from: { insertAddress: true },
    readStatus: 'Read',
  });
  t.equal(rr.status, 204);
  const ro = await until('m-read-orig-ind at B', pushed(sender, b.smsc, 'm-read-orig-ind'));
  t.equal(ro.messageId, id);
  t.equal(ro.readStatus, 'Read');
});
