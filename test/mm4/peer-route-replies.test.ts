import { pino } from 'pino';
import t, { type Test } from 'tap';
import { bareId } from '../../protocols/mm4/index.js';
import type { CoreMessage } from '../../src/core/message.js';
import type { CorrelationStore } from '../../src/core/ports.js';
import type { Delivery } from '../../src/core/router.js';
import { findForward, midKey, resOkKey, resendKey, txKey } from '../../src/mm4/correlation.js';
import { MM4_PEER_DEFAULTS, type Mm4PeerOutbound } from '../../src/mm4/peer-options.js';
import { Mm4PeerRoute } from '../../src/mm4/peer-route.js';
import { MemoryCorrelations } from '../../src/store/memory/correlations.js';
import { textMessage } from '../helpers/messages.js';
import { mm4Sink } from '../helpers/smtp-sink.js';

const OWN = 'mms.mnc001.mcc001.gprs';
const PEER_DOMAIN = 'mms.mnc002.mcc001.gprs';
const log = pino({ level: 'silent' });

function route(t: Test, port: number, over: Partial<Mm4PeerOutbound> = {}, correlations: CorrelationStore = new MemoryCorrelations()) {
  const options: Mm4PeerOutbound = {
    ...MM4_PEER_DEFAULTS,
    id: 'carrier-b',
    prefixes: ['+1666'],
    domain: PEER_DOMAIN,
    host: '127.0.0.1',
    port,
    tls: 'none',
    originatorSystem: `system-user@${OWN}`,
    timeouts: { connectMs: 2000, greetingMs: 2000, socketMs: 5000 },
    ...over,
  };
  const r = new Mm4PeerRoute(options, { ownDomain: OWN, log, correlations });
  t.teardown(() => r.close());
  return { r, correlations };
}

function delivery(message: CoreMessage, recipientIndex: number, notifications = 0): Delivery {
  return { message, recipientIndex, attempt: 1, notifications, content: async () => [Buffer.from('hello, world 123')] };
}

const mm = (over: Partial<CoreMessage> = {}) =>
  textMessage('msg-1', 2, Date.now(), {
    recipients: [
      { address: '+16660000001', type: 'plmn', kind: 'to' },
      { address: '+16660000002', type: 'plmn', kind: 'to' },
    ],
    ...over,
  });

t.test('each forward records its Transaction-ID and X-Mms-Message-ID, by peer, for the recipient it carries', async (t) => {
  const peer = await mm4Sink(t);
  const { r, correlations } = route(t, peer.port);
  t.match(await r.send(delivery(mm(), 1)), { status: 'delivered' });
  const fw = peer.got[0]!.msg;
  if (fw.type !== 'MM4_forward.REQ') throw new Error(fw.type);
  t.match(await findForward(correlations, txKey('carrier-b', fw.transactionId)), { messageId: 'msg-1', recipientIndex: 1 });
  t.match(await findForward(correlations, midKey('carrier-b', `<${bareId(fw.messageId)}>`)), { messageId: 'msg-1', recipientIndex: 1 });
  t.equal(await findForward(correlations, txKey('carrier-c', fw.transactionId)), undefined, "another peer's key finds nothing");
});

t.test('a correlation that cannot be stored: the forward is not sent, and is tried again', async (t) => {
  const peer = await mm4Sink(t);
  const broken: CorrelationStore = {
    put: async () => {
      throw new Error('Redis unreachable');
    },
    get: async () => undefined,
  };
  const { r } = route(t, peer.port, {}, broken);
  t.match(await r.send(delivery(mm(), 0)), { status: 'retry', error: /correlation not stored/ });
  t.equal(peer.got.length, 0, 'nothing sent');
});

t.test('a delivery report asked: the 250 leaves the job waiting for it, without and with an ack request', async (t) => {
  const peer = await mm4Sink(t);
  const plain = route(t, peer.port).r;
  t.match(await plain.send(delivery(mm({ deliveryReport: true }), 0)), { status: 'waiting', detail: /awaiting MM4_delivery_report/ });
  t.match(await plain.send(delivery(mm(), 0)), { status: 'delivered' }, 'none asked: delivered at the 250');

  const acked = route(t, peer.port, { ackRequest: true, onMissingRes: 'delivered' }).r;
  t.match(await acked.send(delivery(mm({ deliveryReport: true }), 0)), { status: 'waiting', retryAfterMs: 600_000 });
  const back = await acked.send(delivery(mm({ deliveryReport: true }), 0, 1));
  t.match(back, { status: 'waiting', detail: /awaiting its MM4_delivery_report/ }, 'no RES, policy delivered: still awaits the report');
  t.notOk('retryAfterMs' in back, 'until the message expires');
  t.match(await acked.send(delivery(mm(), 0, 1)), { status: 'delivered' }, 'no report asked: the policy as before');
  t.equal(peer.got.length, 3, 'the looks after the RES time sent nothing');
});

