// One log line per recipient state change (src/ops/state-log.ts) through a real delivery: a VASP's MM7
// SubmitReq, the notification pushed over SMPP (the test SMSC), the handset's retrieval and acknowledgement
// over MM1. The lines are those of the gateway's own logger options (loggerOptions), so the masking of
// numbers (log.maskNumbers, on by default) is the shipped one. Loopback, real Redis.
import t from 'tap';
import { Gateway } from '../../src/gateway.js';
import { ConfigSchema } from '../../src/ops/config.js';
import { loggerOptions } from '../../src/ops/logger.js';
import { maskAddress, maskValue } from '../../src/ops/mask.js';
import { interfaceOf } from '../../src/ops/state-log.js';
import { Handset } from '../helpers/handset.js';
import { captureLog, type LogLine } from '../helpers/log-capture.js';
import { mm7SubmitReq, postSubmitReq } from '../helpers/mm7-request.js';
import { redisUrl, testPrefix } from '../helpers/redis.js';
import { startSmsc } from '../helpers/smsc.js';
import { until } from '../helpers/until.js';

const B = '+15550000002';

t.test('masking keeps the country and network prefix and the last two digits', async (t) => {
  t.equal(maskAddress('+447912345612'), '+4479******12');
  t.equal(maskAddress('447912345612'), '4479******12', 'without + (an SMPP address)');
  t.equal(maskAddress('+15550000002/TYPE=PLMN'), '+1555*****02/TYPE=PLMN', 'the MMS address form');
  t.equal(maskAddress('alice@example.com'), 'a***@example.com');
  t.equal(maskAddress('7070'), '7070', 'a short code is no subscriber');
  t.equal(maskAddress('127.0.0.1'), '127.0.0.1', 'an IP address (the `from` of a session) unchanged');
  t.same(maskValue(['+15550000002', 3]), ['+1555*****02', 3]);
  t.same(maskValue({ address: '+15550000002', type: 'PLMN' }), { address: '+1555*****02', type: 'PLMN' });
  t.equal(interfaceOf('callback:shop'), 'mm7');
  t.equal(interfaceOf('smpp:sim'), 'smpp');
});

t.test('log.maskNumbers: every address field of every line masked; false: logged whole', async (t) => {
  const on = captureLog('info', loggerOptions(ConfigSchema.parse({})));
  on.log.info({ to: B, recipients: [B], subscriber: B, from: '127.0.0.1', recipient: 0 }, 'x');
  t.notMatch(on.text(), '15550000002', 'no whole number, by default');
  t.match(on.lines[0], { to: '+1555*****02', recipients: ['+1555*****02'], subscriber: '+1555*****02', from: '127.0.0.1', recipient: 0 });
  on.log.child({ subscriber: B }).info('y');
  t.match(on.lines[1], { subscriber: '+1555*****02' }, "a child logger's bindings too");
  t.notMatch(on.text(), '15550000002');
  const off = captureLog('info', loggerOptions(ConfigSchema.parse({ log: { maskNumbers: false } })));
  off.log.info({ to: B }, 'x');
  t.match(off.lines[0], { to: B });
  t.equal(ConfigSchema.parse({}).log.maskNumbers, true, 'default');
  t.throws(() => ConfigSchema.parse({ log: { maskNumbers: 'sometimes' } }), /maskNumbers/);
});

t.test('a delivery: one state line per change, interface and peer named, no whole number anywhere', async (t) => {
  const smsc = await startSmsc({ systemId: 'mmsc', password: 'secret' });
  t.teardown(() => smsc.stop());
  const config = ConfigSchema.parse({
    redis: { url: await redisUrl(t) },
    queue: { prefix: testPrefix(), retryBaseMs: 50, retryMaxMs: 200 },
    ops: { port: 0 },
    mm7: { port: 0, vasps: [{ id: 'shop', username: 'shop', password: 'pw-shop', senders: ['7050'] }] },
    mm1: {
      port: 0,
      publicUrl: 'http://mmsc.operator.test/mms',
      tokenSecret: 'test-secret-0123456789',
      localPrefixes: ['+1555'],
      renotifyMs: 60_000,
    },
    smpp: {
      smscs: [
        { id: 'sim', host: '127.0.0.1', port: smsc.port, systemId: 'mmsc', password: 'secret', sourceAddr: '6000', enquireLinkMs: 5000 },
      ],
    },
  });
  const cap = captureLog('debug', loggerOptions(config));
  const gw = new Gateway(config, cap.log);
  const listeners = await gw.start();
  await gw.whenReady();
  t.teardown(() => gw.stop());
  await until('bound to the SMSC', () => gw.smpp!.clients[0]!.bound);
  const mm7 = listeners.find((l) => l.iface === 'mm7')!.address;
  const mm1 = listeners.find((l) => l.iface === 'mm1')!.address;

  const req = mm7SubmitReq({
    vasp: 'shop',
    shortCode: '7050',
    to: [B],
    subject: 'Hi',
    parts: [{ type: 'text/plain', name: 't.txt', body: Buffer.from('hello') }],
  });
  const messageId = await postSubmitReq(mm7, req, 'shop:pw-shop');
  t.ok(messageId, 'accepted');

  const b = new Handset(B, mm1);
  const n = await until('the notification pushed to B', () => b.pushes(smsc).find((p) => p.messageType === 'm-notification-ind'));
  if (n.messageType !== 'm-notification-ind') throw new Error('unreachable');
  const conf = await b.retrieve(n.contentLocation);
  t.equal(conf.status, 200, 'B retrieved it');
  t.equal((await b.post({ messageType: 'm-acknowledge-ind', mmsVersion: '1.2', transactionId: conf.pdu!.transactionId! })).status, 204);
  const states = (): LogLine[] => cap.lines.filter((l) => l.msg === 'state' && l.messageId === messageId);
  await until('the delivered line', () => states().some((l) => l.state === 'delivered'));

  const lines = states();
  t.same(
    lines.map((l) => l.state),
    ['accepted', 'notified', 'delivered'],
    'one line per change, in order',
  );
  t.match(lines[0], { interface: 'mm7', peer: 'shop', recipient: '+1555*****02', recipientIndex: 0, route: 'mm1:notify' });
  t.match(lines[1], { interface: 'mm1', peer: 'mm1:notify', recipient: '+1555*****02', notifications: 1 });
  t.match(lines[2], { recipient: '+1555*****02', state: 'delivered' });
  const history = await gw.store.queue.history(messageId!, 0);
  t.same(
    lines.slice(1).map((l) => l.state),
    history.filter((e) => e.state !== 'queued' && e.state !== 'delivering').map((e) => e.state),
    "the same changes as the recipient's history (a take's lease, 'delivering', is no outcome: not logged)",
  );
  t.notMatch(cap.text(), '15550000002', 'the whole number appears in no line');
});
