// The admin API's store additions (src/core/ports.ts: trace, dead letters, search), part of the shared queue
// behaviour suite (queue-behaviour.ts calls it for each backend). Expected values are written out by hand
// from the contract and a fake clock.
import type { Test } from 'tap';
import type { Queue } from '../../src/core/ports.js';
import type { QueueOptions } from '../../src/store/options.js';
import { T0, makeMessage } from './queue-behaviour.js';

const DAY = 24 * 3600_000;

type Setup = (t: Test, opts?: Partial<QueueOptions>) => Promise<{ queue: Queue; clock: { now: number } }>;

const parts = () => [Buffer.from('hello'), Buffer.from([0, 1, 0x7f, 0xff])];

/** Fail the job `attempts` times (one take and retry each), the clock moving 1 s after each. */
async function failAll(t: Test, queue: Queue, clock: { now: number }, id: string, attempts: number, error: string): Promise<void> {
  for (let i = 1; i <= attempts; i++) {
    const jobs = await queue.take(10, 10);
    const job = jobs.find((j) => j.messageId === id);
    if (!job) return void t.fail(`no job of ${id} to take (attempt ${i})`);
    await queue.retry(job, `${error} ${i}`, 1000);
    for (const other of jobs) if (other !== job) await queue.defer(other, clock.now);
    clock.now += 1000;
  }
}

