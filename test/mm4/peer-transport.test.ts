// MM4 outbound: where a peer's forwards go and how they are signed (src/mm4/peer-transport.ts). MX lookup
// only when the peer asks for it (out.mx), answered by a real DNS server on loopback (helpers/dns-server.ts)
// through node:dns: the most preferred exchange gets the forward, a domain without MX (NXDOMAIN, null MX)
// is a retry. DKIM (mm4.dkim*): the forward as the peer receives it verifies against the public key.
import { generateKeyPairSync } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { ConfigSchema } from '../../src/ops/config.js';
import { MM4_PEER_DEFAULTS, type Mm4PeerOutbound } from '../../src/mm4/peer-options.js';
import { Mm4PeerRoute, type Mm4RouteDeps } from '../../src/mm4/peer-route.js';
import { verifyDkim } from '../helpers/dkim.js';
import { type DnsReply, dnsServer, encodeName, header } from '../helpers/dns-server.js';
import { freePort } from '../helpers/free-port.js';
import { textMessage } from '../helpers/messages.js';
import { smtpSink } from '../helpers/smtp-sink.js';

const OWN = 'mms.mnc001.mcc001.gprs';
const PEER_DOMAIN = 'mms.peer.test';
const log = pino({ level: 'silent' });
const TEXT = Buffer.from('hello over MM4');

/** An MX answer (RFC 1035 §3.3.9: preference, exchange) for the question, each exchange a name. */
function mxReply(records: Array<{ preference: number; exchange: string }>): DnsReply {
  return {
    raw: (id, question) =>
      Buffer.concat([
        header(id, 0, records.length),
        question,
        ...records.map((r) => {
          const rdata = Buffer.concat([Buffer.from([r.preference >> 8, r.preference & 0xff]), encodeName(r.exchange)]);
          const rr = Buffer.alloc(12);
          rr.writeUInt16BE(0xc00c, 0); // the question's name
          rr.writeUInt16BE(15, 2); // MX
          rr.writeUInt16BE(1, 4); // IN
          rr.writeUInt32BE(60, 6);
          rr.writeUInt16BE(rdata.length, 10);
          return Buffer.concat([rr, rdata]);
        }),
      ]),
  };
}

function peer(port: number, over: Partial<Mm4PeerOutbound> = {}): Mm4PeerOutbound {
  return {
    ...MM4_PEER_DEFAULTS,
    id: 'peer',
    prefixes: ['+1666'],
    domain: PEER_DOMAIN,
    host: '127.0.0.1',
    port,
    tls: 'none',
    originatorSystem: `system-user@${OWN}`,
    timeouts: { connectMs: 2000, greetingMs: 2000, socketMs: 5000 },
    ...over,
  };
}

function route(t: Test, p: Mm4PeerOutbound, deps: Partial<Mm4RouteDeps> = {}): Mm4PeerRoute {
  const r = new Mm4PeerRoute(p, { ownDomain: OWN, log, ...deps });
  t.teardown(() => r.close());
  return r;
}

function delivery() {
  const message = textMessage('mx-1', 1, Date.now(), {
    recipients: [{ address: '+16660000001', type: 'plmn', kind: 'to' }],
    parts: [{ index: 0, contentType: 'text/plain', params: { charset: 'utf-8' }, size: TEXT.length }],
    deliveryReport: false,
  });
  return { message, recipientIndex: 0, attempt: 1, content: async () => [TEXT] };
}

async function resolverAt(
  t: Test,
  handler: (name: string) => DnsReply,
): Promise<{ resolveMx: Mm4RouteDeps['resolveMx']; asked: string[] }> {
  const dns = await dnsServer(t, (q) => handler(q.name));
  const resolver = new Resolver({ timeout: 1000, tries: 1 });
  resolver.setServers([dns.address]);
  return { resolveMx: (d) => resolver.resolveMx(d), asked: dns.queries.map((q) => q.name) };
}

