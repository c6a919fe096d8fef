// The SMS fallback as a JSON submission asks for it, end to end: the gateway (real Redis) takes the message on
// its REST API, pushes the notification through the SMSC simulator (helpers/smsc.ts), which refuses the
// binary push for good, as for a handset without data; then `fallback.text` leads the SMS, and
// `fallback.sms: false` means no SMS at all.
import { pino } from 'pino';
import t from 'tap';
import { Gateway } from '../../src/gateway.js';
import { ConfigSchema } from '../../src/ops/config.js';
import { redisUrl, testPrefix } from '../helpers/redis.js';
import { basic, restCall } from '../helpers/rest-call.js';
import { startSmsc } from '../helpers/smsc.js';
import { until } from '../helpers/until.js';

const PUBLIC = 'http://mmsc.operator.test/mms';
// Valid numbers (libphonenumber-js), local to the operator by mm1.localPrefixes.
const C = '+14155550102';
const D = '+14155550103';
const E = '+14155550104';

t.test('fallback.text leads the SMS; fallback.sms false sends none', async (t) => {
  const smsc = await startSmsc({
    systemId: 'mmsc',
    password: 'secret',
    // Binary pushes (data_coding 4) refused for good (ESME_RINVDSTADR): the push cannot reach the handset.
    statusFor: (s) => (s.dataCoding === 0x04 ? 0x0b : 0),
  });
  t.teardown(() => smsc.stop());
  const config = ConfigSchema.parse({
    redis: { url: await redisUrl(t) },
    queue: { prefix: testPrefix(), retryBaseMs: 50, retryMaxMs: 200 },
    ops: { port: 0 },
    mm7: { port: 0, vasps: [{ id: 'shop', username: 'shop', password: 'pw-shop', senders: ['12345'] }] },
    mm1: { port: 0, publicUrl: PUBLIC, tokenSecret: 'test-secret-0123456789', localPrefixes: ['+1415555'], fallbackAfterMs: 600_000 },
    smpp: {
      smscs: [
        { id: 'sim', host: '127.0.0.1', port: smsc.port, systemId: 'mmsc', password: 'secret', sourceAddr: '6000', enquireLinkMs: 5000 },
      ],
    },
  });
  const gw = new Gateway(config, pino({ level: process.env.TEST_LOG ?? 'silent' }));
  const listeners = await gw.start();
  await gw.whenReady();
  t.teardown(() => gw.stop());
  await until('bound to the SMSC', () => gw.smpp!.clients[0]!.bound);
  const api = listeners.find((l) => l.iface === 'mm7')!.address;
  const post = async (json: unknown) => {
    const a = await restCall(api, 'POST', '/v1/messages', { auth: basic('shop', 'pw-shop'), json });
    t.equal(a.status, 202, 'accepted');
    return a.body.messageId as string;
  };

  const own = await post({ to: C, subject: 'Receipt 42', text: 'Thanks!', fallback: { sms: true, text: 'Your receipt:' } });
  const none = await post({ to: D, subject: 'Receipt 43', text: 'Thanks!', fallback: { sms: false } });
  const plain = await post({ to: E, subject: 'Receipt 44', text: 'Thanks!' });

  const text = (to: string) => () => smsc.submits.find((s) => s.destinationAddr === to.slice(1) && s.dataCoding !== 0x04 && s.status === 0);
  const toC = await until('the fallback SMS to C', text(C), 5000);
  t.match(toC.text, /^Your receipt: http:\/\/mmsc\.operator\.test\/mms\/m\/\S+$/, 'the fallback text and the web-view link');
  const toE = await until('the fallback SMS to E', text(E), 5000);
  t.match(toE.text, /^Receipt 44 http:\/\/mmsc\.operator\.test\/mms\/m\/\S+$/, 'no fallback text: the subject, as before');
  await until('D rejected', async () => (await gw.store.queue.states(none))?.[0] === 'rejected', 5000);
  t.notOk(text(D)(), 'no SMS to D');
  t.ok(
    smsc.submits.some((s) => s.destinationAddr === D.slice(1) && s.dataCoding === 0x04),
    'D’s push was tried',
  );
  await until('C delivered by SMS', async () => (await gw.store.queue.states(own))?.[0] === 'delivered', 5000);
  await until('E delivered by SMS', async () => (await gw.store.queue.states(plain))?.[0] === 'delivered', 5000);
});
