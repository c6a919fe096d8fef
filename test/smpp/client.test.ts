// SMPP client against the SMSC simulator (test/helpers/smsc.ts, a test double built on node-smpp's server
// side), over real TCP on loopback. No timing assertions: waits are bounded by `until` (which fails the test
// when the condition never holds); the backoff test checks lower bounds of the gaps between bind attempts.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { Metrics } from '../../src/ops/metrics.js';
import {
  parseReceipt,
  PduReader,
  readDeliverSm,
  receiptFields,
  SmppClient,
  SmppError,
  type DeliverSm,
  type Receipt,
  type SmppClientOptions,
  type SubmitResult,
  type SubmitSm,
} from '../../src/smpp/client.js';
import { startSmsc, type Smsc, type SmscOptions } from '../helpers/smsc.js';

const silent = pino({ level: 'silent' });

/** Polls until cond() holds; fails after `ms` (a guard against hanging, not a timing assertion). */
async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

interface Setup {
  smsc: Smsc;
  client: SmppClient;
  metrics: Metrics;
}

async function setup(
  t: Test,
  smscOptions: Partial<SmscOptions> = {},
  clientOptions: Partial<SmppClientOptions> = {},
  start = true,
): Promise<Setup> {
  const smsc = await startSmsc({ systemId: 'mmsc', password: 'secret', ...smscOptions });
  const metrics = new Metrics();
  const client = new SmppClient({
    id: 'sim',
    host: '127.0.0.1',
    port: smsc.port,
    systemId: 'mmsc',
    password: 'secret',
    log: silent,
    metrics,
    reconnectMinMs: 20,
    reconnectMaxMs: 200,
    responseTimeoutMs: 3000,
    ...clientOptions,
  });
  t.teardown(async () => {
    await client.close();
    await smsc.stop();
  });
  if (start) {
    client.start();
    await until(() => client.bound, 'bound');
  }
  return { smsc, client, metrics };
}

const sm = (text: string, o: Partial<SubmitSm> = {}): SubmitSm => ({
  sourceAddr: '12345',
  sourceAddrTon: 3,
  sourceAddrNpi: 0,
  destinationAddr: '491701234567',
  destAddrTon: 1,
  destAddrNpi: 1,
  esmClass: 0,
  dataCoding: 0,
  registeredDelivery: 0,
  shortMessage: Buffer.from(text, 'latin1'),
  ...o,
});

/** The settled outcome of a submit: its result or its SmppError. */
const settle = (p: Promise<SubmitResult>): Promise<SubmitResult | SmppError> =>
  p.catch((e: unknown) => {
    if (e instanceof SmppError) return e;
    throw e;
  });

async function metricValue(metrics: Metrics, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const m = await metrics.registry.getSingleMetric(name)!.get();
  return m.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))?.value;
}

