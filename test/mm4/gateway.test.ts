// The composition root serves MM4 when mm4.enabled: the listener is started and named among the gateway's
// listeners, a peer carrier's MM4_forward.REQ to a local subscriber goes through the route table into the
// queue (routed to MM1, the handset's notification), and stopping the gateway closes the listener.
import t from 'tap';
import { connect } from 'node:net';
import { createTransport } from 'nodemailer';
import pino from 'pino';
import { Gateway } from '../../src/gateway.js';
import { ConfigSchema } from '../../src/ops/config.js';

const DOMAIN = 'mms.mnc001.mcc001.gprs';
const LOCAL = '+15550001234';

t.test('mm4.enabled: the gateway listens for MM4, queues a forward for a local subscriber, and closes the listener on stop', async (t) => {
  const config = ConfigSchema.parse({
    ops: { port: 0 },
    mm1: { enabled: true, port: 0, localPrefixes: ['+1555'], tokenSecret: 'x'.repeat(32), push: 'pap', papUrl: 'http://127.0.0.1:1/pap' },
    mm7: { enabled: false },
    mm4: { enabled: true, port: 0, domains: [DOMAIN], peers: [{ id: 'carrier-b', allow: ['127.0.0.1/32'] }] },
  });
  const gw = new Gateway(config, pino({ level: 'silent' }));
  const listeners = await gw.start();
  await gw.whenReady();
  let stopped = false;
  t.teardown(() => (stopped ? undefined : gw.stop()));
  const mm4 = listeners.find((l) => l.iface === 'mm4');
  t.ok(mm4, 'an mm4 listener is reported');
  const port = Number(new URL(mm4!.address).port);

  const mailer = createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  t.teardown(() => mailer.close());
  const raw = [
    'X-Mms-3GPP-MMS-Version: 6.10.0',
    'X-Mms-Message-Type: MM4_forward.REQ',
    'X-Mms-Transaction-ID: tx-gw-1',
    'X-Mms-Message-ID: msg-gw-1@mms.mnc002.mcc001.gprs',
    'X-Mms-Originator-System: system-user@mms.mnc002.mcc001.gprs',
    'From: +15559998888/TYPE=PLMN@mms.mnc002.mcc001.gprs',
    `To: ${LOCAL}/TYPE=PLMN@${DOMAIN}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Hello from another network',
    '',
  ].join('\r\n');
  const info = await mailer.sendMail({
    envelope: { from: '+15559998888/TYPE=PLMN@mms.mnc002.mcc001.gprs', to: [`${LOCAL}/TYPE=PLMN@${DOMAIN}`] },
    raw,
  });
  t.match(info.response, /^250 /, 'accepted once stored');
  const id = /queued as (\S+)/.exec(info.response)![1]!;
  const m = await gw.store.queue.message(id);
  t.match(m, { origin: { iface: 'mm4', peer: 'carrier-b' }, recipients: [{ address: LOCAL, type: 'plmn' }] });
  t.match(gw.router.match(m!, 0)?.entry ?? '', /^mm1 /, 'the route table sends it to the handset (MM1)');

  await gw.stop();
  stopped = true;
  const refused = await new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(false)));
    s.once('error', () => resolve(true));
  });
  t.ok(refused, 'the MM4 port is closed after stop');
});
