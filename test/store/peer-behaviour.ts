// The per-peer part of the Queue contract (src/core/ports.ts: peerStats, holdPeer, releasePeer, peerHolds),
// run against each backend from queueSuite (queue-behaviour.ts). Expected values written out by hand from the
// contract and a fake clock.
import type { Test } from 'tap';
import type { PeerQueueStats, Queue } from '../../src/core/ports.js';
import type { QueueOptions } from '../../src/store/options.js';
import { type MakeStore, makeMessage, T0 } from './queue-behaviour.js';

const parts = () => [Buffer.from('hello'), Buffer.from([0, 1, 0x7f, 0xff])];

/** peerStats sorted by peer (the contract gives no order). */
async function byPeer(queue: Queue): Promise<PeerQueueStats[]> {
  return (await queue.peerStats()).sort((a, b) => a.peer.localeCompare(b.peer));
}

export function peerSuite(t: Test, name: string, make: MakeStore): void {
  async function setup(tt: Test, opts: Partial<QueueOptions> = {}) {
    const clock = { now: T0 };
    const store = await make({ ...opts, now: () => clock.now });
    tt.teardown(store.cleanup);
    return { queue: store.queue, clock };
  }

  t.test(`${name}: peerStats counts each peer's waiting and leased jobs and the age of its first due job`, async (t) => {
    const { queue, clock } = await setup(t, { leaseMs: 30_000 });
    t.strictSame(await queue.peerStats(), [], 'an empty queue has no peers');
    await queue.enqueue(makeMessage('a1', ['+1555000001', '+1555000002']), parts(), ['A', 'B']);
    clock.now = T0 + 1000;
    await queue.enqueue(makeMessage('a2', ['+1555000003']), parts(), ['A']);
    await queue.enqueue(makeMessage('later', ['+1555000004'], { earliestDeliveryAt: T0 + 60_000 }), parts(), ['C']);
    clock.now = T0 + 5000;
    t.strictSame(await byPeer(queue), [
      { peer: 'A', waiting: 2, leased: 0, oldestDueMs: 5000 },
      { peer: 'B', waiting: 1, leased: 0, oldestDueMs: 5000 },
      { peer: 'C', waiting: 1, leased: 0, oldestDueMs: 0 },
    ]);
    const jobs = await queue.take(10, 1); // one of A (a1/0), one of B
    t.strictSame(jobs.map((j) => `${j.messageId}/${j.recipientIndex}`).sort(), ['a1/0', 'a1/1']);
    t.strictSame(await byPeer(queue), [
      { peer: 'A', waiting: 1, leased: 1, oldestDueMs: 4000 },
      { peer: 'B', waiting: 0, leased: 1, oldestDueMs: 0 },
      { peer: 'C', waiting: 1, leased: 0, oldestDueMs: 0 },
    ]);
    const b = jobs.find((j) => j.peer === 'B')!;
    await queue.ack(b, 'delivered');
    clock.now = T0 + 35_001; // A's lease ran out: its job waits again
    t.strictSame(await byPeer(queue), [
      { peer: 'A', waiting: 2, leased: 0, oldestDueMs: 34_001 },
      { peer: 'C', waiting: 1, leased: 0, oldestDueMs: 0 },
    ]);
  });

  t.test(`${name}: a held peer's jobs are not handed out, nor use an attempt; release hands them out again`, async (t) => {
    const { queue, clock } = await setup(t);
    await queue.enqueue(makeMessage('h1', ['+1555000001', '+1555000002']), parts(), ['A', 'B']);
    const hold = { mode: 'paused' as const, by: 'ops-alice', at: T0 };
    await queue.holdPeer('A', hold);
    t.strictSame([...(await queue.peerHolds())], [['A', hold]]);
    const first = await queue.take(10);
    t.strictSame(
      first.map((j) => j.peer),
      ['B'],
      'only the peer not held',
    );
    await queue.enqueue(makeMessage('h2', ['+1555000003']), parts(), ['A']);
    clock.now = T0 + 1000;
    t.strictSame(await queue.take(10), [], 'nor a job enqueued while it is held');
    t.strictSame(await queue.states('h1'), ['queued', 'delivering']);
    t.strictSame(
      (await byPeer(queue)).find((s) => s.peer === 'A'),
      { peer: 'A', waiting: 2, leased: 0, oldestDueMs: 1000 },
      'held jobs wait, and age',
    );
    // Draining replaces the hold; the delivery in flight to B (not held) is settled as usual.
    const drain = { mode: 'draining' as const, by: 'ops-bob', at: T0 + 1000 };
    await queue.holdPeer('A', drain);
    t.strictSame([...(await queue.peerHolds())], [['A', drain]]);
    await queue.ack(first[0]!, 'delivered');
    t.equal(await queue.releasePeer('A'), true);
    t.equal(await queue.releasePeer('A'), false, 'not held any more');
    t.strictSame([...(await queue.peerHolds())], []);
    const after = await queue.take(10);
    t.strictSame(
      after.map((j) => `${j.messageId}/${j.recipientIndex}:${j.attempt}`).sort(),
      ['h1/0:1', 'h2/0:1'],
      'handed out at once, at their first attempt',
    );
  });

  t.test(`${name}: a delivery in flight to a peer held meanwhile finishes; a retry of it waits for the release`, async (t) => {
    const { queue, clock } = await setup(t);
    await queue.enqueue(makeMessage('f1', ['+1555000001']), parts(), ['A']);
    const [job] = await queue.take(1);
    await queue.holdPeer('A', { mode: 'draining', by: 'ops', at: T0 });
    t.strictSame(await byPeer(queue), [{ peer: 'A', waiting: 0, leased: 1, oldestDueMs: 0 }], 'in flight');
    t.equal(await queue.retry(job!, 'busy', 100), 'retrying');
    clock.now = T0 + 200;
    t.strictSame(await queue.take(10), [], 'due again, but held');
    t.strictSame(await byPeer(queue), [{ peer: 'A', waiting: 1, leased: 0, oldestDueMs: 100 }], 'none in flight: drained');
    await queue.releasePeer('A');
    t.equal((await queue.take(10))[0]?.attempt, 2);
  });
}
