// Number portability through intake and the route table (issue 22, "Routing"): the gateway built from a
// configuration with a file table, the store's table and ENUM (a DNS server on loopback), its MM1 routes and
// its MM4 peer routes (mm4.peers with prefixes and out). A number ported in from a peer's range goes to MM1,
// one ported out of ours or between peers to the peer that serves it now, whatever the prefixes say;
// numbers nobody ported follow the prefixes. The jobs' peers in the queue say where each recipient went.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import t, { type Test } from 'tap';
import { Intake } from '../../src/core/intake.js';
import { buildMessage, textPart } from '../../src/core/message-builder.js';
import { Gateway } from '../../src/gateway.js';
import { ConfigError, ConfigSchema } from '../../src/ops/config.js';
import { textMessage } from '../helpers/messages.js';
import { dnsServer } from '../helpers/dns-server.js';

const log = pino({ level: 'silent' });
const OWN = 'mms.mnc001.mcc234.gprs';

const PORTED_IN = '+31699999999'; // carrier-b's range, now ours (file)
const PORTED_OUT = '+447700900123'; // our range, now carrier-b's (the store's table)
const PORTED_BETWEEN = '+31612345678'; // carrier-b's range, now carrier-c's (file)
const PLAIN_PEER = '+31655555555'; // carrier-c's range, not ported
const PLAIN_LOCAL = '+447700900999'; // ours, not ported
const PORTED_ENUM = '+31633333333'; // carrier-b's range, carrier-c's by ENUM
const C_DOMAIN = 'mms.mnc003.mcc204.gprs';

/** A peer that is never reached here (nothing is delivered: the gateway is not started). */
const peer = (id: string, domain: string, prefixes: string[]) => ({
  id,
  allow: ['127.0.0.1/32'],
  domain,
  prefixes,
  out: { host: '127.0.0.1', port: 1, tls: 'none' },
});

function gateway(t: Test, portability: Record<string, unknown>): Gateway {
  const config = ConfigSchema.parse({
    ops: { port: 0 },
    mm1: { enabled: true, port: 0, localPrefixes: ['+4477'], tokenSecret: 'x'.repeat(32), push: 'pap', papUrl: 'http://127.0.0.1:1/pap' },
    mm7: { enabled: false },
    mm4: {
      domains: [OWN],
      peers: [peer('carrier-b', 'mms.mnc002.mcc204.gprs', ['+316']), peer('carrier-c', C_DOMAIN, ['+3165'])],
    },
    portability,
  });
  const gw = new Gateway(config, log);
  t.teardown(() => gw.store.close());
  return gw;
}

function tableFile(text: string, name = 'ported.csv'): string {
  const file = join(mkdtempSync(join(tmpdir(), 'mmsc-np-')), name);
  writeFileSync(file, text);
  return file;
}

t.test('ported in goes to MM1, ported out and between peers to the peer serving the number now', async (t) => {
  const file = tableFile(`number,network\n${PORTED_IN},home\n${PORTED_BETWEEN},carrier-c\n`);
  const dns = await dnsServer(t, (q) =>
    q.name === '3.3.3.3.3.3.3.3.6.1.3.e164enum.net'
      ? { records: [{ order: 10, preference: 10, flags: 'u', service: 'E2U+mms:mailto', regexp: `!^(.*)$!mailto:\\1@${C_DOMAIN}!` }] }
      : { rcode: 3 },
  );
  const gw = gateway(t, { file, redis: true, enumEnabled: true, enumApex: 'e164enum.net', enumServers: [dns.address] });
  await gw.store.porting.set(PORTED_OUT, 'carrier-b');
  const intake = new Intake({ queue: gw.store.queue, throttle: gw.store.throttle, router: gw.router, log });
  const numbers = [PORTED_IN, PORTED_OUT, PORTED_BETWEEN, PLAIN_PEER, PLAIN_LOCAL, PORTED_ENUM];
  const r = await intake.submit({
    from: { kind: 'vasp', id: 'shop' },
    unroutable: 'refuse',
    build: (id, now) => ({
      message: buildMessage({
        id,
        now,
        originator: { address: '12345', type: 'shortcode' },
        recipients: numbers.map((address) => ({ address, type: 'plmn', kind: 'to' })),
        origin: { iface: 'mm7', peer: 'shop' },
        parts: [textPart('hello')],
        lifetime: { defaultMs: 3_600_000 },
      }),
      content: [Buffer.from('hello')],
    }),
  });
  t.match(r, { ok: true, recipients: 6 });
  if (!r.ok) return;
  const stored = await gw.store.queue.message(r.messageId);
  t.strictSame(
    stored?.recipients.map((x) => x.network),
    ['home', 'carrier-b', 'carrier-c', undefined, undefined, 'carrier-c'],
    'the answers are kept with the message',
  );
  const jobs = await gw.store.queue.take(10);
  const peers = new Map(jobs.map((j) => [numbers[j.recipientIndex], j.peer]));
  t.equal(peers.get(PORTED_IN), 'mm1:notify', 'ported in: the handset, over MM1');
  t.equal(peers.get(PORTED_OUT), 'mm4:carrier-b', 'ported out: the peer, not MM1');
  t.equal(peers.get(PORTED_BETWEEN), 'mm4:carrier-c', 'ported between peers: the new one, not the longest prefix');
  t.equal(peers.get(PLAIN_PEER), 'mm4:carrier-c', 'not ported: by prefix');
  t.equal(peers.get(PLAIN_LOCAL), 'mm1:notify', 'not ported, ours: MM1');
  t.equal(peers.get(PORTED_ENUM), 'mm4:carrier-c', 'ENUM: the peer whose MMS domain the NAPTR record names');
  // A worker routes each attempt again from the stored message: the same entries answer.
  t.match(gw.router.match(stored!, 0), { entry: 'mm1 local subscribers' });
  t.match(gw.router.match(stored!, 1), { entry: 'mm4 carrier-b' });
  t.match(gw.router.match(stored!, 2), { entry: 'mm4 carrier-c' });
});

