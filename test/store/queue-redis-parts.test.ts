// The small pieces under the Redis queue: the content frame (parts in one string), the content write that
// sends it (head and parts written to the socket uncopied), and the group-commit batcher (calls of one tick
// in one command).
import { Socket } from 'node:net';
import { Command } from 'ioredis';
import t from 'tap';
import { Batcher } from '../../src/store/redis/batcher.js';
import { decodeParts, encodeParts } from '../../src/store/redis/content-frame.js';
import { FrameSetCommand, SliceCommand } from '../../src/store/redis/frame-set.js';

t.test('content frame: parts come back as they went in', async (t) => {
  const cases: Buffer[][] = [[], [Buffer.alloc(0)], [Buffer.from('hello')], [Buffer.from('a'), Buffer.alloc(0), Buffer.from([0, 1, 0xff])]];
  for (const parts of cases) {
    const frame = encodeParts(parts);
    // Layout by hand: bytes, u32 lengths, u32 count last.
    t.equal(frame.readUInt32BE(frame.length - 4), parts.length);
    const data = parts.reduce((s, p) => s + p.length, 0);
    t.equal(frame.length, 4 * (parts.length + 1) + data);
    parts.forEach((p, i) => t.equal(frame.readUInt32BE(data + 4 * i), p.length, `length of part ${i}`));
    t.strictSame(
      decodeParts(frame)?.map((b) => [...b]),
      parts.map((b) => [...b]),
    );
  }
});

t.test('content frame: a frame that is not ours decodes to undefined, never throws', async (t) => {
  const good = encodeParts([Buffer.from('abc'), Buffer.from('de')]);
  t.equal(decodeParts(Buffer.alloc(0)), undefined, 'empty');
  t.equal(decodeParts(Buffer.from([0, 0])), undefined, 'shorter than the count');
  t.equal(decodeParts(Buffer.from([0xff, 0xff, 0xff, 0xff])), undefined, '4 billion parts declared');
  t.equal(decodeParts(good.subarray(0, good.length - 1)), undefined, 'truncated data');
  t.equal(decodeParts(Buffer.concat([good, Buffer.from('x')])), undefined, 'trailing bytes');
  const lying = Buffer.from(good);
  lying.writeUInt32BE(1000, lying.length - 12); // the first part's length
  t.equal(decodeParts(lying), undefined, 'a part length past the end');
  for (let cut = 0; cut < good.length; cut++) t.equal(decodeParts(good.subarray(0, cut)), undefined, `cut at ${cut}`);
});

t.test('content write: the bytes are those ioredis writes for SET key <frame> PX ms NX', async (t) => {
  const cases: Array<[string, Buffer[], number]> = [
    ['mmsc:{s0}:c:m-1', [Buffer.alloc(10_240, 0xa5)], 600_000],
    ['mmsc:{s3}:c:\u00e9t\u00e9', [Buffer.from('a'), Buffer.alloc(0), Buffer.from([0, 13, 10, 255])], 1],
    ['k', [], 600_000],
  ];
  for (const [key, parts, px] of cases) {
    // ioredis' own encoding of the plain call is the reference.
    const reference = new Command('set', [key, encodeParts(parts), 'PX', String(px), 'NX']).toWritable({});
    const ours = new FrameSetCommand(key, parts, px);
    t.ok(Buffer.from(reference).equals(ours.toWritable()), `same bytes for ${JSON.stringify(key)}`);
    t.equal(ours.args[0], key, 'the key is where Cluster routing looks for it');
    // As ioredis sends it: toWritable(socket) writes head and parts to the socket, ioredis writes the rest.
    const socket = new Socket();
    const written: Buffer[] = [];
    socket.write = ((chunk: Buffer) => written.push(chunk) > 0) as typeof socket.write;
    const rest = ours.toWritable(socket);
    t.ok(Buffer.concat([...written, rest]).equals(Buffer.from(reference)), `same bytes through the socket for ${JSON.stringify(key)}`);
    const nonEmpty = parts.filter((p) => p.length > 0);
    t.ok(
      nonEmpty.every((p) => written.includes(p)),
      'each part written as the very buffer given (not a copy)',
    );
  }
});