t.test('binds as a transceiver, submits, and gets the message id the SMSC assigned', async (t) => {
  const { smsc, client, metrics } = await setup(t);
  t.same(
    smsc.binds.map((b) => [b.command, b.systemId, b.password, b.interfaceVersion, b.status]),
    [['bind_transceiver', 'mmsc', 'secret', 0x34, 0]],
  );
  const octets = Buffer.from([0x00, 0x01, 0x7f, 0x80, 0xc3, 0xa9, 0xff, 0x41]);
  const r = await client.submit(
    sm('', {
      shortMessage: octets,
      dataCoding: 0x04,
      protocolId: 0x7f,
      priorityFlag: 1,
      registeredDelivery: 1,
      esmClass: 0x03,
      validityPeriod: '250101120000000+',
    }),
  );
  t.equal(smsc.submits.length, 1);
  const s = smsc.submits[0]!;
  t.equal(r.messageId, s.messageId, 'the id of submit_sm_resp');
  t.match(r.messageId, /^[0-9a-f]+$/);
  t.same(
    [s.sourceAddr, s.sourceAddrTon, s.sourceAddrNpi, s.destinationAddr, s.destAddrTon, s.destAddrNpi],
    ['12345', 3, 0, '491701234567', 1, 1],
  );
  t.same([s.esmClass, s.dataCoding, s.protocolId, s.priorityFlag, s.registeredDelivery], [0x03, 0x04, 0x7f, 1, 1]);
  t.same(s.octets, octets, 'short_message octets as given');
  t.equal(s.payload, false);
  t.equal((s.validityPeriod as Date).toISOString(), '2025-01-01T12:00:00.000Z');

  t.equal(await metricValue(metrics, 'mmsc_smpp_bound', { smsc: 'sim' }), 1);
  t.equal(await metricValue(metrics, 'mmsc_smpp_window_in_flight', { smsc: 'sim' }), 0);
  const pdus = (command: string, direction: string) =>
    metricValue(metrics, 'mmsc_smpp_pdus_total', { smsc: 'sim', command, direction, status: '0x00000000' });
  t.equal(await pdus('bind_transceiver', 'out'), 1);
  t.equal(await pdus('bind_transceiver_resp', 'in'), 1);
  t.equal(await pdus('submit_sm', 'out'), 1);
  t.equal(await pdus('submit_sm_resp', 'in'), 1);
});

t.test('message_payload goes in the TLV with an empty short_message', async (t) => {
  const { smsc, client } = await setup(t);
  const payload = Buffer.alloc(600, 0x5a);
  payload[0] = 0xff;
  await client.submit(sm('', { shortMessage: undefined, messagePayload: payload, dataCoding: 0x04 }));
  const s = smsc.submits[0]!;
  t.equal(s.payload, true);
  t.equal(s.shortMessageEmpty, true);
  t.same(s.octets, payload);
});

for (const window of [1, 10]) {
  t.test(`window ${window}: 100 submits at once, never more than ${window} unanswered at the SMSC`, async (t) => {
    const { smsc, client, metrics } = await setup(t, { ackDelayMs: 3 }, { window });
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => client.submit(sm(`w-${i}`))));
    t.equal(new Set(results.map((r) => r.messageId)).size, 100, 'all resolved, distinct ids');
    t.ok(smsc.maxOutstanding <= window, `max outstanding ${smsc.maxOutstanding} <= ${window}`);
    if (window > 1) t.ok(smsc.maxOutstanding > 1, 'the window was used (more than one at a time)');
    t.same(
      smsc.submits.map((s) => s.text),
      results.map((_, i) => `w-${i}`),
      'sent in the order submitted',
    );
    t.equal(await metricValue(metrics, 'mmsc_smpp_window_in_flight', { smsc: 'sim' }), 0);
  });
}

t.test('ESME_RTHROTTLED and ESME_RMSGQFUL reject THROTTLED', async (t) => {
  const { client } = await setup(t, { throttleEvery: 3, statusFor: (s) => (s.destinationAddr === '4900' ? 0x14 : 0) });
  const outcomes = await Promise.all(Array.from({ length: 30 }, (_, i) => settle(client.submit(sm(`t-${i}`)))));
  const throttled = outcomes.filter((o): o is SmppError => o instanceof SmppError);
  t.equal(throttled.length, 10, 'every third');
  t.ok(throttled.every((e) => e.code === 'THROTTLED' && e.commandStatus === 0x58 && e.sent));
  t.same(
    outcomes.flatMap((o, i) => (o instanceof SmppError ? [i + 1] : [])),
    [3, 6, 9, 12, 15, 18, 21, 24, 27, 30],
  );
  // the 31st submit is not a multiple of 3: the statusFor answer applies
  const full = await settle(client.submit(sm('q', { destinationAddr: '4900' })));
  t.ok(full instanceof SmppError && full.code === 'THROTTLED' && full.commandStatus === 0x14, 'queue full is THROTTLED');
});

