// Frequency caps and quiet hours for marketing traffic (src/core/marketing-policy.ts) through a real worker
// pool over the embedded store on a test clock (the queue's due times follow it; the pool polls on real
// timers, a few ms), with the real time zone data (PhoneTimeZones) and the embedded FrequencyStore. The
// route is a fake of the Route port that delivers. Proved: quiet hours defer a marketing job to 08:00 New
// York time (across the DST change of 2026-03-08), its peer going on (a transactional message to the same
// number and peer is delivered meanwhile); a deferral past the expiry ends `expired`; over a daily cap the
// job is deferred until the window frees up, or refused `frequency-capped`; transactional traffic is never
// capped, deferred or counted; the sender's own rules before `*`; the metrics hook hears each decision; counts
// that cannot be read (Redis down) make a retry, never an uncounted send.
import { Redis } from 'ioredis';
import t, { type Test } from 'tap';
import { pino } from 'pino';
import { type MarketingRules, marketingPolicy, thenResolve } from '../../src/core/marketing-policy.js';
import type { CoreMessage } from '../../src/core/message.js';
import { PhoneTimeZones } from '../../src/core/phone-time-zones.js';
import type { Delivery, DeliveryResult, Route } from '../../src/core/router.js';
import { StaticRouter } from '../../src/core/static-router.js';
import { subscriberPolicy } from '../../src/core/subscriber-policy.js';
import { type Outcome, WorkerPool } from '../../src/core/worker-pool.js';
import { createMemoryStore } from '../../src/store/memory/index.js';
import { RedisFrequency } from '../../src/store/redis/frequency.js';
import { freePort } from '../helpers/free-port.js';
import { testPrefix } from '../helpers/redis.js';
import { textMessage } from '../helpers/messages.js';
import { until } from '../helpers/until.js';

const silent = pino({ level: 'silent' });
const H = 3_600_000;
const NY_NUMBER = '+12125550123';
const SENDER = '12345';
const NIGHT = { start: '21:00', end: '08:00' };
const zones = new PhoneTimeZones();

class DeliveringRoute implements Route {
  readonly peer = 'mm1:notify';
  readonly limits = { rate: 10_000, burst: 10_000, maxInFlight: 1_000 };
  readonly delivered: string[] = [];
  async send(d: Delivery): Promise<DeliveryResult> {
    this.delivered.push(d.message.id);
    return { status: 'delivered' };
  }
}

function setup(t: Test, start: string, rules: Record<string, MarketingRules>) {
  const clock = { now: Date.parse(start) };
  const store = createMemoryStore({ now: () => clock.now });
  const route = new DeliveringRoute();
  const observed: string[] = [];
  const marketing = marketingPolicy({
    rulesFor: (sender) => rules[sender] ?? rules['*'],
    frequency: store.frequency,
    zones,
    now: () => clock.now,
    observe: (action, reason) => observed.push(`${action}:${reason}`),
  });
  const resolve = thenResolve(subscriberPolicy({ subscribers: store.subscribers, textRoute: () => undefined }), marketing);
  const workers = new WorkerPool({
    queue: store.queue,
    throttle: store.throttle,
    router: new StaticRouter().add(() => true, route),
    log: silent,
    minPollMs: 1,
    maxPollMs: 5,
    now: () => clock.now,
    resolve,
  });
  const outcomes: Outcome[] = [];
  workers.on('outcome', (o) => outcomes.push(o));
  workers.start();
  t.teardown(async () => {
    await workers.stop(100);
    await store.queue.close();
  });
  const send = async (id: string, trafficClass: 'marketing' | 'transactional', o: Partial<CoreMessage> = {}) => {
    const m = textMessage(id, 1, clock.now, {
      originator: { address: SENDER, type: 'shortcode' },
      recipients: [{ address: NY_NUMBER, type: 'plmn', kind: 'to' }],
      sender: { trafficClass },
      ...o,
    });
    await store.queue.enqueue(m, [Buffer.from('x')], [route.peer]);
    workers.notify();
  };
  const outcome = (id: string, state: string) =>
    until(`${id} ${state}`, () => outcomes.find((o) => o.job.messageId === id && o.state === state));
  return { clock, store, route, observed, outcomes, send, outcome };
}

