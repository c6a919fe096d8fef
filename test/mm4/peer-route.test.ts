// MM4 outbound (issue 22): forwards to a peer carrier's SMTP server, here a real smtp-server on loopback.
// What it received is read back with parseMm4: the MM4 fields, the recipient in the peer's form, the parts'
// bytes, and the SMTP envelope as configured; SMTP replies map to delivered/waiting/retry/rejected.
import type { Readable } from 'node:stream';
import { pino } from 'pino';
import { SMTPServer, type SMTPServerAddress, type SMTPServerOptions } from 'smtp-server';
import t, { type Test } from 'tap';
import { type Mm4ForwardReq, type Mm4Multipart, type Mm4Part, bareId, parseMm4 } from '../../protocols/mm4/index.js';
import type { CoreMessage } from '../../src/core/message.js';
import type { Delivery } from '../../src/core/router.js';
import { StaticRouter } from '../../src/core/static-router.js';
import { MM4_PEER_DEFAULTS, type Mm4PeerOutbound } from '../../src/mm4/peer-options.js';
import { Mm4PeerRoute, smtpOutcome } from '../../src/mm4/peer-route.js';
import { mm4Routes } from '../../src/mm4/routes.js';
import type { Capabilities } from '../../src/adapt/capabilities.js';
import type { RecipientAdapter } from '../../src/adapt/recipient.js';
import { TEST_CAPS } from '../helpers/adapter.js';
import { freePort } from '../helpers/free-port.js';
import { textMessage } from '../helpers/messages.js';

const OWN = 'mms.mnc001.mcc001.gprs';
const PEER_DOMAIN = 'mms.mnc002.mcc001.gprs';
const log = pino({ level: 'silent' });

interface Received {
  mailFrom: string;
  rcptTo: string[];
  bytes: Buffer;
  secure: boolean;
}

interface Peer {
  port: number;
  received: Received[];
  connections: number;
}

/**
 * A peer MMSC's SMTP server: records each transaction; `rcpt`/`data` may answer an SMTP error instead (a
 * reply code and text). STARTTLS is offered (smtp-server's built-in self-signed certificate) only when asked.
 */
async function peerServer(
  t: Test,
  o: { rcpt?: () => [number, string] | undefined; data?: () => [number, string] | undefined; starttls?: boolean } = {},
): Promise<Peer> {
  const peer: Peer = { port: 0, received: [], connections: 0 };
  const fail = (r: [number, string] | undefined): Error | null => {
    if (!r) return null;
    return Object.assign(new Error(r[1]), { responseCode: r[0] });
  };
  const opts: SMTPServerOptions = {
    authOptional: true,
    disabledCommands: o.starttls ? [] : ['STARTTLS'],
    logger: false,
    onConnect: (_s, cb) => {
      peer.connections++;
      cb();
    },
    onRcptTo: (_a: SMTPServerAddress, _s, cb) => cb(fail(o.rcpt?.())),
    onData: (stream: Readable, session, cb) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const err = fail(o.data?.());
        if (!err) {
          const env = session.envelope;
          peer.received.push({
            mailFrom: env.mailFrom === false ? '' : env.mailFrom.address,
            rcptTo: env.rcptTo.map((r) => r.address),
            bytes: Buffer.concat(chunks),
            secure: session.secure,
          });
        }
        cb(err);
      });
    },
  };
  const server = new SMTPServer(opts);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  peer.port = (server.server.address() as { port: number }).port;
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return peer;
}

function peerOptions(port: number, over: Partial<Mm4PeerOutbound> = {}): Mm4PeerOutbound {
  return {
    ...MM4_PEER_DEFAULTS,
    id: 'carrier-b',
    prefixes: ['+1555'],
    domain: PEER_DOMAIN,
    host: '127.0.0.1',
    port,
    tls: 'none',
    originatorSystem: `system-user@${OWN}`,
    timeouts: { connectMs: 2000, greetingMs: 2000, socketMs: 5000 },
    ...over,
  };
}

