// A full embedded store (its queue.memoryMaxMessages / queue.memoryMaxBytes limits reached), as
// queue-redis-full.test.ts does for a Redis at maxmemory: new messages are refused with StoreFullError (the
// edges answer "try later"; see mm7-server, mm7-rest and mm1-gateway tests), every accepted message stays
// whole, workers still take and settle jobs at the limit, and accepting resumes once they have drained it.
// A fake clock; expected counts and bounds are written out from the limits each test sets.
import t, { type Test } from 'tap';
import { createMemoryStore } from '../../src/store/memory/index.js';
import { StoreFullError, type Queue } from '../../src/core/ports.js';
import { T0, makeMessage } from './queue-behaviour.js';

const MIN = 60_000;
const FULL = { name: 'StoreFullError', code: 'STORE_FULL', transient: true };

function setup(t: Test, limits: { maxMessages?: number; maxBytes?: number }) {
  const clock = { now: T0 };
  const store = createMemoryStore({ now: () => clock.now, limits });
  t.teardown(() => store.queue.close());
  return { queue: store.queue, clock };
}

/** Takes and acknowledges every due job, one clock tick apart (so that they finish in take order). */
async function drain(queue: Queue, clock: { now: number }): Promise<string[]> {
  const done: string[] = [];
  for (let jobs = await queue.take(100, 100); jobs.length > 0; jobs = await queue.take(100, 100)) {
    for (const job of jobs) {
      clock.now += 1;
      await queue.ack(job, 'delivered');
      done.push(job.messageId);
    }
  }
  return done;
}

t.test('at its message limit the store refuses new messages, keeps the accepted ones, and accepts again once drained', async (t) => {
  const { queue, clock } = setup(t, { maxMessages: 5 });
  const noReport = { deliveryReport: false };
  for (let i = 0; i < 5; i++) await queue.enqueue(makeMessage(`m${i}`, ['+15550000002'], noReport), [Buffer.from(`body ${i}`)], ['P']);
  const refused = queue.enqueue(makeMessage('m5', ['+15550000002'], noReport), [Buffer.from('body 5')], ['P']);
  await t.rejects(refused, { ...FULL, limit: 'messages' }, 'the sixth is refused: full');
  await t.rejects(
    queue.enqueue(makeMessage('m5', ['+15550000002'], noReport), [Buffer.from('body 5')], ['P']),
    StoreFullError,
    'and again, while nothing is delivered',
  );
  t.equal(await queue.message('m5'), undefined, 'nothing of it is stored');
  await queue.enqueue(makeMessage('m0', ['+15550000002'], noReport), [Buffer.from('body 0')], ['P']);
  t.pass('a re-submission of a stored message id is still answered (it takes no room)');
  t.same(queue.usage().messages, 5);

  // Workers take, extend and settle at the limit.
  const held = await queue.take(2);
  await queue.extend(held[0]!);
  t.equal(await queue.retry(held[1]!, 'peer busy', 0), 'retrying', 'a retry at the limit');
  clock.now += 1;
  await queue.ack(held[0]!, 'delivered');
  const done = [held[0]!.messageId, ...(await drain(queue, clock))];
  t.same(new Set(done), new Set(['m0', 'm1', 'm2', 'm3', 'm4']), 'every accepted message was delivered at the limit');
  for (let i = 0; i < 5; i++) t.equal((await queue.content(`m${i}`))?.[0]?.toString(), `body ${i}`, `m${i} kept whole for its retention`);

  // Delivered messages are kept for their retention (a day by default): the oldest finished one makes room.
  await queue.enqueue(makeMessage('m5', ['+15550000002'], noReport), [Buffer.from('body 5')], ['P']);
  t.pass('accepting again once drained, a day before the retention ends');
  t.equal(await queue.message(done[0]!), undefined, `the oldest finished message (${done[0]}) made room`);
  t.ok(await queue.message(done[4]!), 'the newer finished ones are still there');
  t.equal(queue.usage().messages, 5);
});

