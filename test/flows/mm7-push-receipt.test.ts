// SMSC delivery receipts of WAP pushes find their job, as those of text SMS do: a VASP's message to a local
// subscriber is notified by a WAP push over SMPP, the SMSC simulator (helpers/smsc.ts) sends a receipt for
// it, and the receipt is in the recipient's history. Loopback, real Redis.
import t from 'tap';
import { Gateway } from '../../src/gateway.js';
import { ConfigSchema } from '../../src/ops/config.js';
import { Handset } from '../helpers/handset.js';
import { captureLog } from '../helpers/log-capture.js';
import { mm7SubmitReq, postSubmitReq } from '../helpers/mm7-request.js';
import { redisUrl, testPrefix } from '../helpers/redis.js';
import { startSmsc } from '../helpers/smsc.js';
import { until } from '../helpers/until.js';

const B = '+15550000002';

t.test('the receipt of a notification push is noted in the recipient history, not "for no message of ours"', async (t) => {
  const smsc = await startSmsc({ systemId: 'mmsc', password: 'secret', receipts: 'both' });
  t.teardown(() => smsc.stop());
  const config = ConfigSchema.parse({
    redis: { url: await redisUrl(t) },
    queue: { prefix: testPrefix(), retryBaseMs: 50, retryMaxMs: 200 },
    ops: { port: 0 },
    mm7: { port: 0, vasps: [{ id: 'shop', username: 'shop', password: 'pw-shop', senders: ['7050'] }] },
    mm1: { port: 0, publicUrl: 'http://mmsc.operator.test/mms', tokenSecret: 'test-secret-0123456789', localPrefixes: ['+1555'] },
    smpp: {
      smscs: [
        { id: 'sim', host: '127.0.0.1', port: smsc.port, systemId: 'mmsc', password: 'secret', sourceAddr: '6000', enquireLinkMs: 5000 },
      ],
    },
  });
  const cap = captureLog('debug');
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

  await until('the notification pushed to B', () => new Handset(B, mm1).pushes(smsc).some((p) => p.messageType === 'm-notification-ind'));
  const push = smsc.submits.find((s) => s.destinationAddr === B.slice(1) && s.udh !== undefined)!;
  t.equal(push.registeredDelivery & 0x03, 1, 'the push asked for a receipt');
  await until('the receipt sent', () =>
    smsc.deliveries.some((d) => d.kind === 'receipt' && d.messageId === push.messageId && d.status !== undefined),
  );

  const history = await until('the receipt in the history', async () => {
    const h = await gw.store.queue.history(messageId!, 0);
    return h.some((e) => e.detail?.includes(`receipt ${push.messageId}: DELIVRD`)) ? h : undefined;
  });
  t.ok(
    history.some((e) => /notification 1 pushed over SMPP/.test(e.detail ?? '')),
    'beside the push that it answers',
  );
  t.match(await gw.metrics.registry.getSingleMetricAsString('mmsc_smpp_receipts_total'), /matched="true"[^\n]* 1/);
  t.notOk(
    cap.lines.some((l) => /receipt for no message of ours/.test(l.msg)),
    'no "receipt for no message of ours"',
  );
});
