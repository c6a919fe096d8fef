// The behaviour every Queue/Throttle backend must show (src/core/ports.ts), run against each backend by
// test/store/queue-<backend>.test.ts. Every expected value is written out by hand from the contract and a fake
// clock; nothing is computed by the code under test.
import type { Test } from 'tap';
import type { CoreMessage } from '../../src/core/message.js';
import { LeaseLostError, THROTTLE_HORIZON_MS } from '../../src/core/ports.js';
import type { QueueOptions } from '../../src/store/options.js';
import { peerSuite } from './peer-behaviour.js';
import type { CorrelationStore, FinalEvent, LeasedJob, Queue, SubscriberStore, Throttle, ThrottleGrant } from '../../src/core/ports.js';
import { queueAdminSuite } from './queue-admin-behaviour.js';

export interface StoreUnderTest {
  queue: Queue;
  throttle: Throttle;
  subscribers: SubscriberStore;
  correlations: CorrelationStore;
  cleanup: () => Promise<void>;
}

/** Builds a fresh, empty store; `opts.now` must reach both the queue and the throttle. */
export type MakeStore = (opts: Partial<QueueOptions>) => Promise<StoreUnderTest>;

/** The fake clock's start: 2023-11-14T22:13:20Z. */
export const T0 = 1_700_000_000_000;
const MIN = 60_000;
const DAY = 24 * 3600_000;

/** A message with two parts (see content()), its recipients `to`, expiring a week after T0. */
export function makeMessage(id: string, recipients: string[], overrides: Partial<CoreMessage> = {}): CoreMessage {
  return {
    id,
    originator: { address: '+15550000001', type: 'plmn' },
    recipients: recipients.map((address) => ({ address, type: 'plmn', kind: 'to' })),
    subject: 'hello',
    contentType: 'application/vnd.wap.multipart.related',
    contentTypeParams: { type: 'text/plain', start: '<t>' },
    parts: [
      { index: 0, contentType: 'text/plain', params: { charset: 'utf-8' }, contentId: '<t>', size: 5 },
      { index: 1, contentType: 'application/octet-stream', contentLocation: 'bin.dat', size: 4 },
    ],
    expiresAt: T0 + 7 * DAY,
    deliveryReport: true,
    readReport: false,
    priority: 'normal',
    messageClass: 'personal',
    origin: { iface: 'mm1', peer: 'mm1' },
    receivedAt: T0,
    ...overrides,
  };
}

/** The parts makeMessage declares: 'hello' and 00 01 7f ff (fresh Buffers each time). */
function content(): Buffer[] {
  return [Buffer.from('hello', 'latin1'), Buffer.from([0x00, 0x01, 0x7f, 0xff])];
}

const LEASE_LOST = { name: 'LeaseLostError', code: 'LEASE_LOST' };

/** "id/index" of each job, in the order given. */
function ids(jobs: readonly Pick<LeasedJob, 'messageId' | 'recipientIndex'>[]): string[] {
  return jobs.map((j) => `${j.messageId}/${j.recipientIndex}`);
}

/** How many of `jobs` go to each peer. */
function perPeerCounts(jobs: readonly LeasedJob[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const j of jobs) counts[j.peer] = (counts[j.peer] ?? 0) + 1;
  return counts;
}

/** The ids of the jobs for one peer, in the order they were handed out. */
function idsOf(jobs: readonly LeasedJob[], peer: string): string[] {
  return ids(jobs.filter((j) => j.peer === peer));
}