t.test('at its byte limit the store refuses: content and a per-message overhead count', async (t) => {
  const maxBytes = 100 * 1024;
  const { queue } = setup(t, { maxBytes });
  const body = Buffer.alloc(10 * 1024, 0x5a);
  const empty = queue.usage().bytes;
  t.equal(empty, 0, 'an empty store holds nothing');
  await queue.enqueue(makeMessage('b0', ['+15550000002']), [body], ['P']);
  const one = queue.usage().bytes;
  t.ok(one >= body.length + 2048 && one <= body.length + 8192, `one 10 KB message is estimated at content + 2..8 KB (${one} bytes)`);
  let accepted = 1;
  let error: unknown;
  for (let i = 1; i < 20 && error === undefined; i++) {
    try {
      await queue.enqueue(makeMessage(`b${i}`, ['+15550000002']), [body], ['P']);
      accepted++;
    } catch (err) {
      error = err;
    }
  }
  t.match(error, { ...FULL, limit: 'bytes' }, 'refused on bytes');
  t.ok(accepted < 10, `fewer than the 10 messages the content alone would fit (${accepted})`);
  t.ok(accepted >= 5, `but not absurdly few (${accepted})`);
  t.ok(queue.usage().bytes <= maxBytes, 'the estimate stays within the limit');
  t.equal((await queue.stats()).waiting, accepted, 'every accepted message has its job');
});

t.test('more recipients and parts cost more', async (t) => {
  const { queue } = setup(t, {});
  await queue.enqueue(makeMessage('r1', ['+15550000002']), [Buffer.from('x')], ['P']);
  const one = queue.usage().bytes;
  const ten = Array.from({ length: 10 }, (_, i) => `+155500001${String(i).padStart(2, '0')}`);
  await queue.enqueue(makeMessage('r10', ten), [Buffer.from('x')], Array(10).fill('P') as string[]);
  const withTen = queue.usage().bytes - one;
  t.ok(withTen - one >= 9 * 256, `nine more recipients add at least 256 bytes each (${withTen - one})`);
  await queue.enqueue(
    makeMessage('p5', ['+15550000002']),
    Array.from({ length: 5 }, () => Buffer.from('x')),
    ['P'],
  );
  const withFive = queue.usage().bytes - one - withTen;
  t.ok(withFive - one >= 4 * 128, `four more parts add at least 128 bytes each (${withFive - one})`);
});

t.test('content staged for a request still arriving counts; a stage over the room fails, and its enqueue', async (t) => {
  const { queue } = setup(t, { maxBytes: 1024 * 1024 });
  const piece = Buffer.alloc(64 * 1024, 1);
  const first = queue.stage('s1', MIN);
  const w1 = first.part();
  for (let i = 0; i < 10; i++) w1.write(piece); // 640 KiB
  w1.end();
  await first.drain();
  t.ok(queue.usage().bytes >= 640 * 1024, 'the staged bytes are counted');

  const second = queue.stage('s2', MIN);
  const w2 = second.part();
  for (let i = 0; i < 10; i++) w2.write(piece); // another 640 KiB: over 1 MiB together
  w2.end();
  await t.rejects(second.drain(), { ...FULL, limit: 'bytes' }, 'the second stage fails once the store is full');
  await t.rejects(queue.enqueue(makeMessage('s2', ['+15550000002']), second, ['P']), StoreFullError, 'and so does its enqueue');
  t.ok(queue.usage().bytes < 700 * 1024, 'what the failed stage held was let go at once');
  await second.discard();

  const msg = makeMessage('s1', ['+15550000002']);
  msg.parts = [{ index: 0, contentType: 'image/jpeg', size: 640 * 1024 }];
  await queue.enqueue(msg, first, ['P']);
  t.equal((await queue.content('s1'))?.[0]?.length, 640 * 1024, 'the first is stored whole');
  await t.rejects(
    queue.enqueue(makeMessage('big', ['+15550000002']), [Buffer.alloc(512 * 1024)], ['P']),
    StoreFullError,
    'a whole message that does not fit is refused',
  );

  const third = queue.stage('s3', MIN);
  const w3 = third.part();
  w3.write(Buffer.alloc(100 * 1024));
  w3.end();
  await third.drain();
  await third.discard();
  t.ok(queue.usage().bytes < 700 * 1024, 'a discarded stage gives its bytes back');
});