t.test('a non-zero status rejects REJECTED with the status; invalid submits are refused unsent', async (t) => {
  const { smsc, client } = await setup(t, { statusFor: (s) => (s.destinationAddr === '000' ? 0x0b : 0) });
  const bad = await settle(client.submit(sm('x', { destinationAddr: '000' })));
  t.ok(bad instanceof SmppError);
  t.match(bad, { code: 'REJECTED', commandStatus: 0x0b, sent: true });
  const good = await client.submit(sm('z'));
  t.ok(good.messageId, 'the link is still usable');

  const before = smsc.received;
  const tooLong = await settle(client.submit(sm('', { shortMessage: Buffer.alloc(255) })));
  t.match(tooLong, { code: 'REJECTED', commandStatus: 0x01, sent: false });
  const both = await settle(client.submit(sm('a', { messagePayload: Buffer.from('b') })));
  t.match(both, { code: 'REJECTED', commandStatus: 0x01, sent: false });
  const validity = await settle(client.submit(sm('a', { validityPeriod: '0430' })));
  t.match(validity, { code: 'REJECTED', commandStatus: 0x62, sent: false });
  t.equal(smsc.received, before, 'none of these reached the SMSC');
});

for (const form of ['text', 'tlv', 'both'] as const) {
  t.test(`receipts in ${form} form correlate to the submit's message id`, async (t) => {
    const { smsc, client } = await setup(t, { receipts: form });
    const receipts: Receipt[] = [];
    const mos: DeliverSm[] = [];
    client.on('receipt', (r) => receipts.push(r));
    client.on('mo', (m) => mos.push(m));
    const results = await Promise.all(['r-1', 'r-2', 'r-3'].map((text) => client.submit(sm(text, { registeredDelivery: 1 }))));
    await client.submit(sm('no receipt asked', { registeredDelivery: 0 }));
    await until(() => receipts.length >= 3 && smsc.deliveries.every((d) => d.status !== undefined), 'receipts');
    t.same(receipts.map((r) => r.messageId).sort(), results.map((r) => r.messageId).sort());
    t.ok(receipts.every((r) => r.state === 'DELIVRD'));
    t.same(
      smsc.deliveries.map((d) => d.status),
      [0, 0, 0],
      'each answered deliver_sm_resp 0',
    );
    t.equal(mos.length, 0);
    const r = receipts[0]!;
    t.equal(r.raw.esmClass, 0x04);
    if (form === 'tlv') {
      t.equal(r.raw.shortMessage.length, 0);
      t.equal(r.raw.messageState, 2);
      t.equal(r.error, undefined);
    } else {
      t.equal(r.error, '000');
      t.match(r.doneAt, /^\d{10}$/);
      t.match(r.raw.shortMessage.toString('latin1'), /^id:[0-9a-f]+ sub:001/);
    }
    if (form !== 'text') t.equal(r.raw.receiptedMessageId, r.messageId);
  });
}

