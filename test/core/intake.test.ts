// Core intake (src/core/intake.ts), the one way every edge accepts a message, over the embedded store: the
// sender's inbound throttle and its key, refusals from the catalogue (throttled, store-unavailable,
// unroutable), the unroutable policy both ways, and a message stored only when it is accepted.
import pino from 'pino';
import t from 'tap';
import { Intake, type IntakeResult, type SubmitRequest, throttleKey, UNROUTED } from '../../src/core/intake.js';
import type { CoreMessage } from '../../src/core/message.js';
import { buildMessage, textPart } from '../../src/core/message-builder.js';
import { Refusal } from '../../src/core/refusals.js';
import type { Route, Router } from '../../src/core/router.js';
import { createMemoryStore } from '../../src/store/memory/index.js';
import type { PeerLimits, Queue, Throttle, ThrottleLease } from '../../src/core/ports.js';

const log = pino({ level: 'silent' });

/** Routes numbers starting +1555 to peer 'local'; nothing else has a route. */
const router: Router = {
  route: (m: CoreMessage, i: number): Route | undefined =>
    m.recipients[i]?.address.startsWith('+1555')
      ? { peer: 'local', limits: { rate: 10, burst: 10, maxInFlight: 1 }, send: async () => ({ status: 'delivered' }) }
      : undefined,
};

/** A text message to `to`, as an edge's build makes it. */
function build(to: string[]): SubmitRequest['build'] {
  return (id, now) => ({
    message: buildMessage({
      id,
      now,
      originator: { address: '+15550000001', type: 'plmn' },
      recipients: to.map((address) => ({ address, type: 'plmn', kind: 'to' })),
      origin: { iface: 'mm7', peer: 'shop' },
      parts: [textPart('hello')],
      lifetime: { defaultMs: 3_600_000 },
    }),
    content: [Buffer.from('hello')],
  });
}

/** The embedded store's throttle, noting the key and leases of every acquire. */
function recording(inner: Throttle): Throttle & { calls: { peer: string; leases: readonly ThrottleLease[] }[] } {
  const calls: { peer: string; leases: readonly ThrottleLease[] }[] = [];
  return {
    calls,
    acquire: (peer: string, leases: readonly ThrottleLease[], limits: PeerLimits) => (
      calls.push({ peer, leases }), inner.acquire(peer, leases, limits)
    ),
    release: (peer: string, lease: string) => inner.release(peer, lease),
    close: () => inner.close(),
  };
}

function setup(overrides: { queue?: Queue; throttle?: Throttle } = {}) {
  const store = createMemoryStore();
  const throttle = recording(overrides.throttle ?? store.throttle);
  const queue = overrides.queue ?? store.queue;
  const intake = new Intake({ queue, throttle, router, log });
  return { intake, queue: store.queue, throttle };
}

const roomy = { limits: { rate: 1000, burst: 1000, maxInFlight: 10 }, slotMs: 60_000 };

function refusal(r: IntakeResult): Refusal {
  if (r.ok) throw new Error(`accepted (${r.messageId}), a refusal was expected`);
  return r.refusal;
}

t.test('the throttle key of each kind of sender: the Redis key strings the edges used before', async (t) => {
  t.equal(throttleKey({ kind: 'vasp', id: 'shop' }), 'mm7-in:shop', 'a VASP (MM7 and REST share it)');
  t.equal(throttleKey({ kind: 'subscriber', id: '+15550000001' }), 'mm1-sub:+15550000001', 'a handset (MM1)');
  t.equal(throttleKey({ kind: 'smsc', id: 'smsc-a' }), 'smpp-in:smsc-a');
  t.equal(throttleKey({ kind: 'carrier', id: 'peer.example' }), 'mm4-in:peer.example');

  const { intake, throttle } = setup();
  for (const from of [
    { kind: 'vasp', id: 'shop' },
    { kind: 'subscriber', id: '+15550000001' },
  ] as const) {
    t.ok((await intake.submit({ from, throttle: roomy, unroutable: 'refuse', build: build(['+15551000001']) })).ok);
  }
  t.same(
    throttle.calls.map((c) => c.peer),
    ['mm7-in:shop', 'mm1-sub:+15550000001'],
    'each submission takes its slot under its sender key',
  );
});

