// Frequency caps and quiet hours inside the gateway (issue 24): consent.senders from the config, MM7
// advertisements (MessageClass Advertisement: marketing traffic) from a VASP's short code, the embedded store,
// a stand-in route for the handset. The wiring is what is proved here (the arithmetic and the store have
// tests of their own): a second advertisement over a daily cap of one is refused `frequency-capped` while
// an informational message is not capped; quiet hours, set around the recipient's local time now (London,
// from the number), defer an advertisement with the reason in its history; both counted in the metrics; a
// reload applies new caps to the next delivery.
import { pino } from 'pino';
import t, { type Test } from 'tap';
import type { Delivery, DeliveryResult, Route } from '../../src/core/router.js';
import { Gateway } from '../../src/gateway.js';
import { ConfigSchema } from '../../src/ops/config.js';
import { until } from '../helpers/until.js';

const NS = 'http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-6-MM7-1-4';
const LONDON = '+442071234567';
/** Each SubmitReq its own TransactionID: a repeated one is answered as a retry of the first. */
let transactions = 0;

class HandsetStandIn implements Route {
  readonly peer = 'mm1-standin';
  readonly limits = { rate: 1000, burst: 1000, maxInFlight: 100 };
  readonly delivered: string[] = [];
  async send(d: Delivery): Promise<DeliveryResult> {
    this.delivered.push(d.message.id);
    return { status: 'delivered' };
  }
}

async function setup(t: Test, senders: unknown[], reloadTo?: unknown[]) {
  const raw = (list: unknown[]) => ({
    redis: {},
    ops: { port: 0 },
    mm7: { port: 0, vasps: [{ id: 'shop', username: 'shop', password: 'pw-shop', senders: ['7050'], rate: 1000, burst: 1000 }] },
    mm1: { enabled: false },
    // Opt-in is consent.md's concern (tested there): here every subscriber may be sent marketing, so caps and quiet hours alone decide.
    consent: { senders: list, marketingNeedsOptIn: false },
  });
  const gw = new Gateway(ConfigSchema.parse(raw(senders)), pino({ level: process.env.TEST_LOG ?? 'silent' }), {
    loadConfig: () => ConfigSchema.parse(raw(reloadTo ?? senders)),
  });
  const handset = new HandsetStandIn();
  gw.router.add((m) => m.report === undefined, handset);
  const listeners = await gw.start();
  await gw.whenReady();
  t.teardown(() => gw.stop());
  const mm7 = listeners.find((l) => l.iface === 'mm7')!.address;
  const submit = async (to: string, messageClass: 'Advertisement' | 'Informational'): Promise<string> => {
    const xml =
      `<?xml version="1.0"?><e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Header><TransactionID xmlns="${NS}">t${++transactions}</TransactionID></e:Header><e:Body>` +
      `<SubmitReq xmlns="${NS}"><MM7Version>6.8.0</MM7Version><SenderIdentification><VASPID>shop</VASPID><SenderAddress><ShortCode>7050</ShortCode></SenderAddress></SenderIdentification>` +
      `<Recipients><To><Number>${to}</Number></To></Recipients><MessageClass>${messageClass}</MessageClass><Subject>offer</Subject></SubmitReq></e:Body></e:Envelope>`;
    const r = await fetch(mm7, {
      method: 'POST',
      body: xml,
      headers: { 'content-type': 'text/xml', authorization: `Basic ${Buffer.from('shop:pw-shop').toString('base64')}` },
    });
    const id = /<(?:\w+:)?MessageID>([^<]+)</.exec(await r.text())?.[1];
    if (!id) throw new Error('not accepted');
    return id;
  };
  const state = (id: string, s: string) => until(`${id} ${s}`, async () => (await gw.store.queue.states(id))?.[0] === s);
  return { gw, handset, submit, state };
}

t.test('a daily cap of one, refuse: the second advertisement is refused frequency-capped; informational passes', async (t) => {
  const { gw, handset, submit, state } = await setup(t, [{ sender: '7050', maxPerDay: 1, overCap: 'refuse' }]);
  const first = await submit(LONDON, 'Advertisement');
  await state(first, 'delivered');
  const second = await submit(LONDON, 'Advertisement');
  await state(second, 'rejected');
  t.match((await gw.store.queue.history(second, 0)).at(-1)?.detail, /^frequency-capped: /);
  const info = await submit(LONDON, 'Informational');
  await state(info, 'delivered');
  t.same(handset.delivered, [first, info]);
  t.match(await gw.metrics.registry.getSingleMetricAsString('mmsc_marketing_refused_total'), /reason="frequency-cap"[^\n]* 1/);
});

t.test("quiet hours around London's local time now: the advertisement is deferred with the reason, counted", async (t) => {
  const london = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const hhmm = (ms: number) => london.format(ms);
  const quietHours = { start: hhmm(Date.now() - 3_600_000), end: hhmm(Date.now() + 3_600_000) };
  const { gw, handset, submit, state } = await setup(t, [{ sender: '*', quietHours, fallbackTimeZone: 'Asia/Tokyo' }]);
  const id = await submit(LONDON, 'Advertisement');
  await state(id, 'deferred');
  const detail = (await gw.store.queue.history(id, 0)).at(-1)?.detail;
  t.match(detail, new RegExp(`^quiet hours ${quietHours.start}-${quietHours.end}: until .* \\(${quietHours.end} Europe/London\\)$`));
  t.same(handset.delivered, []);
  const info = await submit(LONDON, 'Informational');
  await state(info, 'delivered');
  t.match(await gw.metrics.registry.getSingleMetricAsString('mmsc_marketing_deferred_total'), /reason="quiet-hours"[^\n]* 1/);
});

t.test('a reload applies new caps to the next delivery', async (t) => {
  const { gw, submit, state } = await setup(
    t,
    [{ sender: '7050', maxPerDay: 1, overCap: 'refuse' }],
    [{ sender: '7050', maxPerDay: 3, overCap: 'refuse' }],
  );
  await state(await submit(LONDON, 'Advertisement'), 'delivered');
  await state(await submit(LONDON, 'Advertisement'), 'rejected');
  const report = await gw.reload();
  t.match(JSON.stringify(report), /marketing caps and quiet hours/);
  await state(await submit(LONDON, 'Advertisement'), 'delivered');
});
