// The worker pool (src/core/worker-pool.ts) on its own, over the embedded store with a test clock (the
// queue's due times and leases follow it; the pool's polling runs on real timers, a few ms). Routes are
// fakes of the Route port whose answers each test chooses; where a test needs to see what the pool asked of
// the store, the store's queue or throttle is wrapped by a recording spy that passes every call on.
import t, { type Test } from 'tap';
import { pino } from 'pino';
import type { Delivery, DeliveryResult, Route } from '../../src/core/router.js';
import { StaticRouter } from '../../src/core/static-router.js';
import { WorkerPool, type Outcome, type WorkerPoolOptions } from '../../src/core/worker-pool.js';
import { createMemoryStore } from '../../src/store/memory/index.js';
import type { LeasedJob, PeerLimits, Throttle, ThrottleGrant, ThrottleLease } from '../../src/core/ports.js';
import { captureLog, LEVEL } from '../helpers/log-capture.js';
import { textMessage } from '../helpers/messages.js';
import { until } from '../helpers/until.js';

const T0 = 1_700_000_000_000;
const LEASE_MS = 60_000;
const OPEN: PeerLimits = { rate: 10_000, burst: 10_000, maxInFlight: 1_000 };
const silent = pino({ level: 'silent' });

/**
 * A fake route: answers each delivery with `answer(delivery)` (a result, or a throw), keeps what it was
 * handed, and counts deliveries in progress.
 */
class FakeRoute implements Route {
  readonly deliveries: Delivery[] = [];
  inFlight = 0;
  peak = 0;
  constructor(
    readonly peer: string,
    private readonly answer: (d: Delivery) => DeliveryResult | Promise<DeliveryResult>,
    readonly limits: PeerLimits = OPEN,
  ) {}
  async send(d: Delivery): Promise<DeliveryResult> {
    this.deliveries.push(d);
    this.peak = Math.max(this.peak, ++this.inFlight);
    try {
      return await this.answer(d);
    } finally {
      this.inFlight -= 1;
    }
  }
}

/** A promise and its resolver: holds a fake delivery until the test lets it go. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

/** The embedded store on a test clock, its queue wrapped by a spy that records take, retry, ack and defer. */
function store(options: { maxAttempts?: number } = {}) {
  const clock = { now: T0 };
  const s = createMemoryStore({ now: () => clock.now, leaseMs: LEASE_MS, ...options });
  const queue = s.queue;
  const calls = {
    takes: [] as number[],
    retries: [] as { messageId: string; recipientIndex: number; attempt: number; error: string; delayMs: number }[],
    acks: [] as { messageId: string; recipientIndex: number; state: string; detail?: string }[],
    defers: [] as { messageId: string; until: number }[],
    waits: [] as { messageId: string; recipientIndex: number; detail: string; delayMs: number }[],
  };
  const take = queue.take.bind(queue);
  const retry = queue.retry.bind(queue);
  const ack = queue.ack.bind(queue);
  const defer = queue.defer.bind(queue);
  queue.take = (max, perPeer) => (calls.takes.push(max), take(max, perPeer));
  queue.retry = (job, error, delayMs) => (
    calls.retries.push({ messageId: job.messageId, recipientIndex: job.recipientIndex, attempt: job.attempt, error, delayMs }),
    retry(job, error, delayMs)
  );
  queue.ack = (job, state, detail) => (
    calls.acks.push({ messageId: job.messageId, recipientIndex: job.recipientIndex, state, ...(detail !== undefined ? { detail } : {}) }),
    ack(job, state, detail)
  );
  queue.defer = (job, at) => (calls.defers.push({ messageId: job.messageId, until: at }), defer(job, at));
  const wait = queue.wait.bind(queue);
  queue.wait = (job, detail, delayMs) => (
    calls.waits.push({ messageId: job.messageId, recipientIndex: job.recipientIndex, detail, delayMs }), wait(job, detail, delayMs)
  );
  return { clock, queue, throttle: s.throttle, calls };
}