t.test('receipt text is read liberally and kept as written', async (t) => {
  const f = receiptFields(
    'ID:0A1B2C sub:1 DLVRD:1 Submit Date:2401011200 Done_Date:2401011201 Stat:delivrd Err:0 Text:hello stat:FAKE id:x',
  );
  t.same(f, {
    id: '0A1B2C',
    sub: '1',
    dlvrd: '1',
    'submit date': '2401011200',
    'done date': '2401011201',
    stat: 'delivrd',
    err: '0',
    text: 'hello stat:FAKE id:x',
  });
  t.same(receiptFields('id : 0012345  stat:UNDELIV'), { id: '0012345', stat: 'UNDELIV' }, 'missing fields, spaces, leading zeros kept');
  t.same(receiptFields('no fields here'), {});

  const d = (text: string, extra: Partial<DeliverSm> = {}): DeliverSm => ({
    sourceAddr: '491701234567',
    sourceAddrTon: 1,
    sourceAddrNpi: 1,
    destinationAddr: '12345',
    esmClass: 0x04,
    dataCoding: 0,
    shortMessage: Buffer.from(text, 'latin1'),
    ...extra,
  });
  t.match(parseReceipt(d('id:1234567890 stat:EXPIRED err:001')), { messageId: '1234567890', state: 'EXPIRED', error: '001' });
  t.equal(parseReceipt(d('stat:DELIVRD')), undefined, 'no id: no receipt');
  t.match(parseReceipt(d('id:zzz stat:DELIVRD', { receiptedMessageId: ' abc ' })), { messageId: 'abc' }, 'the TLV wins, trimmed');
  t.match(parseReceipt(d('id:1 stat:DELIVRD', { messageState: 5 })), { state: 'UNDELIV' }, 'message_state TLV wins');
  t.match(parseReceipt(d('id:42')), { messageId: '42', state: 'UNKNOWN' });
  t.match(
    parseReceipt(d('', { messagePayload: Buffer.from('id:77 stat:ACCEPTD') })),
    { messageId: '77', state: 'ACCEPTD' },
    'from message_payload',
  );
  const ucs2 = Buffer.from('id:99 stat:REJECTD', 'utf16le').swap16();
  t.match(parseReceipt(d('', { shortMessage: ucs2, dataCoding: 0x08 })), { messageId: '99', state: 'REJECTD' }, 'UCS2 text');
});

t.test('receipts over the wire: liberal text, and one without id refused ESME_RX_P_APPN', async (t) => {
  const { smsc, client } = await setup(t);
  const receipts: Receipt[] = [];
  client.on('receipt', (r) => receipts.push(r));
  const status = await smsc.sendMo({
    sourceAddr: '491701234567',
    destinationAddr: '12345',
    esmClass: 0x04,
    octets: Buffer.from('Id:A1B2 Stat:delivrd done date:2401011201', 'latin1'),
  });
  t.equal(status, 0);
  t.match(receipts, [{ messageId: 'A1B2', state: 'delivrd', doneAt: '2401011201' }]);
  const refused = await smsc.sendMo({ sourceAddr: '1', destinationAddr: '2', esmClass: 0x04, octets: Buffer.from('stat:DELIVRD') });
  t.equal(refused, 0x65);
  t.equal(receipts.length, 1);
});

t.test("MO deliver_sm: 'mo' with the octets untouched, answered 0", async (t) => {
  const { smsc, client } = await setup(t);
  const mos: DeliverSm[] = [];
  client.on('mo', (m) => mos.push(m));
  const octets = Buffer.from(Array.from({ length: 254 }, (_, i) => i));
  t.equal(await smsc.sendMo({ sourceAddr: '491701234567', destinationAddr: '12345', octets, dataCoding: 0x04 }), 0);
  const udh = Buffer.concat([Buffer.from([0x05, 0x00, 0x03, 0x2a, 0x02, 0x01]), Buffer.from('caf\xe9', 'latin1')]);
  t.equal(await smsc.sendMo({ sourceAddr: '491701234567', destinationAddr: '12345', octets: udh, esmClass: 0x40, dataCoding: 0x03 }), 0);
  const long = Buffer.alloc(400, 0x41);
  t.equal(await smsc.sendMo({ sourceAddr: '491701234567', destinationAddr: '12345', octets: long, payload: true }), 0);
  t.equal(mos.length, 3);
  t.same(mos[0]!.shortMessage, octets);
  t.match(mos[0], {
    sourceAddr: '491701234567',
    sourceAddrTon: 1,
    sourceAddrNpi: 1,
    destinationAddr: '12345',
    esmClass: 0,
    dataCoding: 0x04,
  });
  t.same(mos[1]!.shortMessage, udh, 'UDH and latin1 text as sent');
  t.equal(mos[1]!.esmClass, 0x40);
  t.equal(mos[2]!.shortMessage.length, 0);
  t.same(mos[2]!.messagePayload, long);
  t.same(
    smsc.deliveries.map((d) => d.kind),
    ['mo', 'mo', 'mo'],
  );
});