t.test('the cost of a submission is taken at once, in one slot; no throttle given: none consulted', async (t) => {
  const { intake, throttle } = setup();
  const from = { kind: 'subscriber', id: '+15550000001' } as const;
  const to = ['+15551000001', '+15551000002', '+15551000003'];
  t.ok((await intake.submit({ from, throttle: { ...roomy, cost: 3 }, unroutable: 'refuse', build: build(to) })).ok);
  t.equal(throttle.calls.length, 1);
  t.match(throttle.calls[0]!.leases, [{ cost: 3 }], 'one lease of cost 3');
  t.ok((await intake.submit({ from, unroutable: 'refuse', build: build(to) })).ok);
  t.equal(throttle.calls.length, 1, 'unthrottled: the throttle is not asked');
});

t.test("over the sender's limit: refused 'throttled' with the wait, and nothing is built or stored", async (t) => {
  const { intake, queue } = setup();
  const limit = { limits: { rate: 0.001, burst: 1, maxInFlight: 10 }, slotMs: 60_000 };
  const from = { kind: 'vasp', id: 'shop' } as const;
  t.ok((await intake.submit({ from, throttle: limit, unroutable: 'refuse', build: build(['+15551000001']) })).ok, 'the burst of 1');
  let built = false;
  const r = await intake.submit({
    from,
    throttle: limit,
    unroutable: 'refuse',
    messageId: 'second',
    build: (id, now) => ((built = true), build(['+15551000001'])(id, now)),
  });
  const refused = refusal(r);
  t.ok(refused instanceof Refusal);
  t.equal(refused.code, 'throttled');
  t.ok((refused.retryAfterMs ?? 0) > 0, `retryAfterMs ${refused.retryAfterMs}`);
  t.match(refused.message, /^throughput limit of VASP shop reached: retry in \d+ ms$/, "MM7's StatusText, as before");
  t.equal(built, false, 'the request was not built');
  t.equal(await queue.message('second'), undefined, 'nothing stored');

  const handset = await intake.submit({
    from: { kind: 'subscriber', id: '+15550000001' },
    throttle: { ...limit, cost: 2 },
    unroutable: 'refuse',
    build: build(['+15551000001', '+15551000002']),
  });
  t.match(refusal(handset).message, /^too many messages from this subscriber; retry in \d+ s$/, "a handset's user reads seconds");
});

t.test('the slot is given back once the submission is stored or refused', async (t) => {
  const { intake } = setup();
  const one = { limits: { rate: 1000, burst: 1000, maxInFlight: 1 }, slotMs: 60_000 };
  const from = { kind: 'vasp', id: 'shop' } as const;
  t.ok((await intake.submit({ from, throttle: one, unroutable: 'refuse', build: build(['+15551000001']) })).ok);
  t.equal(refusal(await intake.submit({ from, throttle: one, unroutable: 'refuse', build: build(['+4930123']) })).code, 'unroutable');
  t.ok((await intake.submit({ from, throttle: one, unroutable: 'refuse', build: build(['+15551000001']) })).ok, 'the cap of 1 is free');
});

t.test("a store that cannot take the message: refused 'store-unavailable', transient", async (t) => {
  const store = createMemoryStore();
  const failing = Object.create(store.queue) as Queue;
  failing.enqueue = () => Promise.reject(new Error('ECONNREFUSED'));
  const { intake } = setup({ queue: failing });
  const r = refusal(
    await intake.submit({ from: { kind: 'vasp', id: 'shop' }, throttle: roomy, unroutable: 'refuse', build: build(['+15551000001']) }),
  );
  t.equal(r.code, 'store-unavailable');
  t.equal(r.entry.transient, true);
  t.equal(r.entry.mm7, 3001);

  // The throttle lives in the same store: when it cannot be reached, neither can the queue.
  const down: Throttle = {
    acquire: () => Promise.reject(new Error('ECONNREFUSED')),
    release: () => Promise.reject(new Error('ECONNREFUSED')),
    close: async () => {},
  };
  const { intake: noThrottle, queue } = setup({ throttle: down });
  const r2 = await noThrottle.submit({
    from: { kind: 'vasp', id: 'shop' },
    throttle: roomy,
    unroutable: 'refuse',
    messageId: 'x',
    build: build(['+15551000001']),
  });
  t.equal(refusal(r2).code, 'store-unavailable');
  t.equal(await queue.message('x'), undefined);
});

