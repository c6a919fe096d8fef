import { pino } from 'pino';
import t, { type Test } from 'tap';
import type { CoreMessage } from '../../src/core/message.js';
import { buildMessage } from '../../src/core/message-builder.js';
import { eventMessageId } from '../../src/core/reports.js';
import type { Delivery, DeliveryResult, Route } from '../../src/core/router.js';
import { Gateway } from '../../src/gateway.js';
import { ConfigSchema } from '../../src/ops/config.js';
import { redisUrl, testPrefix } from '../helpers/redis.js';
import { until } from '../helpers/until.js';
import { pythonVerifies, type ReceivedHook as Received, webhookReceiver as receiver } from '../helpers/webhooks.js';

const SECRET_A = 'whsec-old-0123456789abcdef';
const SECRET_B = 'whsec-new-fedcba9876543210';

/** Stand-in for the handsets: refuses one number, delivers the rest. */
class HandsetStandIn implements Route {
  readonly peer = 'mm1-standin';
  readonly limits = { rate: 1000, burst: 1000, maxInFlight: 100 };
  async send(d: Delivery): Promise<DeliveryResult> {
    const to = d.message.recipients[d.recipientIndex]!.address;
    if (to === '+15550000002') return { status: 'rejected', detail: 'handset refused the message' };
    return { status: 'delivered' };
  }
}

async function gateway(t: Test, account: Record<string, unknown> = {}, backend: 'redis' | 'memory' = 'redis') {
  const config = ConfigSchema.parse({
    ...(backend === 'redis' ? { redis: { url: await redisUrl(t) } } : {}),
    // Ten attempts over a minute: the first retries come after the 1 s floor (the schedule's spread is tested
    // on its own below, as a function).
    queue: { prefix: testPrefix(), retryBaseMs: 30, retryMaxMs: 100, maxAttempts: 10 },
    ops: { port: 0 },
    mm7: {
      port: 0,
      vasps: [
        {
          id: 'shop',
          username: 'shop',
          password: 'pw-shop',
          senders: ['7040'],
          deliveryRate: 1000,
          deliveryBurst: 1000,
          webhookSecrets: [SECRET_A, SECRET_B],
          ...account,
        },
      ],
    },
    mm1: { enabled: false },
    api: { webhookRetryForMs: 60_000 },
    // The receivers are on loopback, which the outbound guard refuses unless the operator allows it.
    outbound: { allow: ['127.0.0.1/32'] },
  });
  const gw = new Gateway(config, pino({ level: process.env.WEBHOOK_TEST_LOG ?? 'silent' }));
  gw.router.add((m, i) => m.report === undefined && m.recipients[i]!.type === 'plmn', new HandsetStandIn());
  await gw.start();
  await gw.whenReady();
  t.teardown(() => gw.stop());
  return gw;
}

/** A sender's API message as the JSON route makes it (origin rest, callbackUrl, clientRef), to two numbers. */
function restMessage(callbackUrl: string, extra: { failoverUrl?: string; earliestDeliveryAt?: number } = {}): CoreMessage {
  const now = Date.now();
  const m = buildMessage({
    now,
    originator: { address: '7040', type: 'shortcode' },
    recipients: [
      { address: '+15550000001', type: 'plmn', kind: 'to' },
      { address: '+15550000002', type: 'plmn', kind: 'to' },
    ],
    origin: { iface: 'rest', peer: 'shop', callbackUrl, ...(extra.failoverUrl ? { failoverUrl: extra.failoverUrl } : {}) },
    parts: [{ index: 0, contentType: 'text/plain', size: 2 }],
    lifetime: { defaultMs: 3_600_000 },
    earliestDeliveryAt: extra.earliestDeliveryAt,
    deliveryReport: true,
  });
  m.sender = { clientRef: 'order-1234' };
  return m;
}