/** A started pool polling every few ms, its outcomes collected; stopped at the end of the test. */
function pool(
  t: Test,
  o: Omit<WorkerPoolOptions, 'log'> & { log?: WorkerPoolOptions['log'] },
): { workers: WorkerPool; outcomes: Outcome[] } {
  const workers = new WorkerPool({ log: silent, minPollMs: 1, maxPollMs: 5, ...o });
  const outcomes: Outcome[] = [];
  workers.on('outcome', (x) => outcomes.push(x));
  workers.start();
  t.teardown(() => workers.stop(100));
  return { workers, outcomes };
}

const NO_JITTER = { baseMs: 1_000, factor: 3, maxMs: 60_000, jitter: 0 };

t.test('a delivered job is acked, once, with the content fetched on demand', async (t) => {
  const { clock, queue, throttle, calls } = store();
  let content: Buffer[] = [];
  const route = new FakeRoute('vasp:shop', async (d) => {
    content = await d.content();
    return { status: 'delivered', detail: 'MessageID 42' };
  });
  const { outcomes } = pool(t, { queue, throttle, router: new StaticRouter().add(() => true, route), now: () => clock.now });
  await queue.enqueue(textMessage('m1', 1, T0), [Buffer.from('hello')], [route.peer]);

  await until('the outcome', () => outcomes.length === 1);
  t.same(
    calls.acks,
    [{ messageId: 'm1', recipientIndex: 0, state: 'delivered', detail: 'MessageID 42' }],
    'acked delivered with the route detail',
  );
  t.same(calls.retries, [], 'no retry');
  t.equal(route.deliveries.length, 1);
  t.equal(route.deliveries[0]!.attempt, 1, 'first attempt');
  t.equal(route.deliveries[0]!.recipientIndex, 0);
  t.same(content.map(String), ['hello'], "content() gives the message's parts");
  t.equal((await queue.states('m1'))?.[0], 'delivered');
  t.match(outcomes[0], { state: 'delivered', detail: 'MessageID 42', job: { messageId: 'm1', recipientIndex: 0, attempt: 1 } });
});

t.test("a retry result reschedules the job after the retry policy's delay", async (t) => {
  const { clock, queue, throttle, calls } = store();
  const route = new FakeRoute('vasp:shop', (d) =>
    d.attempt < 3 ? { status: 'retry', error: `HTTP 503 (attempt ${d.attempt})` } : { status: 'delivered' },
  );
  const { outcomes } = pool(t, {
    queue,
    throttle,
    router: new StaticRouter().add(() => true, route),
    retry: NO_JITTER,
    now: () => clock.now,
  });
  await queue.enqueue(textMessage('m1', 1, T0), [Buffer.from('x')], [route.peer]);

  await until('the first retry', () => outcomes.length === 1);
  t.same(
    calls.retries,
    [{ messageId: 'm1', recipientIndex: 0, attempt: 1, error: 'HTTP 503 (attempt 1)', delayMs: 1_000 }],
    'attempt 1: the base delay',
  );
  t.match(outcomes[0], { state: 'retrying', detail: 'HTTP 503 (attempt 1)' });
  t.equal((await queue.states('m1'))?.[0], 'retrying');
  // Not due before its time: the clock stands still, so no second attempt however often the pool polls.
  const takes = calls.takes.length;
  await until('more polls', () => calls.takes.length >= takes + 3);
  t.equal(route.deliveries.length, 1, 'not tried again before the delay');

  clock.now += 1_000;
  await until('the second retry', () => outcomes.length === 2);
  t.equal(calls.retries[1]?.delayMs, 3_000, 'attempt 2: base * factor');
  clock.now += 3_000;
  await until('the delivery', () => outcomes.length === 3);
  t.same(
    route.deliveries.map((d) => d.attempt),
    [1, 2, 3],
  );
  t.same(
    outcomes.map((o) => o.state),
    ['retrying', 'retrying', 'delivered'],
  );
});

t.test("a route's retryAfterMs takes the place of the policy's delay", async (t) => {
  const { clock, queue, throttle, calls } = store();
  const route = new FakeRoute('smsc:a', () => ({ status: 'retry', error: 'ESME_RTHROTTLED', retryAfterMs: 42 }));
  const { outcomes } = pool(t, {
    queue,
    throttle,
    router: new StaticRouter().add(() => true, route),
    retry: NO_JITTER,
    now: () => clock.now,
  });
  await queue.enqueue(textMessage('m1', 1, T0), [Buffer.from('x')], [route.peer]);
  await until('the retry', () => outcomes.length === 1);
  t.equal(calls.retries[0]?.delayMs, 42);
});