/** Let the pool poll a while (real ms) and say whether `id` was delivered. */
async function settleFor(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

t.test('quiet hours: deferred to 08:00 local (the night DST starts), the peer going on, then delivered', async (t) => {
  // 22:00 EST on 2026-03-07; 08:00 the next morning is EDT: 12:00Z.
  const s = setup(t, '2026-03-08T03:00:00Z', { '*': { overCap: 'defer', quietHours: NIGHT, fallbackTimeZone: 'UTC' } });
  await s.send('promo', 'marketing');
  const deferred = await s.outcome('promo', 'deferred');
  t.match(deferred.detail, /^quiet hours 21:00-08:00: until 2026-03-08T12:00:00.000Z \(08:00 America\/New_York\)$/);
  const history = await s.store.queue.history('promo', 0);
  t.match(history.at(-1), { state: 'deferred', detail: deferred.detail }, 'the history says why');
  // A transactional message to the same number and peer: delivered at once (quiet hours are marketing's).
  await s.send('receipt', 'transactional');
  await s.outcome('receipt', 'delivered');
  s.clock.now = Date.parse('2026-03-08T11:59:59Z');
  await settleFor(50);
  t.same(s.route.delivered, ['receipt'], 'not before 08:00 local');
  s.clock.now = Date.parse('2026-03-08T12:00:00Z');
  await s.outcome('promo', 'delivered');
  t.same(s.route.delivered, ['receipt', 'promo']);
  t.same(s.observed, ['deferred:quiet-hours']);
});

t.test('a deferral past the expiry: the queue expires the job, it is never sent', async (t) => {
  const s = setup(t, '2026-06-16T03:00:00Z', { '*': { overCap: 'defer', quietHours: NIGHT, fallbackTimeZone: 'UTC' } });
  await s.send('late', 'marketing', { expiresAt: Date.parse('2026-06-16T05:00:00Z') });
  await s.outcome('late', 'deferred');
  s.clock.now = Date.parse('2026-06-16T05:00:01Z');
  await until('expired', async () => (await s.store.queue.states('late'))?.[0] === 'expired');
  s.clock.now = Date.parse('2026-06-16T12:00:00Z');
  await settleFor(50);
  t.same(s.route.delivered, [], 'never delivered');
});

t.test('over a daily cap: deferred until the window frees up, then delivered', async (t) => {
  const s = setup(t, '2026-06-16T16:00:00Z', { [SENDER]: { overCap: 'defer', maxPerDay: 1, fallbackTimeZone: 'UTC' } });
  await s.send('first', 'marketing');
  await s.outcome('first', 'delivered');
  s.clock.now += H;
  await s.send('second', 'marketing');
  const d = await s.outcome('second', 'deferred');
  t.equal(d.detail, 'frequency cap: 1 a day, until 2026-06-17T16:00:00.000Z');
  await s.send('receipt', 'transactional');
  await s.outcome('receipt', 'delivered');
  s.clock.now = Date.parse('2026-06-17T16:00:00Z');
  await s.outcome('second', 'delivered');
  t.same(s.route.delivered, ['first', 'receipt', 'second']);
  t.same(s.observed, ['deferred:frequency-cap']);
});

t.test('a cap deferral whose window frees up in quiet hours goes to their end (DST moves it)', async (t) => {
  // The first sent at 20:30 EST on 2026-03-07 (01:30Z): its window frees 24 h later, 01:30Z on March 9,
  // which is 21:30 EDT (the clocks went forward): quiet, so the second waits for 08:00 EDT (12:00Z).
  const rules = { '*': { overCap: 'defer' as const, maxPerDay: 1, quietHours: NIGHT, fallbackTimeZone: 'UTC' } };
  const s = setup(t, '2026-03-08T01:30:00Z', rules);
  await s.send('first', 'marketing');
  await s.outcome('first', 'delivered');
  s.clock.now = Date.parse('2026-03-08T01:45:00Z');
  await s.send('second', 'marketing');
  const d = await s.outcome('second', 'deferred');
  t.equal(d.detail, 'frequency cap: 1 a day, until 2026-03-09T12:00:00.000Z');
});

t.test('over a cap with overCap refuse: rejected frequency-capped', async (t) => {
  const s = setup(t, '2026-06-16T16:00:00Z', { '*': { overCap: 'refuse', maxPerWeek: 1, fallbackTimeZone: 'UTC' } });
  await s.send('first', 'marketing');
  await s.outcome('first', 'delivered');
  await s.send('second', 'marketing');
  const r = await s.outcome('second', 'rejected');
  t.match(r.detail, /^frequency-capped: /);
  t.equal((await s.store.queue.states('second'))?.[0], 'rejected');
  t.same(s.observed, ['refused:frequency-cap']);
});

t.test('transactional traffic: never capped, deferred or counted', async (t) => {
  const s = setup(t, '2026-03-08T03:00:00Z', { '*': { overCap: 'refuse', maxPerDay: 1, quietHours: NIGHT, fallbackTimeZone: 'UTC' } });
  for (const id of ['t1', 't2', 't3']) await s.send(id, 'transactional');
  await until('three delivered', () => s.route.delivered.length === 3);
  t.same(s.observed, [], 'no decision of the policy');
  // Out of quiet hours a marketing message still has its one place: the transactional ones were not counted.
  s.clock.now = Date.parse('2026-03-08T16:00:00Z');
  await s.send('promo', 'marketing');
  await s.outcome('promo', 'delivered');
});

t.test('rules: the sender’s own before *, none for a sender without either', async (t) => {
  const policy = marketingPolicy({
    rulesFor: (sender) => ({ '777': { overCap: 'refuse' as const, maxPerDay: 1, fallbackTimeZone: 'UTC' } })[sender],
    frequency: createMemoryStore().frequency,
    zones,
    now: () => Date.parse('2026-06-16T16:00:00Z'),
  });
  const route = new DeliveringRoute();
  const job = (id: string, sender: string, address = NY_NUMBER, type: 'plmn' | 'email' = 'plmn') => ({
    messageId: id,
    recipientIndex: 0,
    peer: route.peer,
    attempt: 1,
    maxAttempts: 3,
    notifications: 0,
    lease: 'l',
    leaseUntil: 0,
    message: textMessage(id, 1, 0, {
      originator: { address: sender, type: 'shortcode' },
      recipients: [{ address, type, kind: 'to' }],
      sender: { trafficClass: 'marketing' },
    }),
  });
  t.equal(await policy(job('a', '777'), route), route);
  t.match(await policy(job('b', '777'), route), { refuse: /^frequency-capped/ });
  t.equal(await policy(job('c', '888'), route), route, 'another sender: no rules');
  t.equal(await policy(job('d', '777'), undefined), undefined, 'no route: nothing to decide, nothing counted');
});

t.test('an unknown zone: the fallback zone', async (t) => {
  const rules: MarketingRules = { overCap: 'defer', quietHours: NIGHT, fallbackTimeZone: 'Asia/Tokyo' };
  // 23:00 in Tokyo (UTC+9) = 14:00Z: quiet there until 08:00 = 23:00Z.
  const policy = marketingPolicy({
    rulesFor: () => rules,
    frequency: createMemoryStore().frequency,
    zones,
    now: () => Date.parse('2026-06-16T14:00:00Z'),
  });
  const route = new DeliveringRoute();
  const m = textMessage('e', 1, 0, {
    recipients: [{ address: 'someone@example.net', type: 'email', kind: 'to' }],
    sender: { trafficClass: 'marketing' },
  });
  const job = {
    messageId: 'e',
    recipientIndex: 0,
    peer: 'p',
    attempt: 1,
    maxAttempts: 3,
    notifications: 0,
    lease: 'l',
    leaseUntil: 0,
    message: m,
  };
  t.match(await policy(job, route), { defer: Date.parse('2026-06-16T23:00:00Z') });
  const unknownRange = { ...job, message: { ...m, recipients: [{ address: '+999123456', type: 'plmn' as const, kind: 'to' as const }] } };
  t.match(await policy(unknownRange, route), { defer: Date.parse('2026-06-16T23:00:00Z') }, 'a number without zone data');
});

t.test('the counts cannot be read (Redis down): the job is retried, never sent uncounted', async (t) => {
  // A Redis client on a loopback port where nothing listens: every call fails at once.
  const port = await freePort();
  const redis = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => {});
  t.teardown(() => redis.disconnect());
  const clock = { now: Date.parse('2026-06-16T16:00:00Z') };
  const store = createMemoryStore({ now: () => clock.now });
  const route = new DeliveringRoute();
  const workers = new WorkerPool({
    queue: store.queue,
    throttle: store.throttle,
    router: new StaticRouter().add(() => true, route),
    log: silent,
    minPollMs: 1,
    maxPollMs: 5,
    now: () => clock.now,
    resolve: marketingPolicy({
      rulesFor: () => ({ overCap: 'defer', maxPerDay: 5, fallbackTimeZone: 'UTC' }),
      frequency: new RedisFrequency(redis, testPrefix()),
      zones,
      now: () => clock.now,
    }),
  });
  const outcomes: Outcome[] = [];
  workers.on('outcome', (o) => outcomes.push(o));
  workers.start();
  t.teardown(async () => {
    await workers.stop(100);
    await store.queue.close();
  });
  const m = textMessage('promo', 1, clock.now, { sender: { trafficClass: 'marketing' } });
  await store.queue.enqueue(m, [Buffer.from('x')], [route.peer]);
  const retry = await until('a retry', () => outcomes.find((o) => o.state === 'retrying'));
  t.match(retry.detail, /^route not resolved: /);
  t.same(route.delivered, [], 'not sent');
});