t.test(
  'REST message: accepted, scheduled, queued, delivered / rejected, signed, each redelivered after a 500 with its eventId',
  async (t) => {
    // Every event is answered 500 the first time, 204 the second: each arrives twice.
    const hooks = await receiver(t, (_b, nth) => (nth === 1 ? 500 : 204));
    const gw = await gateway(t);
    const m = restMessage(hooks.url, { earliestDeliveryAt: Date.now() + 300 });
    await gw.store.queue.enqueue(m, [Buffer.from('hi')], ['mm1-standin', 'mm1-standin']);
    // What the JSON route does at submission (RestServices.events is this port).
    for (const recipientIndex of [0, 1]) {
      await gw.events.emit(m, { type: 'accepted', recipientIndex, at: m.receivedAt });
      await gw.events.emit(m, { type: 'scheduled', recipientIndex, at: m.receivedAt });
    }
    gw.workers.notify();

    const expected = ['accepted', 'scheduled', 'queued', 'delivered', 'accepted', 'scheduled', 'queued', 'rejected'];
    await until('every event twice', () => hooks.got.filter((g) => g.headers['mmsc-signature']).length >= expected.length * 2, 15_000);
    const byId = new Map<string, Received[]>();
    for (const g of hooks.got) byId.set(String(g.body.eventId), [...(byId.get(String(g.body.eventId)) ?? []), g]);
    t.equal(byId.size, expected.length, 'one eventId per (recipient, type)');
    const seen = [...byId.values()].map((g) => `${g[0]!.body.recipient} ${g[0]!.body.type}`).sort();
    t.same(seen, expected.map((type, i) => `${i < 4 ? '+15550000001' : '+15550000002'} ${type}`).sort(), 'the events of each recipient');
    for (const [id, copies] of byId) {
      t.equal(copies.length, 2, `${id}: answered 500, then delivered again`);
      t.same(copies[0]!.body, copies[1]!.body, `${id}: the same body on the second attempt`);
      t.equal(copies[1]!.headers['mmsc-event-id'], id, 'Mmsc-Event-Id is the eventId');
    }
    const delivered = hooks.got.find((g) => g.body.type === 'delivered')!;
    t.equal(delivered.body.eventId, eventMessageId(m.id, 0, 'delivered'), 'the eventId derives from (message, recipient, type)');
    t.match(delivered.body, { messageId: m.id, recipient: '+15550000001', clientRef: 'order-1234' });
    t.ok(!Number.isNaN(Date.parse(String(delivered.body.at))), 'at is an RFC 3339 time');
    t.equal(delivered.headers['content-type'], 'application/json');
    t.match(hooks.got.find((g) => g.body.type === 'rejected')!.body, { recipient: '+15550000002', detail: 'handset refused the message' });
    const queued = hooks.got.find((g) => g.body.type === 'queued')!;
    t.ok(Date.parse(String(queued.body.at)) >= m.earliestDeliveryAt!, 'queued when it became due, not before');

    // Every body, as the receiver got it, verifies in Python with either secret of the rotation, not a third.
    for (const g of [delivered, queued]) {
      const header = String(g.headers['mmsc-signature']);
      t.match(header, /^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/, 'one v1 per secret');
      t.equal(pythonVerifies(SECRET_A, header, g.raw), 'ok', 'the old secret verifies');
      t.equal(pythonVerifies(SECRET_B, header, g.raw), 'ok', 'the new secret verifies');
      t.equal(pythonVerifies('whsec-someone-else-000000', header, g.raw), 'bad', 'another secret does not');
      t.equal(pythonVerifies(SECRET_A, header, Buffer.from(g.raw.toString().replace('+1555', '+1556'))), 'bad', 'a changed body does not');
      const ts = Number(/t=(\d+)/.exec(header)![1]);
      t.ok(Math.abs(ts - Date.now() / 1000) < 60, 't is the time of sending');
    }
    // The gateway counts an attempt once it has read the answer, a moment after the receiver sent it.
    const metrics = await until('every attempt counted', async () => {
      const text = await gw.metrics.registry.metrics();
      return /mmsc_webhook_deliveries_total\{outcome="delivered",service="mmsc"\} 8/.test(text) ? text : undefined;
    });
    t.match(metrics, /mmsc_webhook_events_total\{type="delivered",service="mmsc"\} 1/);
    t.match(metrics, /mmsc_webhook_deliveries_total\{outcome="retry",service="mmsc"\} 8/);
    t.match(metrics, /mmsc_webhook_deliveries_total\{outcome="delivered",service="mmsc"\} 8/);
  },
);

for (const backend of ['redis', 'memory'] as const)
  t.test(`an event emitted twice is one message: one POST, one eventId (${backend} store)`, async (t) => {
    const hooks = await receiver(t);
    const gw = await gateway(t, {}, backend);
    const m = restMessage(hooks.url);
    await gw.events.emit(m, { type: 'accepted', recipientIndex: 0, at: m.receivedAt });
    await gw.events.emit(m, { type: 'accepted', recipientIndex: 0, at: m.receivedAt + 5 });
    gw.workers.notify();
    await until('the event', () => hooks.got.length >= 1);
    await new Promise((r) => setTimeout(r, 300));
    t.equal(hooks.got.length, 1, 'posted once');
    t.equal(hooks.got[0]!.body.eventId, eventMessageId(m.id, 0, 'accepted'));
  });