t.test('a rejected result ends the job, without a retry', async (t) => {
  const { clock, queue, throttle, calls } = store();
  const route = new FakeRoute('vasp:shop', () => ({ status: 'rejected', detail: 'MM7 4004: unknown recipient' }));
  const { outcomes } = pool(t, {
    queue,
    throttle,
    router: new StaticRouter().add(() => true, route),
    retry: NO_JITTER,
    now: () => clock.now,
  });
  await queue.enqueue(textMessage('m1', 1, T0), [Buffer.from('x')], [route.peer]);

  await until('the outcome', () => outcomes.length === 1);
  t.same(calls.acks, [{ messageId: 'm1', recipientIndex: 0, state: 'rejected', detail: 'MM7 4004: unknown recipient' }]);
  t.same(calls.retries, []);
  t.match(outcomes[0], { state: 'rejected', detail: 'MM7 4004: unknown recipient' });
  t.equal((await queue.states('m1'))?.[0], 'rejected');
  clock.now += 3_600_000;
  const takes = calls.takes.length;
  await until('more polls', () => calls.takes.length >= takes + 3);
  t.equal(route.deliveries.length, 1, 'never tried again');
});

t.test('a route that throws is a retry with the error as its reason', async (t) => {
  const { clock, queue, throttle, calls } = store();
  const route = new FakeRoute('vasp:shop', () => {
    throw new Error('socket hang up');
  });
  const { outcomes } = pool(t, {
    queue,
    throttle,
    router: new StaticRouter().add(() => true, route),
    retry: NO_JITTER,
    now: () => clock.now,
  });
  await queue.enqueue(textMessage('m1', 1, T0), [Buffer.from('x')], [route.peer]);

  await until('the outcome', () => outcomes.length === 1);
  t.same(calls.retries, [{ messageId: 'm1', recipientIndex: 0, attempt: 1, error: 'socket hang up', delayMs: 1_000 }]);
  t.same(calls.acks, [], 'not ended');
  t.match(outcomes[0], { state: 'retrying', detail: 'socket hang up' });
});

t.test('no route: the job ends rejected, nothing is sent', async (t) => {
  const { clock, queue, throttle, calls } = store();
  const { outcomes } = pool(t, { queue, throttle, router: new StaticRouter(), now: () => clock.now });
  await queue.enqueue(textMessage('m1', 1, T0), [Buffer.from('x')], ['nowhere']);
  await until('the outcome', () => outcomes.length === 1);
  t.same(calls.acks, [{ messageId: 'm1', recipientIndex: 0, state: 'rejected', detail: 'no route to recipient' }]);
  t.match(outcomes[0], { state: 'rejected', detail: 'no route to recipient' });
});

t.test('the resolve hook: a refusal ends the job rejected; a throw is a retry, nothing sent', async (t) => {
  const { clock, queue, throttle, calls } = store();
  const route = new FakeRoute('mm1', () => ({ status: 'delivered' }));
  const { outcomes } = pool(t, {
    queue,
    throttle,
    router: new StaticRouter().add(() => true, route),
    retry: NO_JITTER,
    now: () => clock.now,
    resolve: async (job: LeasedJob, r) => {
      if (job.recipientIndex === 0) return { refuse: 'subscriber opted out' };
      if (job.recipientIndex === 1) throw new Error('subscriber store down');
      return r;
    },
  });
  await queue.enqueue(textMessage('m1', 3, T0), [Buffer.from('x')], ['mm1', 'mm1', 'mm1']);
  await until('three outcomes', () => outcomes.length === 3);
  const by = (i: number) => outcomes.find((o) => o.job.recipientIndex === i);
  t.match(by(0), { state: 'rejected', detail: 'subscriber opted out' });
  t.match(by(1), { state: 'retrying', detail: 'route not resolved: subscriber store down' });
  t.match(by(2), { state: 'delivered' });
  t.same(
    route.deliveries.map((d) => d.recipientIndex),
    [2],
    'only the resolved recipient was sent to',
  );
  t.equal(calls.retries.length, 1);
});