export function queueAdminSuite(t: Test, name: string, setup: Setup): void {
  t.test(`${name}: trace shows each recipient's state, peer, attempts, last error, notifications and history`, async (t) => {
    const { queue, clock } = await setup(t);
    await queue.enqueue(makeMessage('tr', ['+15550000002', '+15550000003']), parts(), ['mm4:carrier', 'mm1']);
    const jobs = (await queue.take(10, 10)).sort((a, b) => a.recipientIndex - b.recipientIndex);
    clock.now = T0 + 100;
    await queue.retry(jobs[0]!, 'peer said 451', 5000);
    await queue.wait(jobs[1]!, 'notification pushed', 60_000);
    const trace = await queue.trace('tr');
    t.strictSame(trace?.message, makeMessage('tr', ['+15550000002', '+15550000003']));
    t.strictSame(trace?.recipients, [
      {
        index: 0,
        state: 'retrying',
        peer: 'mm4:carrier',
        attempt: 1,
        notifications: 0,
        lastError: 'peer said 451',
        history: [
          { at: T0, state: 'queued', attempt: 0 },
          { at: T0, state: 'delivering', attempt: 1 },
          { at: T0 + 100, state: 'retrying', attempt: 1, detail: 'peer said 451' },
        ],
      },
      {
        index: 1,
        state: 'notified',
        peer: 'mm1',
        attempt: 0,
        notifications: 1,
        history: [
          { at: T0, state: 'queued', attempt: 0 },
          { at: T0, state: 'delivering', attempt: 1 },
          { at: T0 + 100, state: 'notified', attempt: 0, detail: 'notification pushed' },
        ],
      },
    ]);
    clock.now = T0 + 5100;
    const [again] = await queue.take(10, 10);
    const leased = await queue.trace('tr');
    t.equal(again?.recipientIndex, 0);
    t.match(leased?.recipients[0], { state: 'delivering', attempt: 2, leaseUntil: T0 + 5100 + 60_000 }, 'a leased job shows its lease end');
    t.equal(await queue.trace('nope'), undefined);
  });

  t.test(`${name}: dead letters filter by peer and reason; inspect; discard`, async (t) => {
    const { queue, clock } = await setup(t, { maxAttempts: 2 });
    await queue.enqueue(makeMessage('d1', ['+15550000002']), parts(), ['smsc:a']);
    await failAll(t, queue, clock, 'd1', 2, 'timeout');
    await queue.enqueue(makeMessage('d2', ['+15550000002']), parts(), ['smsc:b']);
    await failAll(t, queue, clock, 'd2', 2, 'Connection refused');
    await queue.enqueue(makeMessage('d3', ['+15550000002']), parts(), ['smsc:a']);
    await failAll(t, queue, clock, 'd3', 2, 'connection REFUSED');
    const id = (l: Array<{ messageId: string }>) => l.map((d) => d.messageId);
    t.strictSame(id(await queue.deadLetters(100)), ['d3', 'd2', 'd1']);
    t.strictSame(id(await queue.deadLetters(100, { peer: 'smsc:a' })), ['d3', 'd1']);
    t.strictSame(id(await queue.deadLetters(100, { reason: 'refused' })), ['d3', 'd2'], 'reason: within the error, any case');
    t.strictSame(id(await queue.deadLetters(100, { peer: 'smsc:a', reason: 'refused' })), ['d3']);
    t.strictSame(id(await queue.deadLetters(1, { peer: 'smsc:a' })), ['d3'], 'the limit applies after the filter');
    t.strictSame(await queue.deadLetter('d2', 0), {
      messageId: 'd2',
      recipientIndex: 0,
      peer: 'smsc:b',
      attempts: 2,
      error: 'Connection refused 2',
      at: T0 + 3000,
    });
    t.equal(await queue.deadLetter('d2', 1), undefined);
    t.equal(await queue.discardDead('d2', 0), true);
    t.equal(await queue.discardDead('d2', 0), false, 'gone once discarded');
    t.equal(await queue.deadLetter('d2', 0), undefined);
    t.strictSame(await queue.states('d2'), ['failed'], 'the recipient stays failed');
    t.equal((await queue.stats()).dead, 2);
  });

  t.test(`${name}: a requeued dead letter is due now with fresh attempts, and leaves the dead letters`, async (t) => {
    const { queue, clock } = await setup(t, { maxAttempts: 2 });
    await queue.enqueue(makeMessage('rq', ['+15550000002', '+15550000003']), parts(), ['smsc:a', 'smsc:b']);
    // Recipient 1 delivered; recipient 0 fails twice: the message is done, kept for its retention only.
    const first = (await queue.take(10, 10)).sort((a, b) => a.recipientIndex - b.recipientIndex);
    await queue.ack(first[1]!, 'delivered');
    await queue.retry(first[0]!, 'refused 1', 1000);
    clock.now += 1000;
    const [second] = await queue.take(10, 10);
    t.equal(await queue.retry(second!, 'refused 2', 1000), 'failed');
    t.strictSame(await queue.take(10, 10), []);
    clock.now = T0 + 10_000;
    t.equal(await queue.requeueDead('rq', 0), 'requeued');
    t.strictSame(await queue.deadLetters(), [], 'the entry is gone');
    t.strictSame(await queue.states('rq'), ['queued', 'delivered']);
    t.strictSame((await queue.history('rq', 0)).at(-1), {
      at: T0 + 10_000,
      state: 'queued',
      attempt: 0,
      detail: 'requeued from the dead letters',
    });
    const [job] = await queue.take(10, 10);
    t.match(job, { messageId: 'rq', recipientIndex: 0, peer: 'smsc:a', attempt: 1 }, 'due now, attempts afresh');
    // The message is pending again: its retention no longer runs, and it is delivered normally.
    clock.now = T0 + 2 * DAY;
    await queue.extend(job!, 60_000);
    await queue.ack(job!, 'delivered');
    t.strictSame(await queue.states('rq'), ['delivered', 'delivered'], 'the message was kept past the first retention');
    t.equal(await queue.requeueDead('rq', 0), 'unknown', 'no dead letter any more');
    t.equal(await queue.requeueDead('nope', 0), 'unknown');
  });

  t.test(`${name}: requeue all of a peer; an expired message keeps its entry`, async (t) => {
    const { queue, clock } = await setup(t, { maxAttempts: 1 });
    await queue.enqueue(makeMessage('a1', ['+15550000002']), parts(), ['smsc:a']);
    await queue.enqueue(makeMessage('a2', ['+15550000002'], { expiresAt: T0 + 60_000 }), parts(), ['smsc:a']);
    await queue.enqueue(makeMessage('b1', ['+15550000002']), parts(), ['smsc:b']);
    for (const job of await queue.take(10, 10)) t.equal(await queue.retry(job, 'down', 1000), 'failed');
    clock.now = T0 + 120_000; // a2 has expired
    t.strictSame(await queue.requeueDeadOfPeer('smsc:a'), { requeued: 1, expired: 1, gone: 0 });
    t.strictSame((await queue.deadLetters()).map((d) => d.messageId).sort(), ['a2', 'b1'], "the expired one stays, the other peer's too");
    t.equal(await queue.requeueDead('a2', 0), 'expired');
    t.strictSame(
      (await queue.take(10, 10)).map((j) => `${j.messageId}/${j.attempt}`),
      ['a1/1'],
    );
    t.strictSame(await queue.requeueDeadOfPeer('smsc:none'), { requeued: 0, expired: 0, gone: 0 });
  });

  t.test(`${name}: search by recipient or originator, in a window, newest first, a page at a time`, async (t) => {
    const { queue, clock } = await setup(t);
    const from = (address: string) => ({ originator: { address, type: 'plmn' as const } });
    // s1..s5 to +1555...2 from A, at T0, T0+1, T0+1, T0+1, T0+2 (three in one ms); s6 to another.
    const at = [0, 1, 1, 1, 2];
    for (let i = 0; i < 5; i++) {
      await queue.enqueue(makeMessage(`s${i + 1}`, ['+15550000002'], { receivedAt: T0 + at[i]!, ...from('+15550000009') }), parts(), ['p']);
    }
    await queue.enqueue(makeMessage('s6', ['+15550000003'], { receivedAt: T0 + 1, ...from('+15550000009') }), parts(), ['p']);
    const q = { by: 'recipient' as const, address: '+15550000002', from: T0, to: T0 + 10 };
    const all = await queue.search({ ...q, limit: 10 });
    t.strictSame(
      all.hits.map((h) => `${h.messageId}@${h.at - T0}`),
      ['s5@2', 's4@1', 's3@1', 's2@1', 's1@0'],
    );
    t.equal(all.next, undefined, 'one page holds them all');
    // Pages of two: the cursor goes through the three of one millisecond without a repeat or a gap.
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await queue.search({ ...q, limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...page.hits.map((h) => h.messageId));
      cursor = page.next;
      pages++;
    } while (cursor && pages < 10);
    t.strictSame(seen, ['s5', 's4', 's3', 's2', 's1']);
    t.equal(pages, 3);
    t.strictSame(
      (await queue.search({ ...q, from: T0 + 1, to: T0 + 1, limit: 10 })).hits.map((h) => h.messageId),
      ['s4', 's3', 's2'],
      'the window',
    );
    t.strictSame(
      (await queue.search({ by: 'originator', address: '+15550000009', from: T0, to: T0 + 10, limit: 3 })).hits.map((h) => h.messageId),
      ['s5', 's6', 's4'],
      'by originator: both recipients',
    );
    t.strictSame((await queue.search({ ...q, address: '+15550000004', limit: 10 })).hits, [], 'an address never seen');
    // Entries older than the index lifetime (the retention by default) are found no more.
    clock.now = T0 + DAY + 10;
    await queue.enqueue(makeMessage('s7', ['+15550000002'], { receivedAt: clock.now }), parts(), ['p']);
    t.strictSame(
      (await queue.search({ ...q, to: clock.now, limit: 10 })).hits.map((h) => h.messageId),
      ['s7'],
    );
  });

  t.test(`${name}: search by account (origin iface:peer), every message of it, in a window, a page at a time`, async (t) => {
    const { queue, clock } = await setup(t);
    const rest = (peer: string) => ({ origin: { iface: 'rest' as const, peer } });
    // a1..a3 from rest:acme (a2, a3 in one ms), b1 from rest:beta, m1 from mm7:acme, x1 from mm1.
    await queue.enqueue(makeMessage('a1', ['+15550000002'], { receivedAt: T0, ...rest('acme') }), parts(), ['p']);
    await queue.enqueue(makeMessage('a2', ['+15550000003', '+15550000004'], { receivedAt: T0 + 5, ...rest('acme') }), parts(), ['p', 'p']);
    await queue.enqueue(makeMessage('a3', ['+15550000002'], { receivedAt: T0 + 5, ...rest('acme') }), parts(), ['p']);
    await queue.enqueue(makeMessage('b1', ['+15550000002'], { receivedAt: T0 + 1, ...rest('beta') }), parts(), ['p']);
    await queue.enqueue(makeMessage('m1', ['+15550000002'], { receivedAt: T0 + 2, origin: { iface: 'mm7', peer: 'acme' } }), parts(), [
      'p',
    ]);
    await queue.enqueue(makeMessage('x1', ['+15550000002'], { receivedAt: T0 + 3 }), parts(), ['p']);
    // An event queued back to the account (a report carries the original's origin): not one of its submissions.
    const report = {
      kind: 'event' as const,
      messageId: 'a1',
      recipientIndex: 0,
      to: { iface: 'rest' as const, peer: 'acme' },
      status: 'delivered' as const,
      at: T0 + 4,
    };
    await queue.enqueue(makeMessage('a1-e0-delivered', ['+15550000001'], { receivedAt: T0 + 4, ...rest('acme'), report }), parts(), ['p']);
    const q = { by: 'account' as const, address: 'rest:acme', from: T0, to: T0 + 10 };
    t.strictSame(
      (await queue.search({ ...q, limit: 10 })).hits.map((h) => `${h.messageId}@${h.at - T0}`),
      ['a3@5', 'a2@5', 'a1@0'],
      "the account's messages, once each whatever their recipients, newest first",
    );
    const first = await queue.search({ ...q, limit: 2 });
    t.strictSame(
      first.hits.map((h) => h.messageId),
      ['a3', 'a2'],
    );
    t.ok(first.next, 'a next page');
    const second = await queue.search({ ...q, limit: 2, cursor: first.next! });
    t.strictSame(
      second.hits.map((h) => h.messageId),
      ['a1'],
    );
    t.equal(second.next, undefined);
    t.strictSame(
      (await queue.search({ ...q, from: T0 + 1, limit: 10 })).hits.map((h) => h.messageId),
      ['a3', 'a2'],
      'the window',
    );
    t.strictSame(
      (await queue.search({ ...q, address: 'mm7:acme', limit: 10 })).hits.map((h) => h.messageId),
      ['m1'],
      'per interface',
    );
    t.strictSame(
      (await queue.search({ ...q, address: 'mm1:mm1', limit: 10 })).hits.map((h) => h.messageId),
      ['x1'],
      'every message',
    );
    t.strictSame(
      (await queue.search({ ...q, address: 'rest:beta', limit: 10 })).hits.map((h) => h.messageId),
      ['b1'],
    );
    // The same lifetime as the other indexes.
    clock.now = T0 + DAY + 10;
    await queue.enqueue(makeMessage('a4', ['+15550000002'], { receivedAt: clock.now, ...rest('acme') }), parts(), ['p']);
    t.strictSame(
      (await queue.search({ ...q, to: clock.now, limit: 10 })).hits.map((h) => h.messageId),
      ['a4'],
    );
  });

  t.test(`${name}: searchIndexMs 0 writes no index`, async (t) => {
    const { queue } = await setup(t, { searchIndexMs: 0 });
    await queue.enqueue(makeMessage('n1', ['+15550000002']), parts(), ['p']);
    t.strictSame((await queue.search({ by: 'recipient', address: '+15550000002', from: 0, to: T0 + 1, limit: 10 })).hits, []);
  });
}
