// The report pump (src/core/report-pump.ts) on its own, with the report generator it feeds, over the
// embedded store with a test clock: a recipient's final state becomes a delivery report message in the
// queue when its message asked for one (DeliveryReport), not otherwise; a report queued twice (the pump
// died between queueing it and acknowledging the final event) is one message, because its id is derived
// from what it reports on (`<message id>-d<recipient index>`, src/core/reports.ts reportMessageId).
import t from 'tap';
import { pino } from 'pino';
import type { CoreMessage } from '../../src/core/message.js';
import { ReportGenerator } from '../../src/core/reports.js';
import { ReportPump } from '../../src/core/report-pump.js';
import type { DeliveryResult, Route } from '../../src/core/router.js';
import { StaticRouter } from '../../src/core/static-router.js';
import { createMemoryStore } from '../../src/store/memory/index.js';
import { captureLog, LEVEL } from '../helpers/log-capture.js';
import { textMessage } from '../helpers/messages.js';
import { until } from '../helpers/until.js';

const T0 = 1_700_000_000_000;
const LEASE_MS = 60_000;
const silent = pino({ level: 'silent' });

/** A fake route back to the originator: the pump only needs its peer (reports are queued, not sent here). */
const back: Route = {
  peer: 'vasp:reports',
  limits: { rate: 100, burst: 100, maxInFlight: 10 },
  send: async (): Promise<DeliveryResult> => ({ status: 'rejected', detail: 'fake route: not for sending' }),
};

function setup(o: { maxAttempts?: number } = {}) {
  const clock = { now: T0 };
  const { queue } = createMemoryStore({ now: () => clock.now, leaseMs: LEASE_MS, ...o });
  // Reports (and only reports) have a route back.
  const router = new StaticRouter().add((m) => m.report !== undefined, back);
  const reports = new ReportGenerator({ queue, router, log: silent, now: () => clock.now });
  return { clock, queue, reports };
}

const asking = (id: string, n: number, o: Partial<CoreMessage> = {}) => textMessage(id, n, T0, { deliveryReport: true, ...o });

t.test('each final state becomes a delivery report message when the originator asked; a cancelled one does not', async (t) => {
  const { clock, queue, reports } = setup({ maxAttempts: 1 });
  const m1 = asking('m1', 4);
  const m2 = asking('m2', 1, { expiresAt: T0 + 1_000 });
  await queue.enqueue(m1, [Buffer.from('x')], ['a', 'a', 'a', 'a']);
  const jobs = await queue.take(3, 8);
  await queue.enqueue(m2, [Buffer.from('x')], ['b']);
  const job = (id: string, i: number) => jobs.find((j) => j.messageId === id && j.recipientIndex === i);
  t.ok(job('m1', 0) && job('m1', 1) && job('m1', 2), "m1's first three recipients leased");
  await queue.cancel('m1', 'withdrawn'); // recipient 3 (not leased) ends cancelled
  await queue.ack(job('m1', 0)!, 'delivered');
  await queue.ack(job('m1', 1)!, 'rejected', 'unknown subscriber');
  t.equal(await queue.retry(job('m1', 2)!, 'HTTP 502', 0), 'failed', 'out of attempts');
  clock.now += 2_000;
  t.same(await queue.take(10), [], 'nothing due; m2 expired');

  const pump = new ReportPump({ queue, reports, log: silent });
  t.equal(await pump.once(), 5, 'five final events (the cancelled one included)');

  const report = async (id: string) => (await queue.message(id))?.report;
  t.match(await report('m1-d0'), { kind: 'delivery', messageId: 'm1', recipientIndex: 0, status: 'delivered', to: m1.origin });
  t.match(await report('m1-d1'), {
    kind: 'delivery',
    messageId: 'm1',
    recipientIndex: 1,
    status: 'rejected',
    detail: 'unknown subscriber',
  });
  t.match(await report('m1-d2'), { kind: 'delivery', messageId: 'm1', recipientIndex: 2, status: 'failed', detail: 'HTTP 502' });
  t.match(await report('m2-d0'), { kind: 'delivery', messageId: 'm2', recipientIndex: 0, status: 'expired' });
  t.equal(await queue.message('m1-d3'), undefined, 'no report on the cancelled recipient');
  const m = await queue.message('m1-d0');
  t.same(
    m?.recipients.map((r) => r.address),
    [m1.originator.address],
    'addressed to the originator',
  );
  t.equal(m?.originator.address, m1.recipients[0]!.address, 'from the recipient it reports on');

  const queued = await queue.take(10);
  t.same(queued.map((j) => j.messageId).sort(), ['m1-d0', 'm1-d1', 'm1-d2', 'm2-d0'], 'four report jobs');
  t.ok(
    queued.every((j) => j.peer === back.peer),
    'on the route back',
  );
  t.same(await queue.finalEvents(10), [], 'every event acknowledged');
  t.equal(await pump.once(), 0, 'nothing left');
});