t.test('the last attempt dead-letters the job and says so in one warning', async (t) => {
  const { clock, queue, throttle } = store({ maxAttempts: 2 });
  const route = new FakeRoute('vasp:down', (d) => ({ status: 'retry', error: `HTTP 502 (attempt ${d.attempt})` }));
  const cap = captureLog('debug');
  const m = textMessage('m1', 1, T0);
  const { outcomes } = pool(t, {
    queue,
    throttle,
    router: new StaticRouter().add(() => true, route),
    retry: NO_JITTER,
    now: () => clock.now,
    log: cap.log,
  });
  await queue.enqueue(m, [Buffer.from('x')], [route.peer]);

  await until('the first retry', () => outcomes.length === 1);
  clock.now += 1_000;
  await until('the second outcome', () => outcomes.length === 2);
  t.same(
    outcomes.map((o) => o.state),
    ['retrying', 'failed'],
    'attempt 2 of 2 fails the job',
  );
  t.equal(outcomes[1]!.detail, 'HTTP 502 (attempt 2)');
  t.match(await queue.deadLetters(), [
    { messageId: 'm1', recipientIndex: 0, peer: 'vasp:down', attempts: 2, error: 'HTTP 502 (attempt 2)' },
  ]);
  t.equal((await queue.states('m1'))?.[0], 'failed');
  const dead = cap.lines.filter((l) => /dead-letter/i.test(l.msg));
  t.equal(dead.length, 1, 'one line');
  t.equal(dead[0]?.level, LEVEL.warn);
  t.match(dead[0], {
    messageId: 'm1',
    recipient: m.recipients[0]!.address,
    peer: 'vasp:down',
    attempts: 2,
    reason: 'HTTP 502 (attempt 2)',
  });
  clock.now += 3_600_000;
  const n = route.deliveries.length;
  await new Promise((r) => setTimeout(r, 30));
  t.equal(route.deliveries.length, n, 'no attempt after the last');
});

t.test(
  'a waiting result: notified, no attempt used, looked at again after retryAfterMs; a failed retry uses no notification',
  async (t) => {
    const { clock, queue, throttle, calls } = store({ maxAttempts: 2 });
    const answers: DeliveryResult[] = [
      { status: 'waiting', detail: 'notification 1 pushed', retryAfterMs: 5_000 },
      { status: 'retry', error: 'SMSC down' },
      { status: 'waiting', detail: 'notification 2 pushed', retryAfterMs: 5_000 },
      { status: 'waiting', detail: 'notified 2 times' },
    ];
    const route = new FakeRoute('mm1:notify', () => answers.shift() ?? { status: 'rejected', detail: 'one delivery too many' });
    const { outcomes } = pool(t, {
      queue,
      throttle,
      router: new StaticRouter().add(() => true, route),
      retry: NO_JITTER,
      now: () => clock.now,
    });
    const m = textMessage('m1', 1, T0, { deliveryReport: true });
    await queue.enqueue(m, [Buffer.from('x')], [route.peer]);

    await until('the first outcome', () => outcomes.length === 1);
    t.match(outcomes[0], { state: 'notified', detail: 'notification 1 pushed' });
    t.equal((await queue.states('m1'))?.[0], 'notified', 'notified, not retrying');
    t.same(calls.waits, [{ messageId: 'm1', recipientIndex: 0, detail: 'notification 1 pushed', delayMs: 5_000 }]);
    t.same(calls.retries, [], 'no retry');
    clock.now += 5_000;
    await until('the failed re-notification', () => outcomes.length === 2);
    t.match(outcomes[1], { state: 'retrying', detail: 'SMSC down' });
    t.equal(calls.retries[0]?.delayMs, 1_000, "the policy's first delay: the wait used no attempt");
    clock.now += 1_000;
    await until('the second notification', () => outcomes.length === 3);
    t.match(outcomes[2], { state: 'notified', detail: 'notification 2 pushed' });
    clock.now += 5_000;
    await until('the last look', () => outcomes.length === 4);
    t.match(outcomes[3], { state: 'notified', detail: 'notified 2 times' });
    t.same(
      route.deliveries.map((d) => [d.attempt, d.notifications]),
      [
        [1, 0],
        [1, 1],
        [2, 1],
        [2, 2],
      ],
      'attempts count the failure only; notifications the waits',
    );
    t.equal(calls.waits[2]?.delayMs, m.expiresAt - clock.now, 'no retryAfterMs: not before the expiry');
    t.same(await queue.deadLetters(), [], 'attempt 2 of 2 waited: not dead-lettered');

    clock.now = m.expiresAt - 1;
    const takes = calls.takes.length;
    await until('more polls', () => calls.takes.length >= takes + 3);
    t.equal(route.deliveries.length, 4, 'not looked at again before the expiry');
    t.equal((await queue.states('m1'))?.[0], 'notified');
    clock.now = m.expiresAt;
    await until('expired', async () => (await queue.states('m1'))?.[0] === 'expired');
    t.match(await queue.finalEvents(10), [
      { messageId: 'm1', recipientIndex: 0, state: 'expired', detail: 'expired before retrieval (notifications: 3)' },
    ]);
    t.equal(route.deliveries.length, 4);
  },
);