function route(t: Test, p: Mm4PeerOutbound): Mm4PeerRoute {
  const r = new Mm4PeerRoute(p, { ownDomain: OWN, log });
  t.teardown(() => r.close());
  return r;
}

const TEXT = Buffer.from('Hello from A, ü\r\n.\r\nnot the end of DATA\r\n', 'utf8');
const IMAGE = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7 + 13) & 0xff));

/** A two-part multipart/related MM to two numbers of the peer. */
function mm(id = 'msg-1', over: Partial<CoreMessage> = {}): CoreMessage {
  return textMessage(id, 2, Date.now(), {
    subject: 'Grüße',
    contentType: 'application/vnd.wap.multipart.related',
    contentTypeParams: { type: 'text/plain' },
    parts: [
      { index: 0, contentType: 'text/plain', params: { charset: 'utf-8' }, contentId: '<t1>', size: TEXT.length },
      { index: 1, contentType: 'image/jpeg', contentLocation: 'pic.jpg', size: IMAGE.length },
    ],
    ...over,
  });
}

function delivery(message: CoreMessage, recipientIndex: number, over: Partial<Delivery> = {}): Delivery & { fetched: number } {
  const d = {
    message,
    recipientIndex,
    attempt: 1,
    fetched: 0,
    content: async () => {
      d.fetched++;
      return [TEXT, IMAGE];
    },
    ...over,
  };
  return d;
}

async function parsed(r: Received): Promise<Mm4ForwardReq> {
  const m = await parseMm4(r.bytes, { envelope: { mailFrom: r.mailFrom, rcptTo: r.rcptTo } });
  if (m.type !== 'MM4_forward.REQ') throw new Error(`got ${m.type}`);
  return m;
}

t.test('a forward arrives with the MM4 fields, the PLMN form, the parts and the envelope', async (t) => {
  const peer = await peerServer(t);
  const r = route(t, peerOptions(peer.port));
  const message = mm();
  const first = await r.send(delivery(message, 1));
  t.match(first, { status: 'delivered', detail: /accepted by MM4 peer carrier-b: 250/ });
  t.equal(r.peer, 'mm4:carrier-b');
  t.same(r.limits, { rate: 20, burst: 40, maxInFlight: 4 });
  t.equal(peer.received.length, 1);
  const got = peer.received[0]!;
  // §8.4.4: the envelope in the spec's form, the originator at our domain, the recipient at the peer's.
  t.equal(got.mailFrom, `+15550000001/TYPE=PLMN@${OWN}`);
  t.same(got.rcptTo, [`+15551000001/TYPE=PLMN@${PEER_DOMAIN}`]);
  t.match(got.bytes.toString('latin1'), /^To: \+15551000001\/TYPE=PLMN@mms\.mnc002\.mcc001\.gprs\r$/m);
  const fwd = await parsed(got);
  t.equal(fwd.mmsVersion, '6.10.0');
  t.match(bareId(fwd.transactionId), /^[0-9a-z]+-[0-9a-f]{16}$/);
  t.equal(fwd.messageId, `msg-1.1@${OWN}`);
  t.equal(fwd.rfc822MessageId, `${fwd.transactionId}@${OWN}`);
  t.equal(fwd.originatorSystem, `system-user@${OWN}`);
  t.equal(fwd.ackRequest, false);
  t.same(fwd.from, { address: { kind: 'plmn', number: '+15550000001' }, domain: OWN });
  t.same(fwd.to, [{ address: { kind: 'plmn', number: '+15551000001' }, domain: PEER_DOMAIN }]);
  t.same(fwd.cc, []);
  t.equal(fwd.subject, 'Grüße');
  t.equal(fwd.priority, 'Normal');
  t.equal(fwd.messageClass, 'Personal');
  t.same(fwd.expiry, { kind: 'absolute', epochMs: Math.floor(message.expiresAt / 1000) * 1000 });
  const content = fwd.content as Mm4Multipart;
  t.equal(content.contentType.type, 'multipart/related');
  t.equal(content.contentType.params.type, 'text/plain');
  const [text, image] = content.parts as Mm4Part[];
  t.ok(text!.body.equals(TEXT), 'the text part byte for byte (a lone "." line survives DATA)');
  t.equal(text!.contentId, 't1');
  t.ok(image!.body.equals(IMAGE), 'the binary part byte for byte');
  t.equal(image!.contentLocation, 'pic.jpg');

  // Another attempt: a fresh Transaction-ID (a new request/RES pair), the same X-Mms-Message-ID (a copy).
  await r.send(delivery(message, 1, { attempt: 2 }));
  const again = await parsed(peer.received[1]!);
  t.not(again.transactionId, fwd.transactionId);
  t.equal(again.messageId, fwd.messageId);
  // The other recipient's copy is not a copy of this one.
  await r.send(delivery(message, 0));
  const other = await parsed(peer.received[2]!);
  t.not(other.messageId, fwd.messageId);
  t.same(peer.received[2]!.rcptTo, [`+15551000000/TYPE=PLMN@${PEER_DOMAIN}`]);
});