export function queueSuite(t: Test, name: string, make: MakeStore): void {
  // Per-peer stats and holds (admin API: pause, resume, drain), in a file of their own.
  peerSuite(t, name, make);

  /** A fresh store on a fake clock starting at T0; `clock.now` moves only when a test moves it. */
  async function setup(tt: Test, opts: Partial<QueueOptions> = {}) {
    const clock = { now: T0 };
    const store = await make({ ...opts, now: () => clock.now });
    tt.teardown(store.cleanup);
    return { queue: store.queue, throttle: store.throttle, subscribers: store.subscribers, correlations: store.correlations, clock };
  }

  queueAdminSuite(t, name, setup);

  t.test(`${name}: enqueue stores a copy of message and content; ack ends each recipient`, async (t) => {
    const { queue, clock } = await setup(t);
    const msg = makeMessage('m1', ['+15550000002', '+15550000003']);
    const parts = content();
    await queue.enqueue(msg, parts, ['mm4:carrier', 'mm7:vasp']);
    // The store keeps copies: changing the caller's objects afterwards changes nothing stored.
    msg.subject = 'changed';
    parts[0][0] = 0x58;

    const stored = await queue.message('m1');
    t.strictSame(stored, makeMessage('m1', ['+15550000002', '+15550000003']));
    const bytes = await queue.content('m1');
    t.strictSame(
      bytes?.map((b) => b.toString('hex')),
      ['68656c6c6f', '00017fff'],
    );
    t.strictSame(await queue.states('m1'), ['queued', 'queued']);

    const jobs = (await queue.take(10)).sort((a, b) => a.recipientIndex - b.recipientIndex);
    t.equal(jobs.length, 2);
    t.match(jobs[0], { messageId: 'm1', recipientIndex: 0, peer: 'mm4:carrier', attempt: 1, maxAttempts: 10, leaseUntil: T0 + MIN });
    t.match(jobs[1], { messageId: 'm1', recipientIndex: 1, peer: 'mm7:vasp', attempt: 1, maxAttempts: 10, leaseUntil: T0 + MIN });
    t.strictSame(jobs[0].message, makeMessage('m1', ['+15550000002', '+15550000003']), 'the job carries the message');
    t.type(jobs[0].lease, 'string');
    t.not(jobs[0].lease, jobs[1].lease, 'every lease has its own token');
    t.strictSame(await queue.states('m1'), ['delivering', 'delivering']);

    clock.now = T0 + 1500;
    await queue.ack(jobs[0], 'delivered');
    await queue.ack(jobs[1], 'rejected', 'unknown subscriber');
    t.strictSame(await queue.states('m1'), ['delivered', 'rejected']);
    t.strictSame(await queue.history('m1', 0), [
      { at: T0, state: 'queued', attempt: 0 },
      { at: T0, state: 'delivering', attempt: 1 },
      { at: T0 + 1500, state: 'delivered', attempt: 1 },
    ]);
    t.strictSame(await queue.history('m1', 1), [
      { at: T0, state: 'queued', attempt: 0 },
      { at: T0, state: 'delivering', attempt: 1 },
      { at: T0 + 1500, state: 'rejected', attempt: 1, detail: 'unknown subscriber' },
    ]);
    await t.rejects(queue.ack(jobs[0], 'delivered'), LEASE_LOST, 'a settled job cannot be settled again');
    t.strictSame(await queue.take(10), [], 'settled jobs are not handed out again');
    t.strictSame(await queue.message('m1'), makeMessage('m1', ['+15550000002', '+15550000003']), 'kept for the retention time');

    t.equal(await queue.message('nope'), undefined);
    t.equal(await queue.content('nope'), undefined);
    t.equal(await queue.states('nope'), undefined);
    t.strictSame(await queue.history('nope', 0), []);
  });

  t.test(`${name}: retrieval reads message, states and content at once (the MM1 fetch)`, async (t) => {
    const { queue } = await setup(t);
    const six = ['+15550000010', '+15550000011', '+15550000012', '+15550000013', '+15550000014', '+15550000015'];
    await queue.enqueue(
      makeMessage('g1', six),
      content(),
      six.map(() => 'mm4:carrier'),
    );
    const jobs = (await queue.take(10)).sort((a, b) => a.recipientIndex - b.recipientIndex);
    await queue.ack(jobs[1]!, 'delivered');
    await queue.ack(jobs[5]!, 'rejected', 'no');
    const read = await queue.retrieval('g1');
    t.strictSame(read?.message, makeMessage('g1', six));
    t.strictSame(
      read?.states,
      ['delivering', 'delivered', 'delivering', 'delivering', 'delivering', 'rejected'],
      'past the first four too',
    );
    t.strictSame(
      read?.content.map((b) => b.toString('hex')),
      ['68656c6c6f', '00017fff'],
    );
    await queue.enqueue(makeMessage('e1', ['+15550000020']), [], ['mm4:carrier']);
    t.strictSame(
      await queue.retrieval('e1'),
      { message: makeMessage('e1', ['+15550000020']), states: ['queued'], content: [] },
      'no parts',
    );
    t.equal(await queue.retrieval('nope'), undefined);
  });

  t.test(`${name}: content streamed into a stage is the message's content once enqueued; a discarded stage is gone`, async (t) => {
    const { queue } = await setup(t);
    // Part 0 arrives in pieces that add up to 200,003 bytes (more than a few store slices), part 1 is empty,
    // part 2 is 3 bytes: every byte is (index * 7) mod 251, so an offset error shows.
    const big = Buffer.alloc(200_003);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) % 251;
    const stage = queue.stage('s1', MIN);
    t.equal(stage.messageId, 's1');
    const p0 = stage.part();
    for (let at = 0; at < big.length; at += 65_000) {
      p0.write(big.subarray(at, Math.min(big.length, at + 65_000)));
      await stage.drain();
    }
    p0.end();
    stage.part().end();
    const p2 = stage.part();
    p2.write(Buffer.from([1, 2]));
    p2.write(Buffer.from([3]));
    p2.end();
    t.equal(stage.bytes, 200_006);
    const msg = makeMessage('s1', ['+15550000002']);
    msg.parts = [
      { index: 0, contentType: 'image/jpeg', size: 200_003 },
      { index: 1, contentType: 'text/plain', size: 0 },
      { index: 2, contentType: 'application/octet-stream', size: 3 },
    ];
    await queue.enqueue(msg, stage, ['mm4:carrier']);
    const stored = await queue.content('s1');
    t.equal(stored?.length, 3, 'three parts');
    t.ok(stored?.[0]?.equals(big), 'part 0 byte for byte');
    t.equal(stored?.[1]?.length, 0, 'part 1 empty');
    t.strictSame([...(stored?.[2] ?? [])], [1, 2, 3], 'part 2');
    t.equal((await queue.take(10)).length, 1, 'the job is queued');

    const dropped = queue.stage('s2', MIN);
    const d0 = dropped.part();
    d0.write(big);
    d0.end();
    await dropped.drain();
    await dropped.discard();
    await dropped.discard(); // twice is harmless
    await t.rejects(
      queue.enqueue(makeMessage('s2', ['+15550000002']), dropped, ['mm4:carrier']),
      /discarded/,
      'a discarded stage cannot be enqueued',
    );
    t.equal(await queue.content('s2'), undefined, 'nothing of it is stored');
    t.equal(await queue.message('s2'), undefined);
    await t.rejects(
      queue.enqueue(makeMessage('s3', ['+15550000002']), queue.stage('s4', MIN), ['mm4:carrier']),
      /another store or message/,
      "another message's stage is refused",
    );
  });

  t.test(`${name}: a stage for a stored message (a streamed re-submission) leaves its content alone, enqueued or discarded`, async (t) => {
    const { queue } = await setup(t);
    await queue.enqueue(makeMessage('r1', ['+15550000002']), content(), ['mm4:carrier']);
    const stored = (await queue.content('r1'))?.map((b) => b.toString('hex'));
    t.ok(stored && stored.length > 0, 'the first submission has content');
    for (const end of ['enqueued', 'discarded'] as const) {
      const stage = queue.stage('r1', MIN);
      const p = stage.part();
      p.write(Buffer.alloc(70_000, 9)); // more than a store slice: a first write and an append
      p.end();
      if (end === 'enqueued') await queue.enqueue(makeMessage('r1', ['+15550000002']), stage, ['mm4:carrier']);
      else {
        await stage.drain();
        await stage.discard();
      }
      t.strictSame(
        (await queue.content('r1'))?.map((b) => b.toString('hex')),
        stored,
        `the stored content, after a stage for it was ${end}`,
      );
    }
    // A small stage goes out whole with the enqueue; discarded after that (an edge's error path), it deletes nothing either.
    const small = queue.stage('r1', MIN);
    const sp = small.part();
    sp.write(Buffer.from('other'));
    sp.end();
    await queue.enqueue(makeMessage('r1', ['+15550000002']), small, ['mm4:carrier']);
    await small.discard();
    t.strictSame(
      (await queue.content('r1'))?.map((b) => b.toString('hex')),
      stored,
      'the stored content, after a small stage for it was enqueued and discarded',
    );
    t.equal((await queue.take(10)).length, 1, 'still one job');
  });

  t.test(`${name}: a stage's part writer is dead once the next part starts`, async (t) => {
    const { queue } = await setup(t);
    const stage = queue.stage('w1', MIN);
    const a = stage.part();
    a.write(Buffer.from('aa'));
    const b = stage.part(); // ends part 0
    t.throws(() => a.write(Buffer.from('late')), /after it ended/, 'a write to the previous part throws, rather than landing in the next');
    a.end(); // a late end of part 0 must not end part 1
    b.write(Buffer.from('bb'));
    b.end();
    t.throws(() => b.write(Buffer.from('x')), /after it ended/, 'a write after end throws');
    const msg = makeMessage('w1', ['+15550000002']);
    msg.parts = [
      { index: 0, contentType: 'text/plain', size: 2 },
      { index: 1, contentType: 'text/plain', size: 2 },
    ];
    await queue.enqueue(msg, stage, ['mm4:carrier']);
    t.strictSame(
      (await queue.content('w1'))?.map((p) => p.toString()),
      ['aa', 'bb'],
    );
  });

  t.test(`${name}: a stage of every size around a store slice (64 KiB) comes back whole`, async (t) => {
    const { queue } = await setup(t);
    // The frame is the part plus 8 bytes of index: 65,528 fills exactly one slice, its neighbours one byte more or less.
    for (const len of [0, 1, 65_527, 65_528, 65_529, 131_064]) {
      const id = `slice-${len}`;
      const body = Buffer.alloc(len);
      for (let i = 0; i < len; i++) body[i] = (i * 13) % 251;
      const stage = queue.stage(id, MIN);
      const part = stage.part();
      part.write(body);
      part.end();
      const msg = makeMessage(id, ['+15550000002']);
      msg.parts = [{ index: 0, contentType: 'image/jpeg', size: len }];
      await queue.enqueue(msg, stage, ['mm4:carrier']);
      const stored = await queue.content(id);
      t.equal(stored?.length, 1, `${len}: one part`);
      t.ok(stored?.[0]?.equals(body), `${len}: byte for byte`);
    }
  });

  t.test(`${name}: take respects max and perPeer, round-robin over peers`, async (t) => {
    const { queue } = await setup(t);
    for (let i = 1; i <= 6; i++) await queue.enqueue(makeMessage(`a${i}`, ['+1555000001']), content(), ['A']);
    for (let i = 1; i <= 6; i++) await queue.enqueue(makeMessage(`b${i}`, ['+1555000002']), content(), ['B']);
    await queue.enqueue(makeMessage('c1', ['+1555000003']), content(), ['C']);

    // 3 peers, max 3: one round of the round-robin, one job each (not 3 from whichever peer is first).
    const first = await queue.take(3);
    t.equal(first.length, 3);
    t.strictSame(perPeerCounts(first), { A: 1, B: 1, C: 1 });
    // perPeer 2: C has nothing left, A and B give two each.
    const second = await queue.take(100, 2);
    t.equal(second.length, 4);
    t.strictSame(perPeerCounts(second), { A: 2, B: 2 });
    // max 3 with 3 left in each of A and B: round-robin gives 2 + 1, never 3 + 0.
    const third = await queue.take(3);
    t.equal(third.length, 3);
    t.strictSame(Object.values(perPeerCounts(third)).sort(), [1, 2]);
    const fourth = await queue.take(100);
    t.equal(fourth.length, 3);
    t.strictSame(await queue.take(100), [], 'all 13 jobs are out');
    t.strictSame(await queue.take(0), []);

    const all = [...first, ...second, ...third, ...fourth];
    t.strictSame(idsOf(all, 'A'), ['a1/0', 'a2/0', 'a3/0', 'a4/0', 'a5/0', 'a6/0'], 'each peer in enqueue order');
    t.strictSame(idsOf(all, 'B'), ['b1/0', 'b2/0', 'b3/0', 'b4/0', 'b5/0', 'b6/0']);
    t.strictSame(idsOf(all, 'C'), ['c1/0']);
  });

  t.test(`${name}: jobs of a peer come out by due time, then in enqueue order`, async (t) => {
    const { queue } = await setup(t);
    // Ids deliberately out of alphabetical order, and 12 recipients (so that "/10" sorts before "/2" as text).
    await queue.enqueue(makeMessage('zulu', ['+1555000001']), content(), ['P']);
    await queue.enqueue(makeMessage('alpha', ['+1555000002']), content(), ['P']);
    // Deferred delivery whose time has already passed: due before everything enqueued at T0.
    await queue.enqueue(makeMessage('past', ['+1555000003'], { earliestDeliveryAt: T0 - 5000 }), content(), ['P']);
    await queue.enqueue(makeMessage('mike', ['+1555000004']), content(), ['P']);
    const twelve = Array.from({ length: 12 }, (_, i) => `+1555100${String(i).padStart(4, '0')}`);
    await queue.enqueue(
      makeMessage('multi', twelve),
      content(),
      Array.from({ length: 12 }, () => 'P'),
    );

    t.strictSame(ids(await queue.take(5, 5)), ['past/0', 'zulu/0', 'alpha/0', 'mike/0', 'multi/0']);
    t.strictSame(ids(await queue.take(100, 100)), [
      'multi/1',
      'multi/2',
      'multi/3',
      'multi/4',
      'multi/5',
      'multi/6',
      'multi/7',
      'multi/8',
      'multi/9',
      'multi/10',
      'multi/11',
    ]);
  });

  t.test(`${name}: retry makes the job due again after the delay, with the next attempt`, async (t) => {
    const { queue, clock } = await setup(t);
    await queue.enqueue(makeMessage('r', ['+1555000001']), content(), ['P']);
    const [j1] = await queue.take(1);
    t.equal(j1.attempt, 1);
    clock.now = T0 + 100;
    t.equal(await queue.retry(j1, 'connection refused', 5000), 'retrying');
    t.strictSame(await queue.states('r'), ['retrying']);
    await t.rejects(queue.ack(j1, 'delivered'), LEASE_LOST, 'retry gives the lease up');

    clock.now = T0 + 5099; // due at T0 + 100 + 5000
    t.strictSame(await queue.take(10), [], 'not due 1 ms before the delay ends');
    clock.now = T0 + 5100;
    const [j2] = await queue.take(10);
    t.equal(ids([j2])[0], 'r/0');
    t.equal(j2.attempt, 2);
    t.not(j2.lease, j1.lease);
    t.equal(j2.leaseUntil, T0 + 5100 + MIN);

    clock.now = T0 + 5200;
    t.equal(await queue.retry(j2, 'timeout', 30_000), 'retrying');
    clock.now = T0 + 35_199;
    t.strictSame(await queue.take(10), []);
    clock.now = T0 + 35_200;
    const [j3] = await queue.take(10);
    t.equal(j3.attempt, 3);
    await queue.ack(j3, 'delivered');
    t.strictSame(await queue.history('r', 0), [
      { at: T0, state: 'queued', attempt: 0 },
      { at: T0, state: 'delivering', attempt: 1 },
      { at: T0 + 100, state: 'retrying', attempt: 1, detail: 'connection refused' },
      { at: T0 + 5100, state: 'delivering', attempt: 2 },
      { at: T0 + 5200, state: 'retrying', attempt: 2, detail: 'timeout' },
      { at: T0 + 35_200, state: 'delivering', attempt: 3 },
      { at: T0 + 35_200, state: 'delivered', attempt: 3 },
    ]);
  });

  t.test(`${name}: a lease that runs out is handed out again; the old token is dead`, async (t) => {
    const { queue, clock } = await setup(t, { leaseMs: 30_000 });
    await queue.enqueue(makeMessage('l', ['+1555000001']), content(), ['P']);
    const [old] = await queue.take(1);
    t.equal(old.leaseUntil, T0 + 30_000);
    t.strictSame(await queue.stats(), { waiting: 0, leased: 1, dead: 0 });

    clock.now = T0 + 30_000;
    t.strictSame(await queue.take(10), [], 'still leased up to leaseUntil');
    t.strictSame(await queue.stats(), { waiting: 0, leased: 1, dead: 0 });
    clock.now = T0 + 30_001;
    t.strictSame(await queue.stats(), { waiting: 1, leased: 0, dead: 0 }, 'a lease that ran out is not held');
    const [again] = await queue.take(10);
    t.equal(ids([again])[0], 'l/0');
    t.equal(again.attempt, 2, 'the lost lease counted as an attempt');
    t.not(again.lease, old.lease);
    t.equal(again.leaseUntil, T0 + 30_001 + 30_000);

    await t.rejects(queue.ack(old, 'delivered'), LEASE_LOST);
    await t.rejects(queue.retry(old, 'x', 1000), LEASE_LOST);
    await t.rejects(queue.defer(old, T0 + 90_000), LEASE_LOST);
    await t.rejects(queue.extend(old), LEASE_LOST);
    const lost = await queue.ack(old, 'delivered').catch((e: unknown) => e);
    t.ok(lost instanceof LeaseLostError, 'a LeaseLostError');
    t.match(lost, { messageId: 'l', recipientIndex: 0 });

    await queue.ack(again, 'delivered');
    t.strictSame(await queue.history('l', 0), [
      { at: T0, state: 'queued', attempt: 0 },
      { at: T0, state: 'delivering', attempt: 1 },
      { at: T0 + 30_001, state: 'queued', attempt: 1, detail: 'lease ran out' },
      { at: T0 + 30_001, state: 'delivering', attempt: 2 },
      { at: T0 + 30_001, state: 'delivered', attempt: 2 },
    ]);
  });

  t.test(`${name}: extend keeps the lease past its first end`, async (t) => {
    const { queue, clock } = await setup(t, { leaseMs: 30_000 });
    await queue.enqueue(makeMessage('x', ['+1555000001']), content(), ['P']);
    const [job] = await queue.take(1);
    clock.now = T0 + 20_000;
    await queue.extend(job); // now until T0 + 50_000
    clock.now = T0 + 40_000; // past the first end (T0 + 30_000)
    t.strictSame(await queue.take(10), [], 'not handed out again');
    t.strictSame(await queue.stats(), { waiting: 0, leased: 1, dead: 0 });
    await queue.extend(job, 5000); // until T0 + 45_000
    clock.now = T0 + 45_000;
    t.strictSame(await queue.take(10), []);
    clock.now = T0 + 45_001;
    const [again] = await queue.take(10);
    t.equal(again?.attempt, 2, 'the extended lease ran out at T0 + 45 000');
    await t.rejects(queue.extend(job), LEASE_LOST, 'taken over: the old holder cannot extend');
    await queue.extend(again);
    await queue.ack(again, 'delivered');
    t.strictSame(await queue.states('x'), ['delivered']);
  });

  t.test(`${name}: deferred delivery (earliestDeliveryAt) is not handed out before its time`, async (t) => {
    const { queue, clock } = await setup(t);
    await queue.enqueue(makeMessage('d', ['+1555000001'], { earliestDeliveryAt: T0 + MIN }), content(), ['P']);
    t.strictSame(await queue.take(10), []);
    t.strictSame(await queue.stats(), { waiting: 1, leased: 0, dead: 0 }, 'delayed jobs count as waiting');
    clock.now = T0 + MIN - 1;
    t.strictSame(await queue.take(10), []);
    clock.now = T0 + MIN;
    const jobs = await queue.take(10);
    t.strictSame(ids(jobs), ['d/0']);
    t.equal(jobs[0].attempt, 1);
    t.strictSame(await queue.history('d', 0), [
      { at: T0, state: 'queued', attempt: 0 },
      { at: T0 + MIN, state: 'delivering', attempt: 1 },
    ]);
  });

  t.test(`${name}: cancel ends pending recipients 'cancelled'; one being delivered finishes its attempt`, async (t) => {
    const { queue, clock } = await setup(t);
    await queue.enqueue(makeMessage('c', ['+1555000001', '+1555000002', '+1555000003']), content(), ['P', 'P', 'Q']);
    const [held] = await queue.take(1, 1); // c/0 is being delivered
    t.strictSame(ids([held!]), ['c/0']);
    clock.now = T0 + 1000;
    t.strictSame(await queue.cancel('c', 'cancelled by the VASP'), { cancelled: 2, inProgress: 1 });
    t.strictSame(await queue.states('c'), ['delivering', 'cancelled', 'cancelled']);
    t.strictSame(await queue.history('c', 2), [
      { at: T0, state: 'queued', attempt: 0 },
      { at: T0 + 1000, state: 'cancelled', attempt: 0, detail: 'cancelled by the VASP' },
    ]);
    t.strictSame(await queue.take(10), [], 'cancelled jobs are not handed out');
    t.strictSame(await queue.stats(), { waiting: 0, leased: 1, dead: 0 });
    await queue.ack(held!, 'delivered');
    t.strictSame(await queue.states('c'), ['delivered', 'cancelled', 'cancelled']);
    t.strictSame(await queue.cancel('c', 'again'), { cancelled: 0, inProgress: 0 }, 'nothing left to cancel');
    t.equal(await queue.cancel('nope', 'x'), undefined, 'unknown message');
  });

  /** The fields of final events that the contract defines, without their opaque ids, in a fixed order. */
  function finals(events: readonly FinalEvent[]) {
    return events
      .map((e) => ({ messageId: e.messageId, recipientIndex: e.recipientIndex, state: e.state, attempt: e.attempt, detail: e.detail }))
      .sort((a, b) => a.recipientIndex - b.recipientIndex);
  }

  t.test(`${name}: complete ends a queued recipient without a worker`, async (t) => {
    const { queue, clock } = await setup(t);
    await queue.enqueue(makeMessage('cq', ['+1555000001', '+1555000002']), content(), ['P', 'P']);
    t.strictSame(await queue.stats(), { waiting: 2, leased: 0, dead: 0 });
    clock.now = T0 + 1000;
    t.equal(await queue.complete('cq', 0, 'delivered', 'retrieved by the handset'), 'completed');
    t.strictSame(await queue.states('cq'), ['delivered', 'queued']);
    t.strictSame(await queue.history('cq', 0), [
      { at: T0, state: 'queued', attempt: 0 },
      { at: T0 + 1000, state: 'delivered', attempt: 0, detail: 'retrieved by the handset' },
    ]);
    t.strictSame(await queue.stats(), { waiting: 1, leased: 0, dead: 0 });
    t.strictSame(ids(await queue.take(10)), ['cq/1'], 'only the other recipient is handed out');
    t.strictSame(finals(await queue.finalEvents(10)), [
      { messageId: 'cq', recipientIndex: 0, state: 'delivered', attempt: 0, detail: 'retrieved by the handset' },
    ]);
    t.equal(await queue.complete('cq', 0, 'rejected', 'again'), 'already-final', 'a second complete changes nothing');
    t.strictSame(await queue.states('cq'), ['delivered', 'delivering']);
    t.equal((await queue.history('cq', 0)).length, 2);
  });

  t.test(`${name}: complete with report false (the recipient allows no delivery report) emits no final event`, async (t) => {
    const { queue, clock } = await setup(t);
    // makeMessage asks for a delivery report.
    await queue.enqueue(makeMessage('cn', ['+1555000001', '+1555000002']), content(), ['P', 'P']);
    clock.now = T0 + 1000;
    t.equal(await queue.complete('cn', 0, 'delivered', 'acknowledged, Report-Allowed No', { report: false }), 'completed');
    t.equal(await queue.complete('cn', 1, 'delivered', 'acknowledged', { report: true }), 'completed');
    t.strictSame(await queue.states('cn'), ['delivered', 'delivered'], 'both end delivered');
    t.strictSame(
      await queue.history('cn', 0),
      [
        { at: T0, state: 'queued', attempt: 0 },
        { at: T0 + 1000, state: 'delivered', attempt: 0, detail: 'acknowledged, Report-Allowed No' },
      ],
      'the history records the end as usual',
    );
    t.strictSame(
      finals(await queue.finalEvents(10)),
      [{ messageId: 'cn', recipientIndex: 1, state: 'delivered', attempt: 0, detail: 'acknowledged' }],
      'only the recipient that allows reports has a final event',
    );
  });

  t.test(`${name}: complete ends a recipient expired or failed (an MM4 peer's delivery report), with its final event`, async (t) => {
    const { queue, clock } = await setup(t);
    await queue.enqueue(makeMessage('cx', ['+1555000001', '+1555000002']), content(), ['P', 'P']);
    clock.now = T0 + 1000;
    t.equal(await queue.complete('cx', 0, 'expired', 'MM4 Expired'), 'completed');
    t.equal(await queue.complete('cx', 1, 'failed', 'MM4 Unreachable'), 'completed');
    t.strictSame(await queue.states('cx'), ['expired', 'failed']);
    t.strictSame(
      finals(await queue.finalEvents(10)).sort((a, b) => a.recipientIndex - b.recipientIndex),
      [
        { messageId: 'cx', recipientIndex: 0, state: 'expired', attempt: 0, detail: 'MM4 Expired' },
        { messageId: 'cx', recipientIndex: 1, state: 'failed', attempt: 0, detail: 'MM4 Unreachable' },
      ],
      'each reported as it ended',
    );
    await t.rejects(queue.complete('cx', 0, 'cancelled' as 'expired', 'x'), /bad state/, 'not any state');
  });

  t.test(`${name}: complete ends a retrying or deferred recipient; it is never handed out again`, async (t) => {
    const { queue, clock } = await setup(t);
    await queue.enqueue(makeMessage('cr', ['+1555000001', '+1555000002']), content(), ['P', 'Q']);
    const jobs = (await queue.take(10)).sort((a, b) => a.recipientIndex - b.recipientIndex);
    t.strictSame(ids(jobs), ['cr/0', 'cr/1']);
    t.equal(await queue.retry(jobs[0]!, 'busy', 5000), 'retrying');
    await queue.defer(jobs[1]!, T0 + 5000);
    t.strictSame(await queue.states('cr'), ['retrying', 'deferred']);
    t.strictSame(await queue.stats(), { waiting: 2, leased: 0, dead: 0 });

    clock.now = T0 + 1000;
    t.equal(await queue.complete('cr', 0, 'delivered', 'retrieved by the handset'), 'completed');
    t.equal(await queue.complete('cr', 1, 'rejected', 'rejected by the handset'), 'completed');
    t.strictSame(await queue.states('cr'), ['delivered', 'rejected']);
    t.strictSame((await queue.history('cr', 0)).slice(-2), [
      { at: T0, state: 'retrying', attempt: 1, detail: 'busy' },
      { at: T0 + 1000, state: 'delivered', attempt: 1, detail: 'retrieved by the handset' },
    ]);
    t.strictSame((await queue.history('cr', 1)).at(-1), {
      at: T0 + 1000,
      state: 'rejected',
      attempt: 0,
      detail: 'rejected by the handset',
    });
    t.strictSame(await queue.stats(), { waiting: 0, leased: 0, dead: 0 });

    clock.now = T0 + 5000; // both were due again now
    t.strictSame(await queue.take(10), [], 'not handed out at their due time');
    clock.now = T0 + 10 * MIN;
    t.strictSame(await queue.take(10), [], 'nor later');
    t.strictSame(await queue.states('cr'), ['delivered', 'rejected']);
    t.strictSame(finals(await queue.finalEvents(10)), [
      { messageId: 'cr', recipientIndex: 0, state: 'delivered', attempt: 1, detail: 'retrieved by the handset' },
      { messageId: 'cr', recipientIndex: 1, state: 'rejected', attempt: 0, detail: 'rejected by the handset' },
    ]);
    t.strictSame(await queue.deadLetters(), []);
  });

  t.test(`${name}: complete ends a leased recipient and voids the lease`, async (t) => {
    const { queue, clock } = await setup(t, { leaseMs: 30_000 });
    await queue.enqueue(makeMessage('cl', ['+1555000001', '+1555000002']), content(), ['P', 'P']);
    const jobs = (await queue.take(10)).sort((a, b) => a.recipientIndex - b.recipientIndex);
    t.strictSame(ids(jobs), ['cl/0', 'cl/1']);
    t.strictSame(await queue.stats(), { waiting: 0, leased: 2, dead: 0 });

    clock.now = T0 + 1000;
    t.equal(await queue.complete('cl', 0, 'rejected', 'rejected by the handset'), 'completed');
    t.strictSame(await queue.states('cl'), ['rejected', 'delivering']);
    t.strictSame(await queue.stats(), { waiting: 0, leased: 1, dead: 0 });
    await t.rejects(queue.ack(jobs[0]!, 'delivered'), LEASE_LOST, 'the holder cannot ack');
    await t.rejects(queue.retry(jobs[0]!, 'timeout', 1000), LEASE_LOST, 'nor retry');
    await t.rejects(queue.extend(jobs[0]!), LEASE_LOST, 'nor extend');
    t.strictSame(await queue.states('cl'), ['rejected', 'delivering'], 'state stays rejected');
    t.strictSame(await queue.history('cl', 0), [
      { at: T0, state: 'queued', attempt: 0 },
      { at: T0, state: 'delivering', attempt: 1 },
      { at: T0 + 1000, state: 'rejected', attempt: 1, detail: 'rejected by the handset' },
    ]);

    await queue.ack(jobs[1]!, 'delivered'); // the other recipient's lease is untouched
    t.strictSame(await queue.stats(), { waiting: 0, leased: 0, dead: 0 });
    clock.now = T0 + 30_001; // past the voided lease's end: nothing to reclaim
    t.strictSame(await queue.take(10), []);
    t.strictSame(await queue.states('cl'), ['rejected', 'delivered']);
    t.strictSame(finals(await queue.finalEvents(10)), [
      { messageId: 'cl', recipientIndex: 0, state: 'rejected', attempt: 1, detail: 'rejected by the handset' },
      { messageId: 'cl', recipientIndex: 1, state: 'delivered', attempt: 1, detail: undefined },
    ]);
  });

  t.test(`${name}: complete: 'already-final' for an ended recipient, 'unknown' for no such recipient`, async (t) => {
    const { queue, clock } = await setup(t);
    await queue.enqueue(makeMessage('ca', ['+1555000001']), content(), ['P']);
    const [job] = await queue.take(1);
    await queue.ack(job!, 'delivered', 'accepted');
    const first = await queue.finalEvents(10);
    t.strictSame(finals(first), [{ messageId: 'ca', recipientIndex: 0, state: 'delivered', attempt: 1, detail: 'accepted' }]);
    await queue.ackFinal(first.map((e) => e.id));
    const before = await queue.history('ca', 0);

    clock.now = T0 + 1000;
    t.equal(await queue.complete('ca', 0, 'rejected', 'late'), 'already-final');
    t.strictSame(await queue.states('ca'), ['delivered']);
    t.strictSame(await queue.history('ca', 0), before, 'no history entry');
    t.strictSame(await queue.finalEvents(10), [], 'no second final event');
    t.strictSame(await queue.stats(), { waiting: 0, leased: 0, dead: 0 });

    t.equal(await queue.complete('nope', 0, 'delivered', 'x'), 'unknown', 'unknown message');
    t.equal(await queue.complete('ca', 1, 'delivered', 'x'), 'unknown', 'recipient index out of range');
    t.equal(await queue.complete('ca', -1, 'delivered', 'x'), 'unknown', 'negative recipient index');
  });

  t.test(`${name}: replace swaps message and content before delivery, and moves the due time`, async (t) => {
    const { queue, clock } = await setup(t);
    await queue.enqueue(makeMessage('r', ['+1555000001', '+1555000002'], { earliestDeliveryAt: T0 + MIN }), content(), ['P', 'P']);
    const replaced = makeMessage('r', ['+1555000001', '+1555000002'], { subject: 'new subject', earliestDeliveryAt: T0 + 2 * MIN });
    t.equal(await queue.replace(replaced, [Buffer.from('bye')]), 'replaced');
    t.strictSame(await queue.message('r'), replaced);
    t.strictSame(
      (await queue.content('r'))?.map((b) => b.toString()),
      ['bye'],
    );
    clock.now = T0 + MIN;
    t.strictSame(await queue.take(10), [], 'not due at the old time any more');
    clock.now = T0 + 2 * MIN;
    const jobs = await queue.take(10);
    t.strictSame(ids(jobs).sort(), ['r/0', 'r/1']);
    t.equal(jobs[0]!.message.subject, 'new subject', 'jobs carry the replaced message');
    t.equal(await queue.replace(replaced), 'too-late', 'not while a recipient is being delivered');
    await queue.ack(jobs[0]!, 'delivered');
    await queue.retry(jobs[1]!, 'busy', 1000);
    t.equal(await queue.replace(replaced), 'too-late', 'not once a recipient has it');
    t.equal(await queue.replace(makeMessage('nope', ['+1555000001'])), 'unknown');
    await queue.enqueue(makeMessage('keep', ['+1555000001']), content(), ['P']);
    t.equal(await queue.replace(makeMessage('keep', ['+1555000001'], { subject: 'only the model' })), 'replaced');
    t.strictSame(
      (await queue.content('keep'))?.map((b) => b.toString('hex')),
      ['68656c6c6f', '00017fff'],
      'content kept when none is given',
    );
    t.equal((await queue.message('keep'))?.subject, 'only the model');
  });

  t.test(`${name}: replace takes new content streamed into a replacement stage; the old content stays until then`, async (t) => {
    const { queue } = await setup(t);
    await queue.enqueue(makeMessage('rs', ['+1555000001']), content(), ['P']);
    const big = Buffer.alloc(150_001);
    for (let i = 0; i < big.length; i++) big[i] = (i * 11) % 253;
    const stage = queue.stage('rs', MIN, 'replacement');
    t.equal(stage.purpose, 'replacement');
    const p0 = stage.part();
    for (let at = 0; at < big.length; at += 40_000) {
      p0.write(big.subarray(at, at + 40_000));
      await stage.drain();
    }
    p0.end();
    const p1 = stage.part();
    p1.write(Buffer.from('caption'));
    p1.end();
    t.strictSame(
      (await queue.content('rs'))?.map((b) => b.toString('hex')),
      ['68656c6c6f', '00017fff'],
      'the old content until replace',
    );
    const replaced = makeMessage('rs', ['+1555000001'], { subject: 'streamed' });
    replaced.parts = [
      { index: 0, contentType: 'image/jpeg', size: big.length },
      { index: 1, contentType: 'text/plain', size: 7 },
    ];
    await t.rejects(
      queue.enqueue(makeMessage('rs2', ['+1555000001']), stage, ['P']),
      /another store or message/,
      'a replacement stage is not a new message',
    );
    await t.rejects(
      queue.replace(replaced, queue.stage('rs', MIN)),
      /another store or message/,
      "a new message's stage is not a replacement",
    );
    await t.rejects(
      queue.replace(makeMessage('other', ['+1555000001']), stage),
      /another store or message/,
      "another message's stage is refused",
    );
    t.equal(await queue.replace(replaced, stage), 'replaced');
    const stored = await queue.content('rs');
    t.equal(stored?.length, 2, 'two parts');
    t.ok(stored?.[0]?.equals(big), 'part 0 byte for byte');
    t.equal(stored?.[1]?.toString(), 'caption');
    t.equal((await queue.message('rs'))?.subject, 'streamed');
    const [job] = await queue.take(10);
    t.equal(job?.message.subject, 'streamed', 'the job carries the new model');

    // Too late: the stage is not taken; the content is what it was, and the stage can be discarded.
    const late = queue.stage('rs', MIN, 'replacement');
    const lp = late.part();
    lp.write(Buffer.from('too late'));
    lp.end();
    t.equal(await queue.replace(makeMessage('rs', ['+1555000001'], { subject: 'late' }), late), 'too-late', 'not while being delivered');
    await late.discard();
    t.ok((await queue.content('rs'))?.[0]?.equals(big), 'content unchanged');
    const none = queue.stage('nope', MIN, 'replacement');
    none.part().end();
    t.equal(await queue.replace(makeMessage('nope', ['+1555000001']), none), 'unknown');
    await none.discard();
  });

  t.test(`${name}: reportsPending counts final events of reported messages until they are acknowledged`, async (t) => {
    const { queue } = await setup(t);
    t.equal(await queue.reportsPending(), 0, 'nothing owed on an empty store');
    await queue.enqueue(makeMessage('rp', ['+1555000001', '+1555000002']), content(), ['P', 'P']);
    await queue.enqueue(makeMessage('rq', ['+1555000001'], { deliveryReport: false }), content(), ['P']);
    const jobs = await queue.take(10);
    for (const job of jobs) await queue.ack(job, 'delivered');
    t.equal(await queue.reportsPending(), 2, 'two recipients of the reported message; the other asked for none');
    const handed = await queue.finalEvents(1);
    t.equal(await queue.reportsPending(), 2, 'handed out but not acknowledged: still owed');
    await queue.ackFinal(handed.map((e) => e.id));
    t.equal(await queue.reportsPending(), 1);
    await queue.ackFinal((await queue.finalEvents(10)).map((e) => e.id));
    t.equal(await queue.reportsPending(), 0);
  });

  t.test(`${name}: final events of reported messages, from workers and from expiry, until acknowledged`, async (t) => {
    const { queue, clock } = await setup(t, { leaseMs: 1000 });
    // makeMessage asks for a delivery report; 'quiet' does not.
    await queue.enqueue(makeMessage('f1', ['+1555000001', '+1555000002'], { expiresAt: T0 + 10_000 }), content(), ['P', 'Q']);
    await queue.enqueue(makeMessage('quiet', ['+1555000001'], { deliveryReport: false }), content(), ['P']);
    const jobs = await queue.take(10);
    t.equal(jobs.length, 3);
    await queue.ack(jobs.find((j) => j.messageId === 'f1' && j.recipientIndex === 0)!, 'delivered', 'ok');
    await queue.ack(jobs.find((j) => j.messageId === 'quiet')!, 'delivered');
    // f1/1 is given back until after its message expires: the store ends it in a take, without a worker.
    await queue.defer(jobs.find((j) => j.messageId === 'f1' && j.recipientIndex === 1)!, T0 + 20_000);
    clock.now = T0 + 10_001;
    t.strictSame(await queue.take(10), [], 'nothing due: f1/1 expires in the take');
    const events = await queue.finalEvents(10);
    t.strictSame(
      events.map((e) => [e.messageId, e.recipientIndex, e.state]).sort(),
      [
        ['f1', 0, 'delivered'],
        ['f1', 1, 'expired'],
      ],
      'both ends of f1, none of quiet',
    );
    t.equal(events.find((e) => e.state === 'delivered')?.detail, 'ok');
    t.strictSame(await queue.finalEvents(10), [], 'handed out: not again within the lease');
    await queue.ackFinal([events.find((e) => e.state === 'delivered')!.id]);
    // The unacknowledged one comes back once its lease passes (the Redis store measures idle time by its own clock).
    clock.now = T0 + 12_000;
    await new Promise((r) => setTimeout(r, 1_100));
    const again = await queue.finalEvents(10);
    t.strictSame(
      again.map((e) => [e.messageId, e.recipientIndex, e.state]),
      [['f1', 1, 'expired']],
      'the unacknowledged event again',
    );
    await queue.ackFinal(again.map((e) => e.id));
    clock.now = T0 + 14_000;
    await new Promise((r) => setTimeout(r, 1_100));
    t.strictSame(await queue.finalEvents(10), [], 'all acknowledged');
  });

  t.test(`${name}: note adds a history entry without changing the state`, async (t) => {
    const { queue, clock } = await setup(t);
    await queue.enqueue(makeMessage('n', ['+1555000001']), content(), ['P']);
    const [job] = await queue.take(1);
    await queue.ack(job!, 'delivered', 'accepted by the SMSC');
    clock.now = T0 + 5000;
    t.equal(await queue.note('n', 0, 'receipt DELIVRD'), true);
    t.strictSame(await queue.states('n'), ['delivered']);
    t.strictSame((await queue.history('n', 0)).slice(-2), [
      { at: T0, state: 'delivered', attempt: 1, detail: 'accepted by the SMSC' },
      { at: T0 + 5000, state: 'delivered', attempt: 1, detail: 'receipt DELIVRD' },
    ]);
    t.equal(await queue.note('n', 7, 'x'), false, 'unknown recipient');
    t.equal(await queue.note('nope', 0, 'x'), false, 'unknown message');
  });

  t.test(`${name}: correlations are found until their TTL passes`, async (t) => {
    const { correlations, clock } = await setup(t);
    await correlations.put('smsc1:ab12', 'm1/0', 60_000);
    await correlations.put('smsc1:short', 'm2/1', 80);
    t.equal(await correlations.get('smsc1:ab12'), 'm1/0');
    t.equal(await correlations.get('smsc1:short'), 'm2/1');
    t.equal(await correlations.get('smsc1:other'), undefined);
    // The memory store runs on the queue clock, Redis on its own (PX): move both past the short TTL.
    clock.now = T0 + 100;
    await new Promise((r) => setTimeout(r, 150));
    t.equal(await correlations.get('smsc1:short'), undefined, 'expired');
    t.equal(await correlations.get('smsc1:ab12'), 'm1/0', 'the long one is still there');
  });

  t.test(`${name}: subscriber flags: opted out, text-only, cleared`, async (t) => {
    const { subscribers } = await setup(t);
    t.strictSame(await subscribers.get('+15550000009'), { optedOut: false, textOnly: false });
    await subscribers.setOptedOut('+15550000009', true);
    await subscribers.setTextOnly('+15550000010', true);
    t.strictSame(await subscribers.get('+15550000009'), { optedOut: true, textOnly: false });
    t.strictSame(await subscribers.get('+15550000010'), { optedOut: false, textOnly: true });
    await subscribers.setOptedOut('+15550000009', false);
    t.strictSame(await subscribers.get('+15550000009'), { optedOut: false, textOnly: false }, 'START clears it');
  });

  t.test(`${name}: expired messages end 'expired', never delivered`, async (t) => {
    const { queue, clock } = await setup(t);
    await queue.enqueue(makeMessage('e', ['+1555000001', '+1555000002'], { expiresAt: T0 + 10_000 }), content(), ['P', 'P']);
    const [held] = await queue.take(1, 1); // e/0, the first in line
    t.equal(ids([held])[0], 'e/0');

    clock.now = T0 + 10_000; // now >= expiresAt
    t.strictSame(await queue.take(10), [], 'the queued recipient is not handed out');
    t.strictSame(await queue.states('e'), ['delivering', 'expired'], 'a leased job is left to its worker');
    t.strictSame(await queue.history('e', 1), [
      { at: T0, state: 'queued', attempt: 0 },
      { at: T0 + 10_000, state: 'expired', attempt: 0, detail: 'expired before delivery' },
    ]);
    clock.now = held.leaseUntil; // T0 + 60 000: the lease is still held, up to and including this ms
    t.strictSame(await queue.take(10), []);
    t.strictSame(await queue.states('e'), ['delivering', 'expired']);
    t.equal(await queue.retry(held, 'timeout', 1000), 'expired');
    t.strictSame(await queue.states('e'), ['expired', 'expired']);
    t.strictSame((await queue.history('e', 0)).at(-1), { at: T0 + MIN, state: 'expired', attempt: 1, detail: 'timeout' });
    t.strictSame(await queue.deadLetters(), [], 'expiry is not a dead letter');

    // A retry whose delay reaches the expiry ends the job at once; one that stays short of it does not.
    await queue.enqueue(makeMessage('f', ['+1555000001', '+1555000002'], { expiresAt: T0 + MIN + 20_000 }), content(), ['P', 'Q']);
    const jobs = (await queue.take(10)).sort((a, b) => a.recipientIndex - b.recipientIndex);
    t.strictSame(ids(jobs), ['f/0', 'f/1']);
    t.equal(await queue.retry(jobs[0], 'busy', 20_000), 'expired', 'now + 20 000 >= expiresAt');
    t.equal(await queue.retry(jobs[1], 'busy', 19_999), 'retrying');
    t.strictSame(await queue.states('f'), ['expired', 'retrying']);
  });

  t.test(`${name}: a job that used its attempts is dead-lettered`, async (t) => {
    const { queue, clock } = await setup(t, { maxAttempts: 3 });
    await queue.enqueue(makeMessage('dl', ['+1555000001']), content(), ['P']);
    const results: string[] = [];
    for (let i = 1; i <= 3; i++) {
      const [job] = await queue.take(1);
      t.equal(job.attempt, i);
      t.equal(job.maxAttempts, 3);
      results.push(await queue.retry(job, `e${i}`, 1000));
      clock.now += 1000;
    }
    t.strictSame(results, ['retrying', 'retrying', 'failed']);
    t.strictSame(await queue.states('dl'), ['failed']);
    t.strictSame((await queue.history('dl', 0)).at(-1), { at: T0 + 2000, state: 'failed', attempt: 3, detail: 'e3' });
    t.strictSame(await queue.deadLetters(), [{ messageId: 'dl', recipientIndex: 0, peer: 'P', attempts: 3, error: 'e3', at: T0 + 2000 }]);
    t.strictSame(await queue.take(10), [], 'a dead job is not handed out again');

    // A second one, at T0 + 3000 .. 5000: newest first, and the limit applies.
    await queue.enqueue(makeMessage('dl2', ['+1555000001']), content(), ['Q']);
    for (let i = 1; i <= 3; i++) {
      const [job] = await queue.take(1);
      t.equal(ids([job])[0], 'dl2/0');
      await queue.retry(job, `f${i}`, 1000);
      clock.now += 1000;
    }
    t.strictSame(await queue.deadLetters(), [
      { messageId: 'dl2', recipientIndex: 0, peer: 'Q', attempts: 3, error: 'f3', at: T0 + 5000 },
      { messageId: 'dl', recipientIndex: 0, peer: 'P', attempts: 3, error: 'e3', at: T0 + 2000 },
    ]);
    t.strictSame(ids(await queue.deadLetters(1)), ['dl2/0']);
    t.strictSame(await queue.states('dl2'), ['failed']);
    t.strictSame(await queue.stats(), { waiting: 0, leased: 0, dead: 2 });
  });

  t.test(`${name}: message, content and history go once every recipient is terminal and retention passed`, async (t) => {
    // Retention is the store's own clock (Redis expires keys by the server's time), so besides moving the
    // fake clock the test also lets that much real time pass: a short retention keeps it quick.
    const RETENTION = 400;
    const realSleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const { queue, clock } = await setup(t, { retentionMs: RETENTION });
    await queue.enqueue(makeMessage('r1', ['+1555000001', '+1555000002']), content(), ['P', 'P']);
    await queue.enqueue(makeMessage('r2', ['+1555000001', '+1555000002']), content(), ['P', 'P']);
    // One recipient: the Redis store keeps no pending count for such a message (lua/common.lua, finish).
    await queue.enqueue(makeMessage('r3', ['+1555000001']), content(), ['P']);
    const jobs = await queue.take(5, 5);
    t.strictSame(ids(jobs), ['r1/0', 'r1/1', 'r2/0', 'r2/1', 'r3/0']);
    await queue.ack(jobs[0], 'delivered');
    await queue.ack(jobs[1], 'rejected', 'no such user');
    await queue.ack(jobs[2], 'delivered');
    t.equal(await queue.retry(jobs[3], 'busy', RETENTION / 4), 'retrying'); // r2 keeps one recipient pending
    await queue.ack(jobs[4], 'delivered');

    // Removal is lazy: a worker's take is the "later call" that triggers it.
    clock.now = T0 + RETENTION - 1;
    const [r2last] = await queue.take(10);
    t.equal(ids([r2last])[0], 'r2/1');
    t.strictSame(await queue.states('r1'), ['delivered', 'rejected'], 'kept until the retention time');
    t.equal((await queue.content('r1'))?.length, 2);
    t.strictSame(await queue.states('r3'), ['delivered'], 'one recipient: kept until the retention time');
    t.equal((await queue.content('r3'))?.length, 2);

    clock.now = T0 + RETENTION;
    await realSleep(RETENTION + 100);
    await queue.take(10);
    t.equal(await queue.message('r1'), undefined, 'message gone');
    t.equal(await queue.content('r1'), undefined, 'content gone');
    t.equal(await queue.states('r1'), undefined);
    t.strictSame(await queue.history('r1', 1), []);
    t.equal(await queue.message('r3'), undefined, 'one recipient: message gone');
    t.equal(await queue.content('r3'), undefined, 'one recipient: content gone');
    t.strictSame(await queue.states('r2'), ['delivered', 'delivering'], 'a message with a pending recipient stays');
    t.strictSame(
      (await queue.content('r2'))?.map((b) => b.toString('hex')),
      ['68656c6c6f', '00017fff'],
    );

    await queue.ack(r2last, 'delivered'); // r2 terminal at T0 + RETENTION
    clock.now = T0 + 2 * RETENTION - 1;
    await queue.take(10);
    t.equal((await queue.message('r2'))?.id, 'r2');
    clock.now = T0 + 2 * RETENTION;
    await realSleep(RETENTION + 100);
    await queue.take(10);
    t.equal(await queue.message('r2'), undefined);
    t.equal(await queue.content('r2'), undefined);
  });

  t.test(`${name}: a deferred (hidden) peer does not block other peers`, async (t) => {
    const { queue, clock } = await setup(t);
    for (let i = 0; i < 100; i++) {
      await queue.enqueue(makeMessage(`a${String(i).padStart(3, '0')}`, ['+1555000001']), content(), ['A']);
    }
    const [first] = await queue.take(1, 1);
    t.equal(ids([first])[0], 'a000/0');
    await queue.defer(first, T0 + 10_000); // A is throttled for 10 s
    await queue.enqueue(makeMessage('b', ['+1555000002']), content(), ['B']);

    const now = await queue.take(10);
    t.strictSame(ids(now), ['b/0'], "B's job, enqueued behind A's 100, comes out at once; none of A's");
    await queue.ack(now[0], 'delivered');
    clock.now = T0 + 9_999;
    t.strictSame(await queue.take(10), [], 'A still hidden');
    t.strictSame(await queue.stats(), { waiting: 100, leased: 0, dead: 0 });

    clock.now = T0 + 10_000;
    const back = await queue.take(200, 200);
    t.equal(back.length, 100, "all of A's jobs come back");
    t.strictSame(perPeerCounts(back), { A: 100 });
    t.ok(
      back.every((j) => j.attempt === 1),
      'the deferred job too is at attempt 1',
    );
  });

  t.test(`${name}: defer gives the attempt back`, async (t) => {
    const { queue, clock } = await setup(t);
    await queue.enqueue(makeMessage('df', ['+1555000001']), content(), ['P']);
    const [j1] = await queue.take(1);
    t.equal(j1.attempt, 1);
    clock.now = T0 + 10;
    await queue.defer(j1, T0 + 2000);
    t.strictSame(await queue.states('df'), ['deferred']);
    await t.rejects(queue.ack(j1, 'delivered'), LEASE_LOST, 'defer gives the lease up');
    clock.now = T0 + 1999;
    t.strictSame(await queue.take(10), []);
    clock.now = T0 + 2000;
    const [j2] = await queue.take(10);
    t.equal(j2.attempt, 1, 'still the first attempt');
    t.strictSame(await queue.history('df', 0), [
      { at: T0, state: 'queued', attempt: 0 },
      { at: T0, state: 'delivering', attempt: 1 },
      { at: T0 + 10, state: 'deferred', attempt: 0 },
      { at: T0 + 2000, state: 'delivering', attempt: 1 },
    ]);
  });

  t.test(`${name}: a job-only deferral (a policy's) keeps its peer visible and says why; past the expiry it ends expired`, async (t) => {
    const { queue, clock } = await setup(t);
    await queue.enqueue(makeMessage('q1', ['+1555000001'], { expiresAt: T0 + 60_000 }), content(), ['P']);
    await queue.enqueue(makeMessage('q2', ['+1555000002']), content(), ['P']);
    const [j1] = await queue.take(1, 1);
    t.equal(j1!.messageId, 'q1');
    clock.now = T0 + 10;
    await queue.defer(j1!, T0 + 120_000, { detail: 'quiet hours 21:00-08:00', jobOnly: true });
    t.strictSame(await queue.states('q1'), ['deferred']);
    t.strictSame(ids(await queue.take(10)), ['q2/0'], "the peer's other job comes out at once: the peer is not hidden");
    t.strictSame((await queue.history('q1', 0)).at(-1), { at: T0 + 10, state: 'deferred', attempt: 0, detail: 'quiet hours 21:00-08:00' });
    clock.now = T0 + 60_000;
    t.strictSame(await queue.take(10), [], 'not handed out past its expiry');
    t.strictSame(await queue.states('q1'), ['expired'], 'the expiry ended it');
  });

  t.test(`${name}: wait: the job is notified, its attempt given back and its notifications counted; never dead-lettered`, async (t) => {
    const { queue, clock } = await setup(t, { maxAttempts: 2 });
    await queue.enqueue(makeMessage('w', ['+1555000001']), content(), ['P']);
    const [j1] = await queue.take(1);
    t.match(j1, { attempt: 1, notifications: 0 });
    clock.now = T0 + 100;
    t.equal(await queue.wait(j1, 'notification 1 pushed', 5000), 'notified');
    t.strictSame(await queue.states('w'), ['notified'], 'notified, not retrying');
    t.strictSame(await queue.stats(), { waiting: 1, leased: 0, dead: 0 });
    await t.rejects(queue.ack(j1, 'delivered'), LEASE_LOST, 'wait gives the lease up');

    clock.now = T0 + 5099; // due at T0 + 100 + 5000
    t.strictSame(await queue.take(10), [], 'not due 1 ms before the delay ends');
    clock.now = T0 + 5100;
    const [j2] = await queue.take(10);
    t.match(j2, { attempt: 1, notifications: 1 }, 'the wait used no attempt; one notification');
    t.equal(await queue.retry(j2, 'SMSC down', 1000), 'retrying', 'a failed re-notification is a retry');
    clock.now = T0 + 6100;
    const [j3] = await queue.take(10);
    t.match(j3, { attempt: 2, notifications: 1 }, 'the failure used an attempt, not a notification');
    t.equal(await queue.wait(j3, 'notification 2 pushed', 5000), 'notified', 'at maxAttempts: a wait still does not fail');
    clock.now = T0 + 11_100;
    const [j4] = await queue.take(10);
    t.match(j4, { attempt: 2, notifications: 2 });
    t.equal(await queue.wait(j4, 'notified 2 times', 60_000), 'notified');
    t.strictSame(await queue.deadLetters(), []);

    clock.now = T0 + 12_000;
    t.equal(await queue.complete('w', 0, 'delivered', 'retrieved'), 'completed', 'the recipient fetched it');
    t.strictSame(await queue.states('w'), ['delivered']);
    t.strictSame(await queue.history('w', 0), [
      { at: T0, state: 'queued', attempt: 0 },
      { at: T0, state: 'delivering', attempt: 1 },
      { at: T0 + 100, state: 'notified', attempt: 0, detail: 'notification 1 pushed' },
      { at: T0 + 5100, state: 'delivering', attempt: 1 },
      { at: T0 + 5100, state: 'retrying', attempt: 1, detail: 'SMSC down' },
      { at: T0 + 6100, state: 'delivering', attempt: 2 },
      { at: T0 + 6100, state: 'notified', attempt: 1, detail: 'notification 2 pushed' },
      { at: T0 + 11_100, state: 'delivering', attempt: 2 },
      { at: T0 + 11_100, state: 'notified', attempt: 1, detail: 'notified 2 times' },
      { at: T0 + 12_000, state: 'delivered', attempt: 1, detail: 'retrieved' },
    ]);
    clock.now = T0 + 100_000;
    t.strictSame(await queue.take(10), [], 'never handed out again');
    t.match(await queue.finalEvents(10), [{ messageId: 'w', recipientIndex: 0, state: 'delivered', detail: 'retrieved' }]);
  });

  t.test(`${name}: a notified job stays open until its expiry, then ends expired; a wait after the expiry ends it`, async (t) => {
    const { queue, clock } = await setup(t);
    await queue.enqueue(makeMessage('wx', ['+1555000001'], { expiresAt: T0 + 10_000 }), content(), ['P']);
    const [j] = await queue.take(1);
    clock.now = T0 + 100;
    t.equal(await queue.wait(j, 'notification 1 pushed', 60_000), 'notified', 'a delay past the expiry does not end it early');
    clock.now = T0 + 9_999;
    t.strictSame(await queue.take(10), [], 'not handed out again before the expiry');
    t.strictSame(await queue.states('wx'), ['notified'], 'the recipient may still fetch it');
    clock.now = T0 + 10_000;
    t.strictSame(await queue.take(10), [], 'at the expiry: not handed out');
    t.strictSame(await queue.states('wx'), ['expired']);
    t.strictSame((await queue.history('wx', 0)).at(-1), {
      at: T0 + 10_000,
      state: 'expired',
      attempt: 0,
      detail: 'expired before retrieval (notifications: 1)',
    });
    t.match(await queue.finalEvents(10), [
      { messageId: 'wx', recipientIndex: 0, state: 'expired', detail: 'expired before retrieval (notifications: 1)' },
    ]);
    t.equal(await queue.complete('wx', 0, 'delivered', 'too late'), 'already-final');

    // A push that ends after the expiry (the lease still held): the wait ends the job at once.
    await queue.enqueue(makeMessage('wy', ['+1555000001'], { expiresAt: T0 + 20_000 }), content(), ['P']);
    const [k] = await queue.take(1);
    clock.now = T0 + 20_000;
    t.equal(await queue.wait(k, 'notification 1 pushed', 1000), 'expired');
    t.strictSame((await queue.history('wy', 0)).at(-1), { at: T0 + 20_000, state: 'expired', attempt: 1, detail: 'notification 1 pushed' });
    t.strictSame(await queue.deadLetters(), [], 'expiry is not a dead letter');
  });

  t.test(`${name}: stats count waiting, leased and dead jobs`, async (t) => {
    const { queue } = await setup(t, { maxAttempts: 1 });
    t.strictSame(await queue.stats(), { waiting: 0, leased: 0, dead: 0 });
    await queue.enqueue(makeMessage('s1', ['+1555000001', '+1555000002', '+1555000003']), content(), ['P', 'P', 'P']);
    await queue.enqueue(makeMessage('s2', ['+1555000004'], { earliestDeliveryAt: T0 + MIN }), content(), ['P']);
    t.strictSame(await queue.stats(), { waiting: 4, leased: 0, dead: 0 });
    const jobs = await queue.take(2);
    t.strictSame(await queue.stats(), { waiting: 2, leased: 2, dead: 0 });
    await queue.ack(jobs[0], 'delivered');
    t.strictSame(await queue.stats(), { waiting: 2, leased: 1, dead: 0 });
    t.equal(await queue.retry(jobs[1], 'gone', 1000), 'failed', 'maxAttempts 1');
    t.strictSame(await queue.stats(), { waiting: 2, leased: 0, dead: 1 });
  });

  t.test(`${name}: a closed queue rejects further calls`, async (t) => {
    // (Only the queue: the contract says nothing of a closed throttle.)
    const { queue } = await setup(t);
    await queue.enqueue(makeMessage('c', ['+1555000001']), content(), ['P']);
    await queue.close();
    await t.rejects(queue.take(1));
    await t.rejects(queue.enqueue(makeMessage('c2', ['+1555000001']), content(), ['P']));
    await t.rejects(queue.stats());
  });

  /** The fields the contract defines, so that a backend may add others (diagnostics) without failing. */
  async function grant(p: Promise<ThrottleGrant>): Promise<ThrottleGrant> {
    const r = await p;
    return { granted: r.granted, retryAfterMs: r.retryAfterMs, waitMs: r.waitMs };
  }

  /** n distinct leases ending at `leaseUntil`. */
  function leases(tag: string, n: number, leaseUntil: number) {
    return Array.from({ length: n }, (_, i) => ({ lease: `${tag}${i}`, leaseUntil }));
  }

  // The throttle is a GCRA token bucket that schedules deliveries up to a horizon (types.ts). With rate r
  // and burst b: interval I = 1000 / r ms, tolerance τ = (b - 1) * I; the k-th delivery may go at
  // max(now, TAT - τ) and moves TAT by I; beyond now + 250 ms (the horizon) it is refused.
  const LATER = T0 + 3600_000; // a lease end that plays no part

  t.test(`${name}: throttle schedules a burst, then one delivery per interval, up to the horizon`, async (t) => {
    t.equal(THROTTLE_HORIZON_MS, 250, 'the expectations below assume a 250 ms horizon');
    const { throttle, clock } = await setup(t);
    const limits = { rate: 10, burst: 3, maxInFlight: 100 }; // I = 100 ms, τ = 200 ms
    // TAT starts at T0. Deliveries 1-3 go at once (TAT - τ <= now); 4 at T0+100; 5 at T0+200; 6 would be at
    // T0+300, past the horizon: refused. TAT is then T0+500; the next goes at T0+300, which is within
    // the horizon from T0+50 on.
    t.strictSame(await grant(throttle.acquire('P', leases('a', 8, LATER), limits)), {
      granted: 5,
      retryAfterMs: 50,
      waitMs: [0, 0, 0, 100, 200],
    });
    clock.now = T0 + 49; // T0+300 is 251 ms away
    t.strictSame(await grant(throttle.acquire('P', leases('b', 1, LATER), limits)), { granted: 0, retryAfterMs: 1, waitMs: [] });
    clock.now = T0 + 50; // exactly 250 ms away: granted, to be sent in 250 ms
    t.strictSame(await grant(throttle.acquire('P', leases('c', 1, LATER), limits)), { granted: 1, retryAfterMs: 0, waitMs: [250] });
    // Idle long enough (TAT T0+600 is in the past): the bucket is full again, 3 at once, then one per 100 ms.
    clock.now = T0 + 10_000;
    t.strictSame(await grant(throttle.acquire('P', leases('d', 4, LATER), limits)), {
      granted: 4,
      retryAfterMs: 0,
      waitMs: [0, 0, 0, 100],
    });
    t.strictSame(
      await grant(throttle.acquire('Q', leases('e', 2, LATER), limits)),
      { granted: 2, retryAfterMs: 0, waitMs: [0, 0] },
      'each peer has its own bucket',
    );
    t.strictSame(
      await grant(throttle.acquire('P', [], limits)),
      { granted: 0, retryAfterMs: 0, waitMs: [] },
      'nothing asked, nothing to wait for',
    );
  });

  t.test(`${name}: throttle: a delivery of cost k takes k tokens at once, or waits until the bucket holds them`, async (t) => {
    const { throttle, clock } = await setup(t);
    const limits = { rate: 10, burst: 10, maxInFlight: 100 }; // I = 100 ms, τ = 900 ms
    // A full bucket: cost 10 goes at once (TAT T0 + 900 - 900 <= now) and moves TAT to T0+1000. One token
    // more conforms at TAT - τ = T0+100 (TAT -> T0+1100); then cost 3 would go at T0+1100 + 200 - 900 =
    // T0+400, past the horizon: refused, to be retried when 250 ms away (at T0+150). One slot each.
    t.strictSame(await grant(throttle.acquire('P', [{ lease: 'k10', leaseUntil: LATER, cost: 10 }], limits)), {
      granted: 1,
      retryAfterMs: 0,
      waitMs: [0],
    });
    t.strictSame(
      await grant(
        throttle.acquire(
          'P',
          [
            { lease: 'k1', leaseUntil: LATER },
            { lease: 'k3', leaseUntil: LATER, cost: 3 },
          ],
          limits,
        ),
      ),
      { granted: 1, retryAfterMs: 150, waitMs: [100] },
    );
    clock.now = T0 + 150;
    t.strictSame(
      await grant(throttle.acquire('P', [{ lease: 'k3', leaseUntil: LATER, cost: 3 }], limits)),
      { granted: 1, retryAfterMs: 0, waitMs: [250] },
      'granted once 250 ms away',
    );
    // TAT T0+1400. Cost 2 at T0+1400 + 100 - 900 = T0+600: 450 ms from now, refused; cost 1 would fit at
    // T0+500, but deliveries are granted in order: it is not reached.
    t.strictSame(
      await grant(
        throttle.acquire(
          'P',
          [
            { lease: 'k2', leaseUntil: LATER, cost: 2 },
            { lease: 'k1b', leaseUntil: LATER },
          ],
          limits,
        ),
      ),
      { granted: 0, retryAfterMs: 200, waitMs: [] },
    );
    // Idle: a full bucket again, and 10 tokens at once take it whole: the next single one waits an interval.
    clock.now = T0 + 60_000;
    t.strictSame(
      await grant(
        throttle.acquire(
          'Q',
          [
            { lease: 'q10', leaseUntil: LATER, cost: 10 },
            { lease: 'q1', leaseUntil: LATER },
          ],
          limits,
        ),
      ),
      { granted: 2, retryAfterMs: 0, waitMs: [0, 100] },
    );
  });

  t.test(`${name}: throttle caps deliveries in flight; release and lease end free slots`, async (t) => {
    const { throttle, clock } = await setup(t);
    const limits = { rate: 1000, burst: 1000, maxInFlight: 2 }; // the schedule never limits here
    t.strictSame(
      await grant(
        throttle.acquire(
          'P',
          [
            { lease: 'a', leaseUntil: T0 + 1000 },
            { lease: 'b', leaseUntil: T0 + 3000 },
          ],
          limits,
        ),
      ),
      { granted: 2, retryAfterMs: 0, waitMs: [0, 0] },
    );
    t.strictSame(
      await grant(throttle.acquire('P', [{ lease: 'c', leaseUntil: T0 + 5000 }], limits)),
      { granted: 0, retryAfterMs: 20, waitMs: [] },
      'cap reached: the 20 ms pause',
    );
    await throttle.release('P', 'a');
    t.strictSame(
      await grant(throttle.acquire('P', [{ lease: 'c', leaseUntil: T0 + 5000 }], limits)),
      { granted: 1, retryAfterMs: 0, waitMs: [0] },
      'the released slot is reused',
    );
    t.strictSame(await grant(throttle.acquire('P', [{ lease: 'd', leaseUntil: T0 + 9000 }], limits)), {
      granted: 0,
      retryAfterMs: 20,
      waitMs: [],
    });
    await throttle.release('P', 'nobody'); // an unknown lease frees nothing
    t.strictSame(await grant(throttle.acquire('P', [{ lease: 'd', leaseUntil: T0 + 9000 }], limits)), {
      granted: 0,
      retryAfterMs: 20,
      waitMs: [],
    });
    clock.now = T0 + 3000; // b's lease is held up to and including its leaseUntil
    t.strictSame(await grant(throttle.acquire('P', [{ lease: 'd', leaseUntil: T0 + 9000 }], limits)), {
      granted: 0,
      retryAfterMs: 20,
      waitMs: [],
    });
    clock.now = T0 + 3001; // b's lease ended without a release (its worker died): the slot frees itself
    t.strictSame(await grant(throttle.acquire('P', [{ lease: 'd', leaseUntil: T0 + 9000 }], limits)), {
      granted: 1,
      retryAfterMs: 0,
      waitMs: [0],
    });
    t.strictSame(
      await grant(throttle.acquire('Q', leases('q', 3, T0 + 9000), limits)),
      { granted: 2, retryAfterMs: 20, waitMs: [0, 0] },
      'each peer has its own slots',
    );
  });

  t.test(`${name}: throttle: acquires and releases made at once are granted in call order, each slot freed`, async (t) => {
    const { throttle } = await setup(t);
    const limits = { rate: 1000, burst: 1000, maxInFlight: 3 };
    // Issued together (one turn of the event loop): a backend may send them as one batch.
    const [a, b, c] = await Promise.all([
      throttle.acquire(
        'P',
        [
          { lease: 'a1', leaseUntil: T0 + 9000 },
          { lease: 'a2', leaseUntil: T0 + 9000 },
        ],
        limits,
      ),
      throttle.acquire(
        'P',
        [
          { lease: 'b1', leaseUntil: T0 + 9000 },
          { lease: 'b2', leaseUntil: T0 + 9000 },
        ],
        limits,
      ),
      throttle.acquire('P', [{ lease: 'c1', leaseUntil: T0 + 9000 }], limits),
    ]);
    t.strictSame(await grant(Promise.resolve(a!)), { granted: 2, retryAfterMs: 0, waitMs: [0, 0] }, 'the first call: both');
    t.strictSame(await grant(Promise.resolve(b!)), { granted: 1, retryAfterMs: 20, waitMs: [0] }, 'the second: the last free slot');
    t.strictSame(await grant(Promise.resolve(c!)), { granted: 0, retryAfterMs: 20, waitMs: [] }, 'the third: none');
    await Promise.all([throttle.release('P', 'a1'), throttle.release('P', 'a2'), throttle.release('P', 'b1')]);
    t.strictSame(
      await grant(throttle.acquire('P', leases('d', 4, T0 + 9000), limits)),
      { granted: 3, retryAfterMs: 20, waitMs: [0, 0, 0] },
      'all three slots freed',
    );
  });

  t.test(`${name}: throttle: only granted deliveries hold a slot`, async (t) => {
    const { throttle, clock } = await setup(t);
    const limits = { rate: 1, burst: 1, maxInFlight: 2 }; // I = 1000 ms, τ = 0
    // x goes now (TAT -> T0+1000); y would go at T0+1000, 1000 ms away: refused, retry when 250 ms away.
    t.strictSame(await grant(throttle.acquire('P', leases('x', 2, LATER), limits)), { granted: 1, retryAfterMs: 750, waitMs: [0] });
    clock.now = T0 + 749;
    t.strictSame(await grant(throttle.acquire('P', leases('z', 1, LATER), limits)), { granted: 0, retryAfterMs: 1, waitMs: [] });
    clock.now = T0 + 750;
    // The refused delivery took no slot, so the second slot is free for this one.
    t.strictSame(await grant(throttle.acquire('P', leases('z', 1, LATER), limits)), { granted: 1, retryAfterMs: 0, waitMs: [250] });
    t.strictSame(
      await grant(throttle.acquire('P', leases('w', 1, LATER), limits)),
      { granted: 0, retryAfterMs: 20, waitMs: [] },
      'now both slots are held',
    );
  });
}