t.test('never more than `concurrency` deliveries in flight', async (t) => {
  const { clock, queue, throttle, calls } = store();
  const held: (() => void)[] = [];
  const route = new FakeRoute('vasp:shop', async () => {
    const g = gate();
    held.push(g.open);
    await g.promise;
    return { status: 'delivered' };
  });
  const { workers, outcomes } = pool(t, {
    queue,
    throttle,
    router: new StaticRouter().add(() => true, route),
    concurrency: 3,
    batch: 32,
    now: () => clock.now,
  });
  await queue.enqueue(textMessage('m1', 10, T0), [Buffer.from('x')], Array(10).fill(route.peer));

  // Let the held deliveries go one at a time, each once the pool has filled its slots again.
  t.teardown(() => held.forEach((open) => open()));
  for (let done = 0; done < 10; done++) {
    await until(`deliveries ${done + 1}..${Math.min(10, done + 3)} in flight`, () => route.inFlight >= Math.min(3, 10 - done));
    if (!t.ok(route.inFlight <= 3 && workers.inFlight <= 3, `no more than 3 in flight (${route.inFlight})`)) break;
    held.shift()!();
    await until('its outcome', () => outcomes.length === done + 1);
  }
  t.equal(route.peak, 3, 'three at once at most, and three reached');
  t.ok(
    calls.takes.every((max) => max <= 3),
    `never asked the store for more jobs than free slots (asked ${calls.takes.join(',')})`,
  );
  t.equal(calls.acks.length, 10);
});

/** A fake Throttle: grants every delivery of the peers in `open`, none of the others; records each call. */
class FakeThrottle implements Throttle {
  readonly acquired: { peer: string; leases: number; limits: PeerLimits }[] = [];
  readonly released: { peer: string; lease: string }[] = [];
  constructor(private readonly open: ReadonlySet<string>) {}
  async acquire(peer: string, leases: readonly ThrottleLease[], limits: PeerLimits): Promise<ThrottleGrant> {
    this.acquired.push({ peer, leases: leases.length, limits });
    return this.open.has(peer)
      ? { granted: leases.length, retryAfterMs: 0, waitMs: leases.map(() => 0) }
      : { granted: 0, retryAfterMs: 500, waitMs: [] };
  }
  async release(peer: string, lease: string): Promise<void> {
    this.released.push({ peer, lease });
  }
  async close(): Promise<void> {}
}

