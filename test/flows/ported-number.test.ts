// A VASP's MM7 submit to a number that left carrier B for carrier C (issue 22, number portability): the gateway
// started with the store's porting table on (portability.redis; the embedded store's table here), two peer
// MMSCs' SMTP servers on loopback. The ported number's forward reaches C, not B (whose range it is in); the
// number nobody ported still goes to B; both end delivered.
import { pino } from 'pino';
import t from 'tap';
import { type Mm4ForwardReq, parseMm4 } from '../../protocols/mm4/index.js';
import { Gateway } from '../../src/gateway.js';
import { ConfigSchema } from '../../src/ops/config.js';
import { httpRequest } from '../helpers/handset.js';
import { mm7SubmitReq } from '../helpers/mm7-request.js';
import { smtpSink } from '../helpers/smtp-sink.js';
import { until } from '../helpers/until.js';

const OWN = 'mms.mnc001.mcc001.gprs';
const B_DOMAIN = 'mms.mnc002.mcc001.gprs';
const C_DOMAIN = 'mms.mnc003.mcc001.gprs';
const PORTED = '+16660000005'; // B's range, C's subscriber now
const NOT_PORTED = '+16660000006';

t.test('a ported number is forwarded to the carrier serving it now, not to the owner of its range', async (t) => {
  const b = await smtpSink(t);
  const c = await smtpSink(t);
  const out = (port: number) => ({ host: '127.0.0.1', port, tls: 'none', connectTimeoutMs: 2000, greetingTimeoutMs: 2000 });
  const config = ConfigSchema.parse({
    ops: { port: 0 },
    mm1: { enabled: false },
    mm7: { port: 0, vasps: [{ id: 'shop', username: 'shop', password: 'pw-shop', senders: ['7050'] }] },
    mm4: {
      domains: [OWN],
      peers: [
        { id: 'carrier-b', domain: B_DOMAIN, prefixes: ['+1666'], out: out(b.port) },
        { id: 'carrier-c', domain: C_DOMAIN, prefixes: ['+1777'], out: out(c.port) },
      ],
    },
    portability: { redis: true },
  });
  const gw = new Gateway(config, pino({ level: process.env.TEST_LOG ?? 'silent' }));
  await gw.store.porting.set(PORTED, 'carrier-c');
  const listeners = await gw.start();
  await gw.whenReady();
  t.teardown(() => gw.stop());
  const mm7 = listeners.find((l) => l.iface === 'mm7')!.address;

  const req = mm7SubmitReq({
    vasp: 'shop',
    shortCode: '7050',
    to: [PORTED, NOT_PORTED],
    parts: [{ type: 'text/plain', name: 't.txt', body: Buffer.from('ported') }],
  });
  const auth = { authorization: `Basic ${Buffer.from('shop:pw-shop').toString('base64')}` };
  const submitted = await httpRequest(mm7, { method: 'POST', body: req.body, headers: { 'content-type': req.contentType, ...auth } });
  const messageId = /<(?:\w+:)?MessageID>([^<]+)</.exec(submitted.body.toString('utf8'))?.[1];
  t.ok(messageId, 'accepted');

  const states = await until('both delivered', async () => {
    const s = await gw.store.queue.states(messageId!);
    return s?.every((x) => x === 'delivered') ? s : undefined;
  });
  t.same(states, ['delivered', 'delivered']);
  t.same(
    c.received.map((r) => r.rcptTo),
    [[`${PORTED}/TYPE=PLMN@${C_DOMAIN}`]],
    "the ported number at C, in C's domain",
  );
  t.same(
    b.received.map((r) => r.rcptTo),
    [[`${NOT_PORTED}/TYPE=PLMN@${B_DOMAIN}`]],
    'B gets only the number still its own',
  );
  const atC = (await parseMm4(c.received[0]!.bytes)) as Mm4ForwardReq;
  t.match(atC.to[0]?.address, { kind: 'plmn', number: PORTED });
  const metrics = await gw.metrics.registry.getSingleMetricAsString('mmsc_portability_lookups_total');
  t.match(metrics, /outcome="ported"[^\n]* 1(\n|$)/, 'one lookup answered');
  t.match(metrics, /outcome="none"[^\n]* 1(\n|$)/, 'one number not ported');
});