t.test('a forward a peer sent us never goes back to that peer (its portability data and ours disagree)', async (t) => {
  const gw = gateway(t, {});
  const from = (peer: string, address: string, network?: string) =>
    textMessage('m', 1, Date.now(), {
      origin: { iface: 'mm4', peer },
      recipients: [{ address, type: 'plmn', kind: 'to', ...(network ? { network } : {}) }],
    });
  t.equal(gw.router.route(from('carrier-b', PORTED_OUT, 'carrier-b'), 0), undefined, 'B says it is ours, we say B: refused, no loop');
  t.equal(gw.router.route(from('carrier-c', PLAIN_PEER), 0), undefined, 'by prefix too');
  t.equal(gw.router.route(from('carrier-c', PORTED_OUT, 'carrier-b'), 0)?.peer, 'mm4:carrier-b', 'from another peer: forwarded on');
  t.equal(
    gw.router.route(
      textMessage('m', 1, Date.now(), { recipients: [{ address: PORTED_OUT, type: 'plmn', kind: 'to', network: 'carrier-b' }] }),
      0,
    )?.peer,
    'mm4:carrier-b',
    'from a VASP: to the peer',
  );
});

t.test('without portability configured, the prefixes alone decide', async (t) => {
  const gw = gateway(t, {});
  await gw.store.porting.set(PORTED_OUT, 'carrier-b');
  const intake = new Intake({ queue: gw.store.queue, throttle: gw.store.throttle, router: gw.router, log });
  const r = await intake.submit({
    from: { kind: 'vasp', id: 'shop' },
    unroutable: 'refuse',
    build: (id, now) => ({
      message: buildMessage({
        id,
        now,
        originator: { address: '12345', type: 'shortcode' },
        recipients: [PORTED_IN, PORTED_OUT].map((address) => ({ address, type: 'plmn', kind: 'to' })),
        origin: { iface: 'mm7', peer: 'shop' },
        parts: [textPart('hello')],
        lifetime: { defaultMs: 3_600_000 },
      }),
      content: [Buffer.from('hello')],
    }),
  });
  t.match(r, { ok: true });
  const jobs = await gw.store.queue.take(10);
  t.strictSame(jobs.map((j) => j.peer).sort(), ['mm1:notify', 'mm4:carrier-b']);
  t.equal(jobs.find((j) => j.recipientIndex === 0)?.peer, 'mm4:carrier-b', 'carrier-b by prefix');
});

t.test('a bad table file fails the start naming portability.file', async (t) => {
  t.throws(() => gateway(t, { file: tableFile(`${PORTED_IN},carrier-x\n`) }), {
    name: 'ConfigError',
    message: /^portability\.file: .*ported\.csv: \+31699999999 names network carrier-x, which is neither home nor an mm4\.peers id/,
  });
  t.throws(() => gateway(t, { file: tableFile('{"+316": "home"', 'ported.json') }), /^portability\.file: .*ported\.json: not JSON/);
  t.throws(() => gateway(t, { file: '/nonexistent/ported.csv' }), ConfigError);
});
