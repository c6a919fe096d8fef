/**
 * What the embedded store's messages really take, beside what it estimates (src/store/memory/limits.ts), and
 * where its default limits stop a flood. Each shape runs in a child process of its own (node --expose-gc), so
 * that one shape's heap does not colour the next: N messages are enqueued, then the growth of the heap plus
 * external memory (ArrayBuffers), of the RSS, and the store's own estimate are printed per message.
 * The last run enqueues 100-byte messages under the default limits until the store refuses (issue 20: 100,000
 * of them took 447 MB and nothing pushed back).
 *
 *   npm run build && node dist/bench/lib/memory-store.js
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CoreMessage } from '../../src/core/message.js';
import { MemoryQueue } from '../../src/store/memory/queue.js';
import { StoreFullError } from '../../src/core/ports.js';
import { textMessage } from '../../test/helpers/messages.js';
import { fmt } from './measure.js';

interface Shape {
  name: string;
  count: number;
  bytes: number;
  recipients: number;
  parts: number;
}

const SHAPES: Shape[] = [
  { name: '100 B, 1 recipient', count: 100_000, bytes: 100, recipients: 1, parts: 1 },
  { name: '10 KB, 1 recipient', count: 30_000, bytes: 10 * 1024, recipients: 1, parts: 1 },
  { name: '3 KB, 1 recipient', count: 30_000, bytes: 3000, recipients: 1, parts: 1 },
  { name: '100 B, 10 recipients', count: 20_000, bytes: 100, recipients: 10, parts: 1 },
  { name: '5 x 100 B parts, 1 recipient', count: 20_000, bytes: 100, recipients: 1, parts: 5 },
];

/** The tests' text message to `s.recipients`, with a SMIL-related body of `s.parts` pictures and a report asked. */
function message(id: string, s: Shape, now: number): CoreMessage {
  return textMessage(id, s.recipients, now, {
    subject: 'hello there',
    contentType: 'application/vnd.wap.multipart.related',
    contentTypeParams: { type: 'application/smil', start: '<s>' },
    parts: Array.from({ length: s.parts }, (_, i) => ({
      index: i,
      contentType: 'image/jpeg',
      contentLocation: `p${i}.jpg`,
      size: s.bytes,
    })),
    deliveryReport: true,
  });
}

const gc = (globalThis as { gc?: () => void }).gc;
const settle = () => {
  for (let i = 0; i < 3; i++) gc!();
};

/** In the child: one shape; prints one JSON line. */
async function measure(s: Shape, limits?: { maxMessages?: number; maxBytes?: number }): Promise<void> {
  const queue = new MemoryQueue(limits ? { limits } : { limits: { maxMessages: Infinity, maxBytes: Infinity } });
  const body = Buffer.alloc(s.bytes, 0x41);
  const now = Date.now();
  settle();
  const m0 = process.memoryUsage();
  let n = 0;
  let refused: string | undefined;
  for (; n < s.count; n++) {
    // The edges hand the store views of what they read: a fresh Buffer each time, as a request would be.
    const content = Array.from({ length: s.parts }, () => Buffer.from(body));
    try {
      await queue.enqueue(
        message(`m${n}`, s, now),
        content,
        Array.from({ length: s.recipients }, (_, k) => `peer${k % 3}`),
      );
    } catch (err) {
      if (!(err instanceof StoreFullError)) throw err;
      refused = err.limit;
      break;
    }
  }
  settle();
  const m1 = process.memoryUsage();
  const usage = queue.usage();
  const out = {
    n,
    refused,
    heapExt: (m1.heapUsed - m0.heapUsed + m1.external - m0.external) / n,
    rss: (m1.rss - m0.rss) / n,
    rssTotal: m1.rss,
    estimate: usage.bytes / n,
    kept: (await queue.stats()).waiting, // keeps the queue alive until after the reading
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

const self = fileURLToPath(import.meta.url);
const [, , mode, arg] = process.argv;
if (mode === 'child') {
  if (!gc) throw new Error('run with --expose-gc');
  const i = Number(arg);
  await (i < SHAPES.length ? measure(SHAPES[i]!) : measure({ name: 'flood', count: 10_000_000, bytes: 100, recipients: 1, parts: 1 }, {}));
} else {
  const run = (i: number) =>
    JSON.parse(execFileSync(process.execPath, ['--expose-gc', self, 'child', String(i)], { encoding: 'utf8' })) as Record<
      string,
      number | string | undefined
    >;
  console.log('embedded store, per message: heap+external growth, RSS growth, and the store estimate (bytes)');
  for (let i = 0; i < SHAPES.length; i++) {
    const r = run(i);
    const s = SHAPES[i]!;
    const est = r.estimate as number;
    console.log(
      `  ${s.name.padEnd(30)} x ${fmt(r.n as number).padStart(7)}: heap+ext ${fmt(r.heapExt as number).padStart(6)}, RSS ${fmt(r.rss as number).padStart(6)}, ` +
        `estimate ${fmt(est).padStart(6)} (${fmt((100 * est) / (r.rss as number))} % of RSS)`,
    );
  }
  const f = run(SHAPES.length);
  console.log(
    `  default limits, 100 B messages until refused: ${fmt(f.n as number)} accepted, refused on ${String(f.refused)}, ` +
      `process RSS ${fmt((f.rssTotal as number) / 1048576)} MB (estimate ${fmt(((f.estimate as number) * (f.n as number)) / 1048576)} MB)`,
  );
}