t.test("unroutable 'enqueue-rejected': accepted, the recipient queued under UNROUTED for the worker to reject", async (t) => {
  const { intake, queue } = setup();
  const r = await intake.submit({
    from: { kind: 'vasp', id: 'shop' },
    throttle: roomy,
    unroutable: 'enqueue-rejected',
    build: build(['+15551000001', '+4930123']),
  });
  if (!r.ok) return t.fail(`refused: ${r.refusal.message}`);
  t.equal(r.recipients, 2);
  const jobs = await queue.take(10);
  t.same(jobs.map((j) => [j.recipientIndex, j.peer]).sort(), [
    [0, 'local'],
    [1, UNROUTED],
  ]);
});

t.test("unroutable 'refuse': refused 'unroutable' naming the recipient, nothing stored", async (t) => {
  const { intake, queue } = setup();
  const r = await intake.submit({
    from: { kind: 'subscriber', id: '+15550000001' },
    throttle: roomy,
    unroutable: 'refuse',
    messageId: 'm1',
    build: build(['+15551000001', '+4930123']),
  });
  if (r.ok) return t.fail('accepted');
  t.equal(r.refusal.code, 'unroutable');
  t.equal(r.refusal.message, 'recipient +4930123 cannot be reached from this MMSC');
  t.same(r.recipient, { address: '+4930123', type: 'plmn', kind: 'to' });
  t.same(r.refusal.entry.mm1, { v10: 'Error-sending-address-unresolved', v11: 'Error-permanent-sending-address-unresolved' });
  t.equal(await queue.message('m1'), undefined, 'nothing stored');
  t.same(await queue.take(10), [], 'no job');
});

t.test('accepted only once stored: the answer waits for the enqueue, and the message is there with its id', async (t) => {
  const store = createMemoryStore();
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const slow = Object.create(store.queue) as Queue;
  slow.enqueue = async (...args) => {
    await gate;
    return store.queue.enqueue(...args);
  };
  const intake = new Intake({ queue: slow, throttle: store.throttle, router, log });
  let answered = false;
  const pending = intake
    .submit({
      from: { kind: 'vasp', id: 'shop' },
      throttle: roomy,
      unroutable: 'refuse',
      messageId: 'chosen',
      build: build(['+15551000001']),
    })
    .then((r) => ((answered = true), r));
  await new Promise((r) => setTimeout(r, 20));
  t.equal(answered, false, 'not answered while the enqueue is pending');
  release();
  t.same(await pending, { ok: true, messageId: 'chosen', recipients: 1 }, "the edge's id is kept");
  t.equal((await store.queue.message('chosen'))?.id, 'chosen');
  t.same(await store.queue.states('chosen'), ['queued']);

  const drawn = await intake.submit({ from: { kind: 'vasp', id: 'shop' }, unroutable: 'refuse', build: build(['+15551000001']) });
  if (!drawn.ok) return t.fail('refused');
  t.match(drawn.messageId, /^[0-9a-z]+-[0-9a-f]{16}$/, 'no id given: a new one');
  t.ok(await store.queue.message(drawn.messageId));
});

t.test("the build's refusals are answered; its other errors are thrown; nothing is stored either way", async (t) => {
  const { intake, queue } = setup();
  const from = { kind: 'vasp', id: 'shop' } as const;
  const r = await intake.submit({
    from,
    throttle: roomy,
    unroutable: 'refuse',
    messageId: 'm1',
    build: () => {
      throw new Refusal('throttled', 'as the build says');
    },
  });
  t.equal(refusal(r).message, 'as the build says');
  await t.rejects(
    intake.submit({
      from,
      throttle: roomy,
      unroutable: 'refuse',
      messageId: 'm2',
      build: () => {
        throw new TypeError('a bug');
      },
    }),
    TypeError,
  );
  t.equal(await queue.message('m1'), undefined);
  t.equal(await queue.message('m2'), undefined);
  t.ok(
    (
      await intake.submit({
        from,
        throttle: { ...roomy, limits: { ...roomy.limits, maxInFlight: 1 } },
        unroutable: 'refuse',
        build: build(['+15551000001']),
      })
    ).ok,
    'the slot was given back after the throw',
  );
});
