// Keywords per sender and the consent registry over SMPP MO (issue 24), end to end: the gateway with real
// Redis, the SMSC simulator on loopback (a test double for a real SMSC, helpers/smsc.ts) and a VASP submitting
// over MM7. Marketing (MessageClass Advertisement) is refused without an opt-in, accepted after START to the
// sender's short code, refused again after STOP; HELP answers the sender's help text; with double opt-in START
// leaves the subscriber pending and asks, YES opts in; a per-sender opt-out refuses a transactional MMS too.
import { pino } from 'pino';
import t, { type Test } from 'tap';
import type { Delivery, DeliveryResult, Route } from '../../src/core/router.js';
import { Gateway } from '../../src/gateway.js';
import { ConfigSchema } from '../../src/ops/config.js';
import { mm7SubmitReq } from '../helpers/mm7-request.js';
import { redisUrl, testPrefix } from '../helpers/redis.js';
import { startSmsc } from '../helpers/smsc.js';
import { until } from '../helpers/until.js';

class HandsetStandIn implements Route {
  readonly peer = 'mm1-standin';
  readonly limits = { rate: 1000, burst: 1000, maxInFlight: 100 };
  async send(_d: Delivery): Promise<DeliveryResult> {
    return { status: 'delivered' };
  }
}

const SUB = '15550000001';
const SUB_E164 = `+${SUB}`;

async function setup(t: Test, senders: unknown[]) {
  const smsc = await startSmsc({ systemId: 'mmsc', password: 'secret' });
  t.teardown(() => smsc.stop());
  const config = ConfigSchema.parse({
    redis: { url: await redisUrl(t) },
    queue: { prefix: testPrefix(), retryBaseMs: 50, retryMaxMs: 200 },
    ops: { port: 0 },
    mm7: { port: 0, vasps: [{ id: 'shop', username: 'shop', password: 'pw-shop', senders: ['7050', '7060'], rate: 1000, burst: 1000 }] },
    smpp: {
      smscs: [
        { id: 'sim', host: '127.0.0.1', port: smsc.port, systemId: 'mmsc', password: 'secret', sourceAddr: '7050', enquireLinkMs: 5000 },
      ],
    },
    mm1: { enabled: false },
    consent: { senders },
  });
  const gw = new Gateway(config, pino({ level: process.env.TEST_LOG ?? 'silent' }));
  gw.router.add((m, i) => m.report === undefined && m.recipients[i]!.type === 'plmn' && m.origin.iface !== 'smpp', new HandsetStandIn());
  const listeners = await gw.start();
  await gw.whenReady();
  t.teardown(() => gw.stop());
  await until('bound to the SMSC', () => gw.smpp!.clients[0]!.bound);
  const mm7 = listeners.find((l) => l.iface === 'mm7')!.address;
  let tx = 0;
  const submit = async (shortCode: string, messageClass?: 'Advertisement') => {
    const req = mm7SubmitReq({
      transactionId: `t-${++tx}`,
      vasp: 'shop',
      shortCode,
      to: [SUB],
      parts: [{ type: 'text/plain', name: 'a.txt', body: Buffer.from('offer') }],
      ...(messageClass ? { messageClass } : {}),
    });
    const r = await fetch(mm7, {
      method: 'POST',
      body: new Uint8Array(req.body),
      headers: { 'content-type': req.contentType, authorization: `Basic ${Buffer.from('shop:pw-shop').toString('base64')}` },
    });
    const text = await r.text();
    return { code: /<(?:\w+:)?StatusCode>(\d+)</.exec(text)?.[1], id: /<(?:\w+:)?MessageID>([^<]+)</.exec(text)?.[1] };
  };
  const mo = (text: string, to = '7050') => smsc.sendMo({ sourceAddr: SUB, destinationAddr: to, octets: Buffer.from(text) });
  const replies = () => smsc.submits.filter((s) => s.destinationAddr === SUB).map((s) => s.text);
  return { smsc, gw, submit, mo, replies };
}