t.test('a stage neither taken nor discarded lets its bytes go after its TTL, as a Redis stage key expires', async (t) => {
  // The TTL runs on a real (unref'd) timer, not the queue's clock, as a Redis key expires by the server's.
  const { queue } = setup(t, { maxBytes: 1024 * 1024 });
  const before = queue.usage().bytes;
  // A request that died (or a caller that forgot the stage): nothing takes it, nothing discards it.
  const stage = queue.stage('lost', 50);
  const w = stage.part();
  w.write(Buffer.alloc(100 * 1024, 1));
  w.end();
  await stage.drain();
  t.ok(queue.usage().bytes >= before + 100 * 1024, 'the staged bytes are counted');
  await new Promise((r) => setTimeout(r, 150));
  t.equal(queue.usage().bytes, before, 'past its TTL the stage holds nothing of the store');
  await t.rejects(queue.enqueue(makeMessage('lost', ['+15550000002']), stage, ['P']), /expired/, 'and an enqueue of it fails');
  await stage.discard();
  t.equal(queue.usage().bytes, before, 'a discard after the expiry frees nothing twice');

  // A stage taken before its TTL: its bytes are the message's from then on, the timer does not free them again.
  const kept = queue.stage('kept', 50);
  const k = kept.part();
  k.write(Buffer.alloc(100 * 1024, 2));
  k.end();
  const msg = makeMessage('kept', ['+15550000002']);
  msg.parts = [{ index: 0, contentType: 'image/jpeg', size: 100 * 1024 }];
  await queue.enqueue(msg, kept, ['P']);
  const stored = queue.usage().bytes;
  t.ok(stored >= before + 100 * 1024, 'the message counts its content');
  await new Promise((r) => setTimeout(r, 150));
  t.equal(queue.usage().bytes, stored, 'past the TTL the stored message still counts the same');
});

t.test('a finished message waits for its delivery report before it makes room; the report itself is admitted when full', async (t) => {
  const { queue, clock } = setup(t, { maxMessages: 2 });
  await queue.enqueue(makeMessage('d0', ['+15550000002']), [Buffer.from('a')], ['P']);
  await queue.enqueue(makeMessage('d1', ['+15550000002']), [Buffer.from('b')], ['P']);
  t.same((await drain(queue, clock)).sort(), ['d0', 'd1']);
  await t.rejects(
    queue.enqueue(makeMessage('d2', ['+15550000002']), [Buffer.from('c')], ['P']),
    StoreFullError,
    'finished, but its report is not queued yet: still full',
  );

  const events = await queue.finalEvents(10);
  t.equal(events.length, 2, 'two final events to report');
  const report = makeMessage('rep-d0', ['+15550000001'], {
    deliveryReport: false,
    report: { kind: 'delivery', messageId: 'd0', recipientIndex: 0, to: { iface: 'mm1', peer: 'mm1' }, status: 'delivered', at: T0 },
  });
  await queue.enqueue(report, [], ['R']);
  t.pass('a delivery report is admitted over the limit');
  t.equal(queue.usage().messages, 3);
  await queue.ackFinal(events.map((e) => e.id));

  await queue.enqueue(makeMessage('d2', ['+15550000002']), [Buffer.from('c')], ['P']);
  t.pass('once reported, the finished messages make room');
  t.equal(await queue.message('d0'), undefined, 'd0 went');
  t.equal(await queue.message('d1'), undefined, 'and d1 (the report still counts)');
  t.ok(await queue.message('rep-d0'), 'the report is queued');
});

t.test('past their retention, finished messages leave the count', async (t) => {
  const clock = { now: T0 };
  const store = createMemoryStore({ now: () => clock.now, retentionMs: MIN, limits: { maxMessages: 1 } });
  t.teardown(() => store.queue.close());
  const { queue } = store;
  await queue.enqueue(makeMessage('e0', ['+15550000002']), [Buffer.from('a')], ['P']);
  await drain(queue, clock);
  const [event] = await queue.finalEvents(1);
  clock.now += MIN + 1;
  await queue.enqueue(makeMessage('e1', ['+15550000002']), [Buffer.from('b')], ['P']);
  t.pass('accepted: e0 went with its retention, reported or not');
  t.equal(queue.usage().messages, 1);
  await queue.ackFinal([event!.id]); // late acknowledgement of a message that is gone: harmless
  t.equal(queue.usage().messages, 1);
});