t.test("a throwing 'mo' listener: deliver_sm answered ESME_RX_T_APPN, the link stays", async (t) => {
  const { smsc, client } = await setup(t);
  client.on('mo', () => {
    throw new Error('listener bug');
  });
  t.equal(await smsc.sendMo({ sourceAddr: '1', destinationAddr: '2', octets: Buffer.from('hi') }), 0x64);
  t.ok(client.bound);
  t.ok((await client.submit(sm('after'))).messageId);
});

t.test('enquire_link: sent on the interval, and answered when the SMSC sends one', async (t) => {
  const { smsc, client, metrics } = await setup(t, {}, { enquireLinkMs: 20 });
  let unbound = 0;
  client.on('unbound', () => unbound++);
  await until(() => smsc.enquireLinks >= 3, 'three enquire_link');
  t.same(await smsc.enquireLink(), [0], 'enquire_link_resp to the SMSC');
  t.equal(unbound, 0);
  t.ok(client.bound);
  t.ok((await metricValue(metrics, 'mmsc_smpp_pdus_total', { command: 'enquire_link_resp', direction: 'in' }))! >= 3);
});

t.test('a missing enquire_link_resp drops the link; the client binds again', async (t) => {
  const { smsc, client } = await setup(t, { answerEnquireLink: false }, { enquireLinkMs: 20, responseTimeoutMs: 100 });
  const reasons: string[] = [];
  client.on('unbound', (r) => reasons.push(r));
  await until(() => reasons.length >= 1 && client.bound, 'dropped and bound again');
  t.match(reasons[0], /enquire_link_resp/);
  t.ok(smsc.binds.filter((b) => b.status === 0).length >= 2);
});

t.test('wrong password: never bound, retries with a growing backoff', async (t) => {
  const { smsc, client } = await setup(t, {}, { password: 'wrong', reconnectMinMs: 40, reconnectMaxMs: 320 }, false);
  let bound = 0;
  client.on('bound', () => bound++);
  client.start();
  await until(() => smsc.binds.length >= 6, 'six bind attempts');
  t.ok(
    smsc.binds.every((b) => b.status === 0x0e),
    'all refused ESME_RINVPASWD',
  );
  t.equal(bound, 0);
  t.equal(client.bound, false);
  const refused = await settle(client.submit(sm('x')));
  t.match(refused, { code: 'LINK_DOWN', sent: false }, 'not bound: LINK_DOWN at once');
  // The k-th retry waits at least d/2 with d = min(320, 40 * 2^k): 20, 40, 80, 160, 160 ms (1 ms timer slack).
  const gaps = smsc.binds.slice(1, 6).map((b, i) => b.at - smsc.binds[i]!.at);
  gaps.forEach((gap, k) => {
    const floor = Math.min(320, 40 * 2 ** k) / 2 - 1;
    t.ok(gap >= floor, `retry ${k + 1} after ${gap.toFixed(1)} ms >= ${floor} ms`);
  });
});

t.test('the SMSC unbinds: answered unbind_resp, and the client binds again', async (t) => {
  const { smsc, client } = await setup(t);
  const reasons: string[] = [];
  client.on('unbound', (r) => reasons.push(r));
  t.same(await smsc.unbindAll(), [0]);
  await until(() => reasons.length === 1 && client.bound && smsc.sessions === 1, 'bound again');
  t.match(reasons[0], /unbound/);
  t.equal(smsc.binds.length, 2);
  t.ok((await client.submit(sm('after unbind'))).messageId);
});

t.test('an unknown command gets a generic_nack ESME_RINVCMDID', async (t) => {
  const { smsc, client } = await setup(t);
  t.same(await smsc.sendRaw(0x00000777), { command: 'generic_nack', status: 0x03 });
  t.ok(client.bound);
});