t.test('policy resend: a RES Ok seen keeps the job waiting for the report; without one the forward goes again', async (t) => {
  const peer = await mm4Sink(t);
  const { r, correlations } = route(t, peer.port, { ackRequest: true, onMissingRes: 'resend' });
  const m = mm({ deliveryReport: true });
  await correlations.put(resOkKey('msg-1', 0), '1', 60_000);
  t.match(await r.send(delivery(m, 0, 1)), { status: 'waiting', detail: /awaiting its MM4_delivery_report/ });
  t.equal(peer.got.length, 0);
  t.match(await r.send(delivery(m, 1, 1)), { status: 'waiting', retryAfterMs: 600_000 }, 'recipient 1 had no RES: forwarded again');
  t.equal(peer.got.length, 1);
});

t.test('a transient RES mark has the forward sent again once', async (t) => {
  const peer = await mm4Sink(t);
  const { r, correlations } = route(t, peer.port, { ackRequest: true, onMissingRes: 'delivered' });
  await correlations.put(resendKey('msg-1', 0), 'Error-network-problem', 60_000);
  t.match(await r.send(delivery(mm(), 0, 1)), { status: 'waiting' }, 'sent again, awaiting its RES');
  t.equal(peer.got.length, 1);
  await new Promise((resolve) => setTimeout(resolve, 5)); // the consumed mark's last millisecond
  t.match(await r.send(delivery(mm(), 0, 2)), { status: 'delivered' }, 'the next look: the policy again');
  t.equal(peer.got.length, 1);
});

t.test('a report and a RES queued for the peer go out as MM4 messages', async (t) => {
  const peer = await mm4Sink(t);
  const { r } = route(t, peer.port);
  const base = textMessage('rep-1', 1, Date.now(), {
    originator: { address: '+15550001234', type: 'plmn' },
    recipients: [{ address: '+16669990000', type: 'plmn', kind: 'to' }],
    parts: [],
  });
  const origin = { iface: 'mm4' as const, peer: 'carrier-b', messageRef: '<m-1@b>' };
  const report: CoreMessage = {
    ...base,
    report: { kind: 'delivery', messageId: 'x', recipientIndex: 0, to: origin, status: 'expired', at: Date.now() },
  };
  t.match(await r.send(delivery(report, 0)), { status: 'delivered' });
  t.match(peer.got[0]!.msg, { type: 'MM4_delivery_report.REQ', messageId: '<m-1@b>', mmStatus: 'Expired', ackRequest: false });
  t.same(peer.got[0]!.rcptTo, [`+16669990000/TYPE=PLMN@${PEER_DOMAIN}`]);

  const ack: CoreMessage = {
    ...base,
    id: 'ack-1',
    recipients: [{ address: `system-user@${PEER_DOMAIN}`, type: 'email', kind: 'to' }],
    ack: { to: origin, type: 'MM4_forward.RES', transactionId: '"t 1@b"', messageRef: '<m-1@b>', status: 'Ok' },
  };
  t.match(await r.send(delivery(ack, 0)), { status: 'delivered' });
  t.ok(peer.got[1]!.bytes.includes(Buffer.from('\r\nX-Mms-Transaction-ID: "t 1@b"\r\n')), 'the Transaction-ID as the peer wrote it');
  t.match(peer.got[1]!.msg, { type: 'MM4_forward.RES', requestStatus: 'Ok' });
  t.same(peer.got[1]!.rcptTo, [`system-user@${PEER_DOMAIN}`]);

  const noRef: CoreMessage = { ...report, id: 'rep-2', report: { ...report.report!, to: { iface: 'mm4', peer: 'carrier-b' } } };
  t.match(await r.send(delivery(noRef, 0)), { status: 'rejected', detail: /no X-Mms-Message-ID/ }, 'nothing to name the MM by');
});