t.test("the 'plain' envelope form writes +N@domain in the envelope and in From/To", async (t) => {
  const peer = await peerServer(t);
  const r = route(t, peerOptions(peer.port, { envelopeForm: 'plain' }));
  t.match(await r.send(delivery(mm(), 0)), { status: 'delivered' });
  const got = peer.received[0]!;
  t.equal(got.mailFrom, `+15550000001@${OWN}`);
  t.same(got.rcptTo, [`+15551000000@${PEER_DOMAIN}`]);
  t.match(got.bytes.toString('latin1'), /^To: \+15551000000@mms\.mnc002\.mcc001\.gprs\r$/m);
  t.match(got.bytes.toString('latin1'), /^From: \+15550000001@mms\.mnc001\.mcc001\.gprs\r$/m);
  const fwd = await parsed(got);
  t.same(fwd.to, [{ address: { kind: 'plmn', number: '+15551000000' }, domain: PEER_DOMAIN }]);
});

t.test('with ackRequest the job waits for MM4_forward.RES, then the peer policy ends it', async (t) => {
  const peer = await peerServer(t);
  const r = route(t, peerOptions(peer.port, { ackRequest: true, resTimeoutMs: 60_000, onMissingRes: 'delivered' }));
  const message = mm();
  t.same(await r.send(delivery(message, 0)), { status: 'waiting', detail: 'forwarded; awaiting MM4_forward.RES', retryAfterMs: 60_000 });
  t.equal((await parsed(peer.received[0]!)).ackRequest, true);
  // Back after resTimeoutMs without a RES: 'delivered' ends it without sending again.
  t.match(await r.send(delivery(message, 0, { notifications: 1 })), { status: 'delivered', detail: /no MM4_forward.RES within 60000 ms/ });
  t.equal(peer.received.length, 1);

  const resend = route(t, peerOptions(peer.port, { ackRequest: true, onMissingRes: 'resend' }));
  t.match(await resend.send(delivery(message, 0, { notifications: 1 })), { status: 'waiting' });
  t.equal(peer.received.length, 2, "'resend' forwards it again");
  t.equal((await parsed(peer.received[1]!)).messageId, (await parsed(peer.received[0]!)).messageId);
});