t.test('a submit_sm without answer rejects TIMEOUT; the link stays up', async (t) => {
  const { smsc, client } = await setup(t, { statusFor: (s) => (s.text === 'lost' ? 'ignore' : 0) }, { responseTimeoutMs: 150 });
  const lost = await settle(client.submit(sm('lost')));
  t.match(lost, { code: 'TIMEOUT', sent: true });
  t.ok((await client.submit(sm('next'))).messageId);
  t.equal(smsc.binds.length, 1, 'no reconnect');
});

t.test('the connection drops with submits in the window: LINK_DOWN, then the client binds again', async (t) => {
  const { smsc, client } = await setup(t, { ackDelayMs: 20, dropAfter: 3 }, { window: 5 });
  const outcomes = await Promise.all(Array.from({ length: 5 }, (_, i) => settle(client.submit(sm(`d-${i}`)))));
  t.ok(
    outcomes.every((o) => o instanceof SmppError && o.code === 'LINK_DOWN' && o.sent),
    'all five in the window: LINK_DOWN, sent',
  );
  t.equal(smsc.accepted, 0);
  await until(() => client.bound, 'bound again');
  t.ok((await client.submit(sm('after drop'))).messageId);
});

t.test('SMSC restart mid-run: reconnects; a caller retrying LINK_DOWN gets every message there exactly once', async (t) => {
  const { smsc, client } = await setup(t, { ackDelayMs: 3 }, { window: 10, reconnectMaxMs: 100 });
  let bounds = 0;
  client.on('bound', () => bounds++);
  const linkDowns: SmppError[] = [];
  const texts = Array.from({ length: 300 }, (_, i) => `m-${i}`);
  const send = async (text: string): Promise<SubmitResult & { text: string }> => {
    for (;;) {
      try {
        return { text, ...(await client.submit(sm(text))) };
      } catch (e) {
        if (!(e instanceof SmppError) || e.code === 'REJECTED' || e.code === 'CLOSED') throw e;
        if (e.code === 'LINK_DOWN') linkDowns.push(e);
        await until(() => client.bound, 'bound again');
      }
    }
  };
  const all = Promise.all(texts.map(send));
  await smsc.whenAccepted(100);
  await smsc.restart();
  const results = await all;

  t.ok(bounds >= 1, 'bound again by itself');
  t.ok(
    linkDowns.some((e) => e.sent),
    'submits in the window when the link dropped: LINK_DOWN',
  );
  const byText = smsc.acceptedByText();
  t.equal(byText.size, 300);
  t.ok(
    [...byText.values()].every((n) => n === 1),
    'every message at the SMSC exactly once',
  );
  const accepted = smsc.submits.filter((s) => s.messageId !== undefined);
  t.equal(accepted.length, 300);
  const resolvedIds = new Map(results.map((r) => [r.messageId, r.text]));
  t.equal(resolvedIds.size, 300, 'each message resolved once, with its own id');
  t.ok(
    accepted.every((s) => resolvedIds.get(s.messageId!) === s.text),
    'every submit the SMSC acked resolved, with the id it acked',
  );
});

t.test('close(): drains the window, unbinds, refuses later submits', async (t) => {
  const { smsc, client, metrics } = await setup(t, { ackDelayMs: 30 }, { window: 2 });
  const pending = Array.from({ length: 6 }, (_, i) => settle(client.submit(sm(`c-${i}`))));
  await until(() => smsc.outstanding === 2, 'two in the window');
  await client.close();
  const outcomes = await Promise.all(pending);
  t.ok(
    outcomes.slice(0, 2).every((o) => !(o instanceof SmppError) && o.messageId),
    'the window was answered',
  );
  t.ok(
    outcomes.slice(2).every((o) => o instanceof SmppError && o.code === 'CLOSED' && !o.sent),
    'the queued ones: CLOSED, not sent',
  );
  t.equal(smsc.unbinds, 1, 'the SMSC saw unbind');
  t.equal(client.bound, false);
  t.match(await settle(client.submit(sm('late'))), { code: 'CLOSED' });
  t.equal(await metricValue(metrics, 'mmsc_smpp_bound', { smsc: 'sim' }), 0);
  await until(() => smsc.sessions === 0, 'connection closed');
});

