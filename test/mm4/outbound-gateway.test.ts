// The route table learns MM4 peers (issue 22, Routing): a handset's m-send-req to another carrier's
// subscriber and a VASP's MM7 SubmitReq to one go out over MM4, to the peer's SMTP server (here a real
// smtp-server on loopback standing in for the peer MMSC), with the peer chosen by the longest prefix.
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { type Mm4Content, type Mm4ForwardReq, bareId, parseMm4 } from '../../protocols/mm4/index.js';
import { Gateway } from '../../src/gateway.js';
import { ConfigSchema } from '../../src/ops/config.js';
import { Handset, httpRequest } from '../helpers/handset.js';
import { mm7SubmitReq } from '../helpers/mm7-request.js';
import { type Sink, smtpSink } from '../helpers/smtp-sink.js';
import { until } from '../helpers/until.js';

const OWN = 'mms.mnc001.mcc001.gprs';
const B_DOMAIN = 'mms.mnc002.mcc001.gprs';
const C_DOMAIN = 'mms.mnc003.mcc001.gprs';
const A = '+15550000001';
const TEXT = Buffer.from('Hello across networks');

async function setup(t: Test) {
  const b = await smtpSink(t);
  const c = await smtpSink(t);
  const out = (port: number) => ({ host: '127.0.0.1', port, tls: 'none', connectTimeoutMs: 2000, greetingTimeoutMs: 2000 });
  const config = ConfigSchema.parse({
    ops: { port: 0 },
    queue: { retryBaseMs: 50, retryMaxMs: 200 },
    mm1: { port: 0, localPrefixes: ['+1555'], tokenSecret: 'x'.repeat(32), push: 'pap', papUrl: 'http://127.0.0.1:1/pap' },
    mm7: { port: 0, vasps: [{ id: 'shop', username: 'shop', password: 'pw-shop', senders: ['7050'] }] },
    mm4: {
      domains: [OWN],
      peers: [
        { id: 'carrier-b', domain: B_DOMAIN, prefixes: ['+1666'], out: out(b.port) },
        // A longer prefix inside B's range: C's (a block assigned to another network).
        { id: 'carrier-c', domain: C_DOMAIN, prefixes: ['+16661'], out: { ...out(c.port), envelopeForm: 'plain' } },
      ],
    },
  });
  const gw = new Gateway(config, pino({ level: process.env.TEST_LOG ?? 'silent' }));
  const listeners = await gw.start();
  await gw.whenReady();
  t.teardown(() => gw.stop());
  const url = (iface: string) => listeners.find((l) => l.iface === iface)!.address;
  return { gw, b, c, mm1: url('mm1'), mm7: url('mm7') };
}

async function forwardIn(s: Sink, n = 1): Promise<Mm4ForwardReq[]> {
  const got = await until('forwards at the peer', () => (s.received.length >= n ? s.received : undefined));
  return Promise.all(got.map(async (r) => (await parseMm4(r.bytes)) as Mm4ForwardReq));
}

t.test("a handset's m-send-req to another carrier's subscriber goes out over MM4", async (t) => {
  const { b, mm1 } = await setup(t);
  const a = new Handset(A, mm1);
  const sent = await a.post({
    messageType: 'm-send-req',
    transactionId: 'tx-out-1',
    mmsVersion: '1.2',
    from: { insertAddress: true },
    to: ['+16660000002/TYPE=PLMN'],
    subject: 'Over the border',
    contentType: { mediaType: 'text/plain', params: { charset: 'utf-8' } },
    body: TEXT, // a single-part message: the body is the text
  });
  t.equal(sent.pdu?.messageType, 'm-send-conf');
  t.match(sent.pdu, { responseStatus: 'Ok' }, 'accepted, not Error-sending-address-unresolved');
  const [req] = await forwardIn(b);
  t.equal(req?.type, 'MM4_forward.REQ');
  t.match(req?.from.address, { kind: 'plmn', number: A }, 'from the handset');
  t.equal(req?.from.domain, OWN, 'at our domain');
  t.match(req?.to[0]?.address, { kind: 'plmn', number: '+16660000002' });
  t.equal(req?.subject, 'Over the border');
  t.same(b.received[0]?.rcptTo, [`+16660000002/TYPE=PLMN@${B_DOMAIN}`], 'envelope in the peer domain, PLMN form');
  const messageId = (sent.pdu as { messageId?: string }).messageId!;
  t.equal(bareId(req!.messageId), `${messageId}.0@${OWN}`, 'X-Mms-Message-ID names the message and recipient');
});

t.test('an MM7 submit to two carriers: each recipient to the peer of its longest prefix', async (t) => {
  const { gw, b, c, mm7 } = await setup(t);
  const auth = { authorization: `Basic ${Buffer.from('shop:pw-shop').toString('base64')}` };
  const req = mm7SubmitReq({
    vasp: 'shop',
    shortCode: '7050',
    to: ['+16660000002', '+16661000003'],
    parts: [{ type: 'text/plain', name: 't.txt', body: TEXT }],
  });
  const submitted = await httpRequest(mm7, { method: 'POST', body: req.body, headers: { 'content-type': req.contentType, ...auth } });
  const messageId = /<(?:\w+:)?MessageID>([^<]+)</.exec(submitted.body.toString('utf8'))?.[1];
  t.ok(messageId, 'accepted');
  const [atB] = await forwardIn(b);
  const [atC] = await forwardIn(c);
  t.match(atB?.to[0]?.address, { kind: 'plmn', number: '+16660000002' });
  t.match(atC?.to[0]?.address, { kind: 'plmn', number: '+16661000003' }, 'the longer prefix wins');
  t.same(c.received[0]?.rcptTo, [`+16661000003@${C_DOMAIN}`], "C's envelope form: plain");
  t.equal(b.received.length, 1, 'B got only its own recipient');
  const leaves = (c: Mm4Content): Buffer[] => ('parts' in c ? c.parts.flatMap(leaves) : [c.body]);
  t.same(leaves(atB!.content).map(String), [TEXT.toString()], 'the content as submitted');
  const states = await until('both delivered', async () => {
    const s = await gw.store.queue.states(messageId!);
    return s?.every((x) => x === 'delivered') ? s : undefined;
  });
  t.same(states, ['delivered', 'delivered'], 'accepted by the peers (no RES asked): delivered');
});

t.test('config: out needs the peer domain and ours; prefixes need out; an outbound-only peer is no inbound peer', async (t) => {
  const bad = (mm4: Record<string, unknown>) => {
    const r = ConfigSchema.safeParse({ mm4 });
    return r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
  };
  t.same(bad({ domains: [OWN], peers: [{ id: 'b', out: { host: 'mx.b' } }] }), ['mm4.peers.0.domain']);
  t.same(bad({ domains: [OWN], peers: [{ id: 'b', allow: ['10.0.0.1'], prefixes: ['+1666'] }] }), ['mm4.peers.0.out']);
  t.same(bad({ peers: [{ id: 'b', domain: B_DOMAIN, out: { host: 'mx.b' } }] }), ['mm4.domains']);
  t.same(bad({ domains: [OWN], peers: [{ id: 'b', domain: B_DOMAIN, out: { host: 'mx.b', caFile: '/nonexistent/ca.pem' } }] }), [
    'mm4.peers.0.out.caFile',
  ]);
  t.same(bad({ domains: [OWN], peers: [{ id: 'b', domain: B_DOMAIN, prefixes: ['+1666'], out: { host: 'mx.b' } }] }), []);
});