t.test("the throttle is asked per peer with that peer's limits; a throttled peer's jobs are deferred, not sent", async (t) => {
  const { clock, queue, calls } = store();
  const slowLimits = { rate: 2, burst: 1, maxInFlight: 1 };
  const fastLimits = { rate: 500, burst: 50, maxInFlight: 20 };
  const slow = new FakeRoute('smsc:slow', () => ({ status: 'delivered' }), slowLimits);
  const fast = new FakeRoute('vasp:fast', () => ({ status: 'delivered' }), fastLimits);
  const throttle = new FakeThrottle(new Set(['vasp:fast']));
  // Recipients 0 and 1 go to the slow peer, 2..4 to the fast one.
  const router = new StaticRouter().add((_m, i) => i < 2, slow).add(() => true, fast);
  const { outcomes } = pool(t, { queue, throttle, router, now: () => clock.now });
  await queue.enqueue(textMessage('m1', 5, T0), [Buffer.from('x')], ['smsc:slow', 'smsc:slow', 'vasp:fast', 'vasp:fast', 'vasp:fast']);

  await until('five outcomes', () => outcomes.length === 5);
  const first = throttle.acquired.slice(0, 2).sort((a, b) => a.peer.localeCompare(b.peer));
  t.same(
    first,
    [
      { peer: 'smsc:slow', leases: 2, limits: slowLimits },
      { peer: 'vasp:fast', leases: 3, limits: fastLimits },
    ],
    "one request per peer, for that peer's jobs, with its limits",
  );
  t.ok(
    throttle.acquired.every((a) => (a.peer === 'smsc:slow' ? a.limits === slowLimits : a.limits === fastLimits)),
    'limits never mixed up',
  );
  t.equal(slow.deliveries.length, 0, 'nothing sent to the throttled peer');
  t.equal(fast.deliveries.length, 3);
  t.same(
    outcomes
      .filter((o) => o.state === 'deferred')
      .map((o) => o.job.recipientIndex)
      .sort(),
    [0, 1],
    'the throttled jobs deferred',
  );
  t.ok(
    calls.defers.every((d) => d.until >= T0 + 500),
    "deferred until at least the throttle's retryAfterMs",
  );
  t.same(calls.retries, [], 'deferring is not a retry');
  const states = await queue.states('m1');
  t.same(states, ['deferred', 'deferred', 'delivered', 'delivered', 'delivered']);
  t.equal(throttle.released.filter((r) => r.peer === 'vasp:fast').length, 3, "each delivered job's slot given back");
});

t.test('stop() waits for the deliveries in progress', async (t) => {
  const { clock, queue, throttle } = store();
  const g = gate();
  const route = new FakeRoute('vasp:shop', async () => (await g.promise, { status: 'delivered' }));
  const { workers, outcomes } = pool(t, { queue, throttle, router: new StaticRouter().add(() => true, route), now: () => clock.now });
  await queue.enqueue(textMessage('m1', 1, T0), [Buffer.from('x')], [route.peer]);
  await until('the delivery started', () => route.inFlight === 1);

  const order: string[] = [];
  workers.on('outcome', (o) => order.push(`outcome ${o.state}`));
  const stopped = workers.stop(10_000).then(() => order.push('stopped'));
  await new Promise((r) => setImmediate(r));
  t.same(order, [], 'stop() has not returned while the delivery runs');
  g.open();
  await stopped;
  t.same(order, ['outcome delivered', 'stopped'], 'the delivery settled before stop() returned');
  t.equal((await queue.states('m1'))?.[0], 'delivered');

  // Stopped: a new message is not taken.
  await queue.enqueue(textMessage('m2', 1, T0), [Buffer.from('x')], [route.peer]);
  await new Promise((r) => setTimeout(r, 30));
  t.equal(route.deliveries.length, 1, 'nothing taken after stop');
  t.equal((await queue.states('m2'))?.[0], 'queued');
  t.equal(outcomes.length, 1);
});

t.test('a delivery still running after the grace keeps its lease; the job is handed out again when it ends', async (t) => {
  const { clock, queue, throttle } = store();
  const route = new FakeRoute('vasp:stuck', () => new Promise<DeliveryResult>(() => undefined)); // never answers
  const { workers } = pool(t, { queue, throttle, router: new StaticRouter().add(() => true, route), now: () => clock.now });
  await queue.enqueue(textMessage('m1', 1, T0), [Buffer.from('x')], [route.peer]);
  await until('the delivery started', () => route.inFlight === 1);

  await workers.stop(20);
  t.equal((await queue.states('m1'))?.[0], 'delivering', 'not settled: still leased to the stopped pool');
  t.same(await queue.take(10), [], 'not handed out while the lease runs');
  clock.now += LEASE_MS + 1;
  const [again] = await queue.take(10);
  t.match(again, { messageId: 'm1', recipientIndex: 0, attempt: 2 }, 'handed out again after the lease (at-least-once)');
});