t.test('transmitter+receiver: two binds, submits on one, receipts on the other', async (t) => {
  const { smsc, client } = await setup(t, { receipts: 'both' }, { bindMode: 'transmitter+receiver' });
  await until(() => smsc.sessions === 2, 'both sessions bound');
  t.same(smsc.binds.map((b) => b.command).sort(), ['bind_receiver', 'bind_transmitter']);
  const receipts: Receipt[] = [];
  client.on('receipt', (r) => receipts.push(r));
  const r = await client.submit(sm('txrx', { registeredDelivery: 1 }));
  await until(() => receipts.length === 1, 'the receipt');
  t.equal(receipts[0]!.messageId, r.messageId);
});

t.test('not started: LINK_DOWN at once', async (t) => {
  const { smsc, client } = await setup(t, {}, {}, false);
  t.match(await settle(client.submit(sm('x'))), { code: 'LINK_DOWN', sent: false });
  t.equal(smsc.received, 0);
});

t.test('framing: PDUs cut anywhere or coalesced read the same; a bad command_length throws', async (t) => {
  const pdu = (seq: number, body: Buffer) => {
    const h = Buffer.alloc(16);
    h.writeUInt32BE(16 + body.length, 0);
    h.writeUInt32BE(0x80000004, 4);
    h.writeUInt32BE(seq, 12);
    return Buffer.concat([h, body]);
  };
  const stream = Buffer.concat([pdu(1, Buffer.from('a1\0')), pdu(2, Buffer.alloc(0)), pdu(3, Buffer.alloc(300, 7))]);
  const whole = new PduReader().push(stream);
  t.same(
    whole.map((p) => p.readUInt32BE(12)),
    [1, 2, 3],
  );
  const reader = new PduReader();
  const bytewise = [...stream].flatMap((b) => reader.push(Buffer.from([b])));
  t.same(Buffer.concat(bytewise), stream, 'byte by byte');
  t.equal(bytewise.length, 3);
  const short = Buffer.alloc(16);
  short.writeUInt32BE(15, 0);
  t.throws(() => new PduReader().push(short), RangeError);
  const huge = Buffer.alloc(4);
  huge.writeUInt32BE(0xffffffff, 0);
  t.throws(() => new PduReader().push(huge), RangeError);
});

t.test('hostile input: a truncated deliver_sm is refused, an unreadable stream drops the link', async (t) => {
  t.throws(() => readDeliverSm(Buffer.concat([Buffer.alloc(16), Buffer.from('svc\0\x01')])), RangeError);
  const { smsc, client } = await setup(t);
  const mos: DeliverSm[] = [];
  client.on('mo', (m) => mos.push(m));
  // service_type "", ton 1, npi 1, source_addr "4917" and nothing more
  t.same(await smsc.sendRaw(0x00000005, Buffer.from('\0\x01\x014917\0', 'latin1')), { command: 'deliver_sm_resp', status: 0x65 });
  t.equal(mos.length, 0);
  t.ok(client.bound);
  const reasons: string[] = [];
  client.on('unbound', (r) => reasons.push(r));
  await smsc.sendRaw(0x00000005, Buffer.alloc(0), 0x7fffffff).catch(() => undefined);
  await until(() => reasons.length === 1 && client.bound, 'dropped and bound again');
  t.match(reasons[0], /command_length/);
});

t.test("a throwing 'bound' listener does not take the link down", async (t) => {
  const { smsc, client } = await setup(t, {}, {}, false);
  client.on('bound', () => {
    throw new Error('listener bug');
  });
  client.start();
  await until(() => client.bound, 'bound');
  t.ok((await client.submit(sm('still works'))).messageId);
  t.equal(smsc.binds.length, 1);
});