t.test('no report when the originator did not ask for one', async (t) => {
  const { queue, reports } = setup();
  // Asked for a read report only: the store hands out the final event, and no delivery report comes of it.
  await queue.enqueue(textMessage('m1', 1, T0, { readReport: true }), [Buffer.from('x')], ['a']);
  await queue.enqueue(textMessage('m2', 1, T0), [Buffer.from('x')], ['a']);
  for (const job of await queue.take(10)) await queue.ack(job, 'delivered');

  const pump = new ReportPump({ queue, reports, log: silent });
  t.equal(await pump.once(), 1, "only m1's event (m2 asked for nothing)");
  t.equal(await queue.message('m1-d0'), undefined, 'no delivery report for m1');
  t.equal(await queue.message('m2-d0'), undefined, 'none for m2');
  t.same(await queue.take(10), [], 'nothing queued');
  t.same(await queue.finalEvents(10), [], 'the event is acknowledged all the same');
});

t.test('a report is not itself reported on', async (t) => {
  const { queue, reports } = setup();
  const m = asking('m1', 1);
  await queue.enqueue(m, [Buffer.from('x')], ['a']);
  await queue.ack((await queue.take(1))[0]!, 'delivered');
  await new ReportPump({ queue, reports, log: silent }).once();
  const [reportJob] = await queue.take(1);
  t.equal(reportJob?.messageId, 'm1-d0');
  await queue.ack(reportJob!, 'delivered');
  await new ReportPump({ queue, reports, log: silent }).once();
  t.same(await queue.take(10), [], 'no report on the report');
});

t.test('a pump that dies after queueing and before acknowledging: the event comes back, the report is queued once', async (t) => {
  const { clock, queue, reports } = setup();
  await queue.enqueue(asking('m1', 2), [Buffer.from('x')], ['a', 'a']);
  for (const job of await queue.take(10)) await queue.ack(job, 'delivered');

  // A fake crash: the acknowledgement never reaches the store.
  const ackFinal = queue.ackFinal.bind(queue);
  queue.ackFinal = async () => {
    throw new Error('process killed');
  };
  await t.rejects(new ReportPump({ queue, reports, log: silent }).once(), /process killed/);
  queue.ackFinal = ackFinal;
  t.same(await queue.finalEvents(10), [], 'handed out, not yet back');

  clock.now += LEASE_MS + 1;
  t.equal(await new ReportPump({ queue, reports, log: silent }).once(), 2, 'a new pump gets both events again');
  const jobs = await queue.take(10);
  t.same(jobs.map((j) => j.messageId).sort(), ['m1-d0', 'm1-d1'], 'one report per recipient, not two');
  t.same(await queue.finalEvents(10), [], 'acknowledged now');
});

t.test('a report that could not be queued is tried again after the lease, and the failure is logged', async (t) => {
  const { clock, queue, reports } = setup();
  await queue.enqueue(asking('m1', 1), [Buffer.from('x')], ['a']);
  await queue.ack((await queue.take(1))[0]!, 'delivered');
  const cap = captureLog('debug');
  const enqueue = queue.enqueue.bind(queue);
  queue.enqueue = async () => {
    throw new Error('store full');
  };
  t.equal(await new ReportPump({ queue, reports, log: cap.log }).once(), 1);
  queue.enqueue = enqueue;
  t.match(
    cap.lines.filter((l) => l.level === LEVEL.warn),
    [{ messageId: 'm1', msg: /report not queued/ }],
  );
  t.equal(await queue.message('m1-d0'), undefined);
  clock.now += LEASE_MS + 1;
  t.equal(await new ReportPump({ queue, reports, log: silent }).once(), 1, 'the event came back');
  t.ok(await queue.message('m1-d0'), 'queued this time');
});

t.test('notify() wakes an idle pump', async (t) => {
  const { queue, reports } = setup();
  // Idle for a minute between looks: only notify() gets the event read within the wait below.
  const pump = new ReportPump({ queue, reports, log: silent, idleMs: 60_000 });
  let looks = 0;
  const finalEvents = queue.finalEvents.bind(queue);
  queue.finalEvents = (max) => (looks++, finalEvents(max));
  pump.start();
  t.teardown(() => pump.stop());
  await until('the first look', () => looks === 1);
  await queue.enqueue(asking('m1', 1), [Buffer.from('x')], ['a']);
  await queue.ack((await queue.take(1))[0]!, 'delivered');
  pump.notify();
  await until('the report', async () => (await queue.message('m1-d0')) !== undefined, 5_000);
  t.ok(looks >= 2, 'looked again on notify');
});