t.test('SMTP replies: 4xx retried, 5xx rejected with the reply, a refused connection retried', async (t) => {
  const deferring = await peerServer(t, { data: () => [451, 'Requested action aborted: local error in processing'] });
  const d451 = await route(t, peerOptions(deferring.port)).send(delivery(mm(), 0));
  t.match(d451, { status: 'retry', error: /451 Requested action aborted: local error in processing/ });

  const rcpt550 = await peerServer(t, { rcpt: () => [550, 'No such user here'] });
  const r550 = await route(t, peerOptions(rcpt550.port)).send(delivery(mm(), 0));
  t.match(r550, { status: 'rejected', detail: /refused the forward: 550 No such user here/ });

  const data554 = await peerServer(t, { data: () => [554, 'Transaction failed: content refused'] });
  t.match(await route(t, peerOptions(data554.port)).send(delivery(mm(), 0)), {
    status: 'rejected',
    detail: /554 Transaction failed: content refused/,
  });

  const rcpt452 = await peerServer(t, { rcpt: () => [452, 'Too many recipients received this hour'] });
  t.match(await route(t, peerOptions(rcpt452.port)).send(delivery(mm(), 0)), { status: 'retry', error: /452 Too many recipients/ });

  const closed = await freePort(); // nothing listens there
  const refused = await route(t, peerOptions(closed)).send(delivery(mm(), 0));
  t.match(refused, { status: 'retry', error: /MM4 peer carrier-b not reached: .*ECONNREFUSED/ });
});