t.test('stage slice write: the bytes are those ioredis writes for SET key <slice> PX ms NX and APPEND key <slice>', async (t) => {
  const cases: Array<[string, Buffer, number | undefined]> = [
    ['mmsc:{s0}:c:m-1', Buffer.alloc(65_536, 0xa5), 600_000],
    ['mmsc:{s0}:c:m-1', Buffer.from([0, 13, 10, 255]), undefined],
    ['mmsc:{s3}:c:\u00e9t\u00e9:next:x', Buffer.alloc(0), 1],
    ['k', Buffer.alloc(0), undefined],
  ];
  for (const [key, bytes, px] of cases) {
    const reference = new Command(
      px === undefined ? 'append' : 'set',
      px === undefined ? [key, bytes] : [key, bytes, 'PX', String(px), 'NX'],
    ).toWritable({});
    const ours = new SliceCommand(key, bytes, px === undefined ? [] : ['PX', String(px), 'NX']);
    t.ok(Buffer.from(reference).equals(ours.toWritable()), `same bytes for ${ours.name} ${JSON.stringify(key)}`);
    t.equal(ours.args[0], key, 'the key is where Cluster routing looks for it');
    const socket = new Socket();
    const written: Buffer[] = [];
    socket.write = ((chunk: Buffer) => written.push(chunk) > 0) as typeof socket.write;
    const rest = ours.toWritable(socket);
    t.ok(Buffer.concat([...written, rest]).equals(Buffer.from(reference)), `same bytes through the socket for ${ours.name}`);
    if (bytes.length > 0) t.ok(written.includes(bytes), 'the slice written as the very buffer given (not a copy)');
  }
});

t.test('batcher: calls of one tick go in one run per group, results in order', async (t) => {
  const runs: Array<[string, number[]]> = [];
  const b = new Batcher<number, number>(async (group, items) => {
    runs.push([group, items]);
    return items.map((x) => x * 10);
  }, 3);
  const results = await Promise.all([b.add('a', 1), b.add('b', 2), b.add('a', 3), b.add('a', 4), b.add('a', 5)]);
  t.strictSame(results, [10, 20, 30, 40, 50]);
  t.strictSame(
    runs,
    [
      ['a', [1, 3, 4]],
      ['a', [5]],
      ['b', [2]],
    ],
    'grouped, and chunks of at most 3',
  );
  t.equal(await b.add('a', 7), 70, 'a later tick is a new batch');
  t.equal(runs.length, 4);
});

t.test('batcher: a run carries at most maxWeight of items; a heavier item goes alone', async (t) => {
  const runs: number[][] = [];
  // Items weigh their own value (a message's jobs), at most 10 a run.
  const b = new Batcher<number, number>(
    async (_group, items) => {
      runs.push(items);
      return items;
    },
    100,
    (x) => x,
    10,
  );
  await Promise.all([4, 5, 2, 30, 1, 9, 1].map((x) => b.add('g', x)));
  t.strictSame(runs, [[4, 5], [2], [30], [1, 9], [1]], 'in call order, each run at most 10 unless one item alone is more');
});

t.test('batcher: a failed run rejects every call of it; a short answer too', async (t) => {
  const b = new Batcher<number, number>(async (group) => {
    if (group === 'down') throw new Error('redis down');
    return [1];
  });
  const down = [b.add('down', 1), b.add('down', 2)];
  const short = [b.add('short', 1), b.add('short', 2)];
  for (const p of down) await t.rejects(p, { message: 'redis down' });
  for (const p of short) await t.rejects(p, { message: 'batch of 2 got 1 results' });
});