t.test('failover: from the 3rd attempt on, events go to the failover URL (the message’s, else the account’s)', async (t) => {
  const primary = await receiver(t, () => 503);
  const failover = await receiver(t);
  const account = await receiver(t);
  const gw = await gateway(t, { webhookFailoverUrl: account.url });

  const m = restMessage(primary.url, { failoverUrl: failover.url });
  await gw.events.emit(m, { type: 'accepted', recipientIndex: 0, at: m.receivedAt });
  const n = restMessage(primary.url);
  await gw.events.emit(n, { type: 'accepted', recipientIndex: 0, at: n.receivedAt });
  gw.workers.notify();
  await until('the message’s failover URL', () => failover.got.length >= 1, 15_000);
  await until('the account’s failover URL', () => account.got.length >= 1, 15_000);
  const eventId = eventMessageId(m.id, 0, 'accepted');
  t.equal(primary.got.filter((g) => g.body.eventId === eventId).length, 2, 'the callbackUrl had two attempts');
  t.same(failover.got[0]!.body, primary.got.find((g) => g.body.eventId === eventId)!.body, 'the same event');
  t.equal(failover.got[0]!.headers['mmsc-event-id'], eventId);
  t.equal(pythonVerifies(SECRET_B, String(failover.got[0]!.headers['mmsc-signature']), failover.got[0]!.raw), 'ok', 'signed alike');
  t.equal(account.got[0]!.body.messageId, n.id, 'a message without its own failover URL: the account’s');
  t.equal(account.got.length, 1);
  const trace = await gw.store.queue.trace(eventId);
  t.equal(trace?.recipients[0]?.state, 'delivered', 'done once the failover URL answered 2xx');
});

t.test('notified: an MM1 push outcome (worker pool `notified`) becomes a notified event', async (t) => {
  const hooks = await receiver(t);
  const gw = await gateway(t);
  const m = restMessage(hooks.url);
  const job = {
    messageId: m.id,
    recipientIndex: 1,
    peer: 'mm1:notify',
    attempt: 1,
    notifications: 0,
    maxAttempts: 10,
    lease: 'l',
    leaseUntil: Date.now() + 1000,
    message: m,
  };
  // What WorkerPool.settle emits after Queue.wait (the NotifyRoute's `waiting`): the gateway's listener queues it.
  gw.workers.emit('outcome', { job, state: 'notified', detail: 'notification 1 pushed; awaiting retrieval' });
  await until('the notified event', () => hooks.got.find((g) => g.body.type === 'notified'));
  t.match(hooks.got[0]!.body, {
    eventId: eventMessageId(m.id, 1, 'notified'),
    type: 'notified',
    messageId: m.id,
    recipient: '+15550000002',
    detail: 'notification 1 pushed; awaiting retrieval',
  });
  // An MM7 (or MM1) message has no sender events: nothing queued.
  gw.workers.emit('outcome', { job: { ...job, message: { ...m, origin: { iface: 'mm7', peer: 'shop' } } }, state: 'notified' });
  await new Promise((r) => setTimeout(r, 300));
  t.equal(hooks.got.length, 1);
});

t.test('an account without webhookSecrets: unsigned events (Mmsc-Event-Id still), and a warning at start', async (t) => {
  const hooks = await receiver(t);
  const lines: Array<Record<string, unknown>> = [];
  const config = ConfigSchema.parse({
    queue: { prefix: testPrefix() },
    ops: { port: 0 },
    mm7: { port: 0, vasps: [{ id: 'shop', username: 'shop', password: 'pw-shop', senders: ['7040'] }] },
    mm1: { enabled: false },
    outbound: { allow: ['127.0.0.1/32'] },
  });
  const log = pino({ level: 'warn' }, { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) });
  const gw = new Gateway(config, log);
  await gw.start();
  await gw.whenReady();
  t.teardown(() => gw.stop());
  t.match(
    lines.find((l) => l.key === 'webhookSecrets'),
    { level: 40, vasp: 'shop', msg: /unsigned/ },
    'warned about the account',
  );
  const m = restMessage(hooks.url);
  await gw.events.emit(m, { type: 'accepted', recipientIndex: 0, at: m.receivedAt });
  gw.workers.notify();
  await until('the event', () => hooks.got[0]);
  t.equal(hooks.got[0]!.headers['mmsc-signature'], undefined, 'no signature');
  t.equal(hooks.got[0]!.headers['mmsc-event-id'], eventMessageId(m.id, 0, 'accepted'));
});