t.test('over maxMessageBytes: rejected without connecting', async (t) => {
  const peer = await peerServer(t);
  // The parts alone are over it: not even fetched.
  const small = route(t, peerOptions(peer.port, { maxMessageBytes: 2000 }));
  const d = delivery(mm(), 0);
  t.match(await small.send(d), { status: 'rejected', detail: /over MM4 peer carrier-b's 2000-byte limit/ });
  t.equal(d.fetched, 0);
  // The parts fit, the forward (headers, base64) does not.
  const tight = route(t, peerOptions(peer.port, { maxMessageBytes: TEXT.length + IMAGE.length + 10 }));
  const d2 = delivery(mm(), 0);
  t.match(await tight.send(d2), { status: 'rejected', detail: /message of \d+ bytes is over/ });
  t.equal(d2.fetched, 1);
  t.equal(peer.connections, 0, 'no SMTP session was opened');
  t.equal(peer.received.length, 0);
});

t.test('over the cap with an adapter: adapted to the route instead of refused; forbidden is refused with its code', async (t) => {
  const peer = await peerServer(t);
  const asked: Capabilities[] = [];
  const SMALL = Buffer.from('a smaller picture');
  const adapter: RecipientAdapter = {
    capabilities: async () => TEST_CAPS,
    content: async (m, _i, caps, load) => {
      asked.push(caps);
      if (m.service?.allowAdaptations === false) return { ok: false, code: 'adaptation-forbidden', detail: 'over the route cap' };
      const [text] = await load();
      const parts = [m.parts[0]!, { ...m.parts[1]!, size: SMALL.length, contentLocation: 'pic-small.jpg' }];
      return {
        ok: true,
        outcome: {
          classKey: 'k',
          contentType: 'multipart/related',
          parts,
          changed: true,
          changes: ['pic.jpg: image/jpeg 3000 bytes -> 17 bytes'],
          bytesBefore: TEXT.length + IMAGE.length,
          bytesAfter: TEXT.length + SMALL.length,
        },
        content: [text!, SMALL],
      };
    },
  };
  const p = peerOptions(peer.port, { maxMessageBytes: 6000 });
  const r = new Mm4PeerRoute(p, { ownDomain: OWN, log, adapter });
  t.teardown(() => r.close());
  const res = await r.send(delivery(mm(), 0));
  t.match(res, { status: 'delivered', detail: /accepted by MM4 peer carrier-b: 250.*adapted \(\d+ -> \d+ bytes\): pic\.jpg/ });
  t.equal(asked[0]!.maxMessageBytes, Math.floor((6000 - 4096 - 300 * 3) / 1.37), "the route's content budget");
  t.equal(asked[0]!.routeCapped, true);
  const fwd = await parsed(peer.received[0]!);
  const [, image] = (fwd.content as Mm4Multipart).parts as Mm4Part[];
  t.ok(image!.body.equals(SMALL), 'the adapted picture went');
  t.equal(image!.contentLocation, 'pic-small.jpg');
  const refused = await r.send(delivery(mm('msg-2', { service: { allowAdaptations: false } }), 0));
  t.same(refused, { status: 'rejected', detail: 'adaptation-forbidden: over the route cap' });
  t.equal(peer.received.length, 1, 'nothing sent for the forbidden one');
  // Under the budget: not adapted at all.
  const roomy = new Mm4PeerRoute(peerOptions(peer.port), { ownDomain: OWN, log, adapter });
  t.teardown(() => roomy.close());
  t.match(await roomy.send(delivery(mm('msg-3'), 0)), { status: 'delivered' });
  t.equal(asked.length, 2, 'the adapter was not asked');
});

t.test('TLS modes against a peer offering STARTTLS, and one that does not', async (t) => {
  const tlsPeer = await peerServer(t, { starttls: true });
  t.match(await route(t, peerOptions(tlsPeer.port, { tls: 'opportunistic' })).send(delivery(mm(), 0)), { status: 'delivered' });
  t.equal(tlsPeer.received[0]?.secure, true, 'opportunistic: upgraded with STARTTLS');
  // Required and verified: smtp-server's self-signed certificate is refused, and nothing is sent in clear.
  const unverified = await route(t, peerOptions(tlsPeer.port, { tls: 'starttls-required' })).send(delivery(mm(), 0));
  t.match(unverified, { status: 'retry', error: /certificate|self[- ]signed/i });
  t.equal(tlsPeer.received.length, 1);
  const plainPeer = await peerServer(t);
  const noTls = await route(t, peerOptions(plainPeer.port, { tls: 'starttls-required' })).send(delivery(mm(), 0));
  t.match(noTls, { status: 'retry', error: /ETLS at STARTTLS/ });
  t.equal(plainPeer.received.length, 0, 'no STARTTLS offered: not sent in clear');
});

t.test('smtpOutcome: AUTH and TLS failures are the link, retried', async (t) => {
  t.match(smtpOutcome('p', { code: 'EAUTH', response: '535 5.7.8 Authentication failed', responseCode: 535 }), { status: 'retry' });
  t.match(smtpOutcome('p', { code: 'EMESSAGE', message: 'Message size larger than allowed 1000' }), { status: 'rejected' });
  t.match(smtpOutcome('p', new Error('boom')), { status: 'retry', error: /not reached: ERROR: boom/ });
});

t.test('mm4Routes: the longest matching prefix wins, whatever the order of the peers', async (t) => {
  const port = await freePort();
  const a = peerOptions(port, { id: 'a', prefixes: ['+1555'] });
  const b = peerOptions(port, { id: 'b', prefixes: ['+155510', '+1999'] });
  for (const peers of [
    [a, b],
    [b, a],
  ]) {
    const entries = mm4Routes(peers, { ownDomain: OWN, log });
    t.teardown(() => {
      for (const e of entries) e.peerRoute.close();
    });
    const router = new StaticRouter(entries);
    t.same(router.names().sort(), ['mm4 a', 'mm4 b']);
    const m = textMessage('m', 1, Date.now(), {
      recipients: [
        { address: '+15551000000', type: 'plmn', kind: 'to' },
        { address: '+15552000000', type: 'plmn', kind: 'to' },
        { address: '+19990000000', type: 'plmn', kind: 'to' },
        { address: '+14440000000', type: 'plmn', kind: 'to' },
        { address: '15551', type: 'shortcode', kind: 'to' },
      ],
    });
    t.equal(router.route(m, 0)?.peer, 'mm4:b');
    t.equal(router.route(m, 1)?.peer, 'mm4:a');
    t.equal(router.route(m, 2)?.peer, 'mm4:b');
    t.equal(router.route(m, 3), undefined, 'no peer serves it');
    t.equal(router.route(m, 4), undefined, 'a short code is not a peer number');
    const report = {
      ...m,
      report: { kind: 'delivery' as const, messageId: 'x', recipientIndex: 0, to: m.origin, status: 'delivered' as const, at: 0 },
    };
    t.equal(router.route(report, 0), undefined, 'reports are not forwards');
  }
});