t.test('marketing refused without opt-in, accepted after START, refused after STOP; per sender', async (t) => {
  const { gw, submit, mo, replies } = await setup(t, [{ sender: '7050', helpText: 'Shop alerts: 4 msgs/month. Reply STOP to cancel.' }]);
  t.equal((await submit('7050', 'Advertisement')).code, '4007', 'no opt-in: refused');
  await mo('Start');
  const rec = await until('opted in to 7050', async () => {
    const r = await gw.store.consent.get('7050', SUB_E164);
    return r?.state === 'opted-in' ? r : undefined;
  });
  t.equal(rec.source, 'keyword');
  t.match(rec.proof, /"Start" from \+15550000001 to 7050 via SMSC sim/, 'the MO as proof');
  t.equal((await submit('7050', 'Advertisement')).code, '1000', 'opted in: accepted');
  t.equal((await submit('7060', 'Advertisement')).code, '4007', 'another sender of the same VASP: still no opt-in');

  await mo('HELP');
  await until('the help text', () => replies().some((r) => r.startsWith('Shop alerts')));
  t.equal((await gw.store.consent.get('7050', SUB_E164))?.state, 'opted-in', 'HELP changes nothing');

  await mo('STOP');
  await until('opted out of 7050', async () => (await gw.store.consent.get('7050', SUB_E164))?.state === 'opted-out');
  t.equal((await submit('7050', 'Advertisement')).code, '4007', 'after STOP: refused again');
  const history = (await gw.store.consent.get('7050', SUB_E164))!.history.map((h) => h.state);
  t.strictSame(history, ['opted-in', 'opted-out'], 'the history of the pair');
  t.match(await gw.metrics.registry.getSingleMetricAsString('mmsc_smpp_mo_total'), /outcome="help"[^\n]* 1/);
});

t.test('double opt-in: START leaves pending and asks; YES opts in; YES when not pending is an ordinary MO', async (t) => {
  const { gw, submit, mo, replies } = await setup(t, [
    { sender: '7050', doubleOptIn: true, confirmText: 'Reply YES to confirm', optInReply: 'You are in.', joinKeywords: ['DEALS'] },
  ]);
  await mo('deals!');
  await until('pending', async () => (await gw.store.consent.get('7050', SUB_E164))?.state === 'pending');
  await until('the question', () => replies().includes('Reply YES to confirm'));
  t.equal((await submit('7050', 'Advertisement')).code, '4007', 'pending is no opt-in');
  await mo('yes');
  await until('opted in', async () => (await gw.store.consent.get('7050', SUB_E164))?.state === 'opted-in');
  await until('the opt-in reply', () => replies().includes('You are in.'));
  t.equal((await submit('7050', 'Advertisement')).code, '1000');
  t.strictSame(
    (await gw.store.consent.get('7050', SUB_E164))!.history.map((h) => h.state),
    ['pending', 'opted-in'],
  );
  t.match(await gw.metrics.registry.getSingleMetricAsString('mmsc_smpp_mo_total'), /outcome="confirm"[^\n]* 1/);
});

t.test('an opt-out from the sender wins over a transactional message (the global flag untouched)', async (t) => {
  const { gw, submit } = await setup(t, []);
  await gw.store.consent.set('7050', SUB_E164, { state: 'opted-out', source: 'import', at: Date.now(), proof: 'list.csv' });
  t.notOk((await gw.store.subscribers.get(SUB_E164)).optedOut, 'no global STOP');
  const blocked = await submit('7050');
  t.equal(blocked.code, '1000', 'transactional: accepted at submission');
  await until('rejected at delivery', async () => (await gw.store.queue.states(blocked.id!))?.[0] === 'rejected');
  t.match((await gw.store.queue.history(blocked.id!, 0)).at(-1)?.detail, /opted out of 7050/);
  const other = await submit('7060');
  await until('another sender: delivered', async () => (await gw.store.queue.states(other.id!))?.[0] === 'delivered');
});