t.test('out.mx: the forward goes to the most preferred exchange of the peer domain', async (t) => {
  const port = await freePort();
  const preferred = await smtpSink(t, { host: '127.0.0.2', port });
  const other = await smtpSink(t, { host: '127.0.0.1', port });
  const dns = await dnsServer(t, (q) =>
    q.name === PEER_DOMAIN && q.type === 15
      ? mxReply([
          { preference: 20, exchange: '127.0.0.1' },
          { preference: 10, exchange: '127.0.0.2' },
        ])
      : { rcode: 3 },
  );
  const resolver = new Resolver({ timeout: 1000, tries: 1 });
  resolver.setServers([dns.address]);
  // host names a machine that is not there: with mx, it is not used.
  const r = route(t, peer(port, { mx: true, host: '127.0.0.3' }), { resolveMx: (d) => resolver.resolveMx(d) });
  t.match(await r.send(delivery()), { status: 'delivered' });
  t.equal(preferred.received.length, 1, 'the preference-10 exchange got it');
  t.equal(other.received.length, 0, 'not the preference-20 one');
  t.match(dns.queries, [{ name: PEER_DOMAIN, type: 15 }], 'the MX of the peer domain was asked');
  await r.send(delivery());
  t.equal(dns.queries.length, 1, 'the answer is kept (not asked again for the next forward)');
  t.equal(preferred.received.length, 2);
});

t.test('without out.mx no DNS is asked: the configured host gets the forward', async (t) => {
  const port = await freePort();
  const s = await smtpSink(t, { host: '127.0.0.1', port });
  let asked = 0;
  const r = route(t, peer(port), {
    resolveMx: async () => {
      asked++;
      return [];
    },
  });
  t.match(await r.send(delivery()), { status: 'delivered' });
  t.equal(s.received.length, 1);
  t.equal(asked, 0);
});

t.test('no usable MX (NXDOMAIN, a null MX): retried, nothing sent', async (t) => {
  const port = await freePort();
  const s = await smtpSink(t, { host: '127.0.0.1', port });
  const nx = await resolverAt(t, () => ({ rcode: 3 }));
  t.match(await route(t, peer(port, { mx: true }), { resolveMx: nx.resolveMx }).send(delivery()), {
    status: 'retry',
    error: /MX of mms\.peer\.test/,
  });
  // RFC 7505: one MX of preference 0 and exchange "." says the domain takes no mail.
  const nullMx = await resolverAt(t, () => mxReply([{ preference: 0, exchange: '' }]));
  t.match(await route(t, peer(port, { mx: true }), { resolveMx: nullMx.resolveMx }).send(delivery()), {
    status: 'retry',
    error: /no mail exchanger/,
  });
  t.equal(s.received.length, 0);
});

t.test('mm4.dkim*: what the peer receives carries a DKIM-Signature that verifies', async (t) => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const port = await freePort();
  const s = await smtpSink(t, { host: '127.0.0.1', port });
  const dkim = { domainName: OWN, keySelector: 'mm4', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
  t.match(await route(t, peer(port), { dkim }).send(delivery()), { status: 'delivered' });
  const tags = verifyDkim(s.received[0]!.bytes, publicKey);
  t.equal(tags.d, OWN);
  t.equal(tags.s, 'mm4');
  t.match(tags.h, /x-mms-message-id/i, 'the MM4 fields are signed too');
  const tampered = Buffer.from(s.received[0]!.bytes.toString('latin1').replace('hello over MM4', 'hello over MM5'), 'latin1');
  t.throws(() => verifyDkim(tampered, publicKey), /body hash mismatch/);
});

t.test('config: out.mx stands in for out.host; the mm4.dkim* keys go together', async (t) => {
  const peers = (out: Record<string, unknown>) => [{ id: 'b', domain: PEER_DOMAIN, out }];
  const issues = (mm4: Record<string, unknown>) => {
    const r = ConfigSchema.safeParse({ mm4: { domains: [OWN], ...mm4 } });
    return r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
  };
  t.same(issues({ peers: peers({ mx: true }) }), []);
  t.same(issues({ peers: peers({}) }), ['mm4.peers.0.out.host']);
  t.same(issues({ dkimDomain: OWN }), ['mm4.dkimKeyFile']);
});
