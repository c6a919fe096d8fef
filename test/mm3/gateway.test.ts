// The composition root with mm3.enabled: the MM3 listener is started and named among the listeners; an
// e-mail to a local subscriber goes through the route table to MM1; the handset's reply to the sender's
// mailbox (an `email` recipient) is routed to MM3 and a worker delivers it to the relay (a sink on loopback);
// a report on the e-mail goes back by MM3; stopping closes the listener.
import { connect } from 'node:net';
import { createTransport } from 'nodemailer';
import pino from 'pino';
import t from 'tap';
import { buildMessage } from '../../src/core/message-builder.js';
import { readReportFor } from '../../src/core/reports.js';
import { Gateway } from '../../src/gateway.js';
import { ConfigSchema } from '../../src/ops/config.js';
import { until } from '../helpers/until.js';
import { readBack, sink } from './sink.js';

const DOMAIN = 'mms.example.net';
const LOCAL = '+15550001234';

t.test('mm3.enabled: listener, e-mail in to a handset, the reply out to the mailbox through the relay', async (t) => {
  const relay = await sink(t);
  const config = ConfigSchema.parse({
    ops: { port: 0 },
    mm1: { enabled: true, port: 0, localPrefixes: ['+1555'], tokenSecret: 'x'.repeat(32), push: 'pap', papUrl: 'http://127.0.0.1:1/pap' },
    mm7: { enabled: false },
    mm3: {
      enabled: true,
      port: 0,
      domain: DOMAIN,
      relays: ['127.0.0.1/32'],
      relayHost: '127.0.0.1',
      relayPort: relay.port,
      relayTls: 'none',
    },
  });
  const gw = new Gateway(config, pino({ level: 'silent' }));
  const listeners = await gw.start();
  await gw.whenReady();
  let stopped = false;
  t.teardown(() => (stopped ? undefined : gw.stop()));
  const mm3 = listeners.find((l) => l.iface === 'mm3');
  t.ok(mm3, 'an mm3 listener is reported');
  const port = Number(new URL(mm3!.address).port);
  t.same(
    gw.router.names().filter((n) => n.startsWith('mm3')),
    ['mm3 reports to e-mail senders', 'mm3 e-mail recipients'],
  );

  // In: an e-mail to the subscriber, routed to the handset (MM1).
  const mailer = createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  t.teardown(() => mailer.close());
  const info = await mailer.sendMail({ from: 'ann@example.org', to: `${LOCAL}@${DOMAIN}`, subject: 'Hi', text: 'Hello phone' });
  t.match(info.response, /^250 /, 'accepted once stored');
  const inId = /queued as (\S+)/.exec(info.response)![1]!;
  const inbound = await gw.store.queue.message(inId);
  t.match(inbound, { origin: { iface: 'mm3' }, originator: { address: 'ann@example.org', type: 'email' } });
  t.match(gw.router.match(inbound!, 0)?.entry ?? '', /^mm1 /, 'to the handset');

  // A report on it goes back by MM3.
  const report = readReportFor({ ...inbound!, readReport: true }, 0, 'read', Date.now());
  t.equal(gw.router.match(report!, 0)?.entry, 'mm3 reports to e-mail senders');

  // Out: the handset's reply to the mailbox, through the queue and a worker to the relay.
  const reply = buildMessage({
    id: 'reply-1',
    now: Date.now(),
    originator: { address: LOCAL, type: 'plmn' },
    recipients: [{ address: 'ann@example.org', type: 'email', kind: 'to' }],
    origin: { iface: 'mm1', peer: LOCAL },
    parts: [{ index: 0, contentType: 'text/plain', params: { charset: 'utf-8' }, size: 9 }],
    subject: 'Re: Hi',
    lifetime: { defaultMs: 3_600_000 },
  });
  const route = gw.router.match(reply, 0);
  t.equal(route?.entry, 'mm3 e-mail recipients');
  await gw.store.queue.enqueue(reply, [Buffer.from('Hello Ann')], [route!.route.peer]);
  await until('the reply reaches the relay', () => relay.received.length > 0);
  const got = relay.received[0]!;
  t.same(got.rcptTo, ['ann@example.org']);
  const { headers } = await readBack(got.bytes);
  t.equal(headers.get('From'), `${LOCAL}@${DOMAIN}`);
  t.equal(headers.get('Subject'), 'Re: Hi');
  await until('the reply is delivered', async () => (await gw.store.queue.states('reply-1'))?.[0] === 'delivered');

  await gw.stop();
  stopped = true;
  const refused = await new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(false)));
    s.once('error', () => resolve(true));
  });
  t.ok(refused, 'the MM3 port is closed after stop');
});

t.test('mm3.enabled without mm3.domain fails the config, naming the key', async (t) => {
  const r = ConfigSchema.safeParse({ mm3: { enabled: true } });
  t.notOk(r.success);
  t.match(r.error?.issues[0], { path: ['mm3', 'domain'], message: /required when mm3.enabled/ });
});

t.test("the route table lists MM3's entries after MM7's", async (t) => {
  const config = ConfigSchema.parse({
    ops: { port: 0 },
    mm1: { enabled: true, port: 0, localPrefixes: ['+1555'], tokenSecret: 'x'.repeat(32) },
    mm7: { port: 0, vasps: [{ id: 'v', username: 'v', password: 'pw-v', senders: ['7050'], url: 'http://127.0.0.1:1/v' }] },
    mm3: { enabled: true, port: 0, domain: DOMAIN, relays: ['127.0.0.1/32'], relayTls: 'none' },
  });
  const gw = new Gateway(config, pino({ level: 'silent' }));
  t.teardown(() => gw.stop());
  const names = gw.router.names();
  t.same(names.slice(-2), ['mm3 reports to e-mail senders', 'mm3 e-mail recipients']);
  t.ok(names.indexOf('mm7 v: short codes') < names.indexOf('mm3 reports to e-mail senders'));
});
