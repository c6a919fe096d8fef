// Issue 22: an MM4_forward.REQ's DATA is streamed into the content store (a stage of the queue) as it arrives:
// its parts reach the store intact (Redis and the embedded store), a refused or cut forward leaves nothing
// staged behind, and a large forward does not sit whole in the listener's memory.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Redis } from 'ioredis';
import t, { type Test } from 'tap';
import { createMemoryStore } from '../../src/store/memory/index.js';
import { createRedisStore } from '../../src/store/redis/index.js';
import { DOMAIN, LOCAL, PEER_FROM, startMm4 } from '../helpers/mm4-listener.js';
import { mulberry32 } from '../helpers/prng.js';
import { redisUrl, testPrefix } from '../helpers/redis.js';
import { RawSmtp } from '../helpers/smtp-raw.js';
import { until } from '../helpers/until.js';

const MB = 1024 * 1024;
// A full collection on demand, for the memory check (node --expose-gc, set from inside the test).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const TEXT = Buffer.from('Hello from the other network: ünïcödé\r\n', 'utf8');

/** Seeded noise: a picture as far as the listener is concerned. */
function picture(size: number, seed = 7): Buffer {
  const next = mulberry32(seed);
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = Math.floor(next() * 256);
  return b;
}

/** A multipart/related forward (text and a base64 picture), as DATA bytes ending with CRLF "." CRLF. */
function forwardData(image: Buffer, o: { rcpt?: string; messageId?: string } = {}): Buffer {
  const head = [
    'X-Mms-3GPP-MMS-Version: 6.10.0',
    'X-Mms-Message-Type: MM4_forward.REQ',
    'X-Mms-Transaction-ID: "tx-s1@mms.mnc002.mcc001.gprs"',
    `X-Mms-Message-ID: "${o.messageId ?? 'stream-0001@mms.mnc002.mcc001.gprs'}"`,
    'X-Mms-Ack-Request: No',
    `From: ${PEER_FROM}`,
    `To: ${o.rcpt ?? `${LOCAL}/TYPE=PLMN@${DOMAIN}`}`,
    'Subject: a picture',
    'Content-Type: multipart/related; boundary="b0undary"; type="text/plain"',
    '',
    '--b0undary',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    'Content-ID: <t1>',
    '',
    '',
  ].join('\r\n');
  const b64 = image.toString('base64').replace(/.{1,76}/g, '$&\r\n');
  return Buffer.concat([
    Buffer.from(head, 'latin1'),
    TEXT,
    Buffer.from('\r\n--b0undary\r\nContent-Type: image/jpeg\r\nContent-Transfer-Encoding: base64\r\nContent-ID: <p1>\r\n\r\n', 'latin1'),
    Buffer.from(b64, 'latin1'),
    Buffer.from('--b0undary--\r\n.\r\n', 'latin1'),
  ]);
}

async function open(t: Test, port: number, rcpt = `${LOCAL}/TYPE=PLMN@${DOMAIN}`): Promise<RawSmtp> {
  const { raw } = await RawSmtp.open(port);
  t.teardown(() => raw.end());
  await raw.send('EHLO peer.example');
  await raw.send(`MAIL FROM:<${PEER_FROM}>`);
  t.match(await raw.send(`RCPT TO:<${rcpt}>`), /^250 /);
  t.match(await raw.send('DATA'), /^354/);
  return raw;
}

/** Writes `data` in slices of it (no copy), waiting for the socket to drain. */
async function writeAll(raw: RawSmtp, data: Buffer, from = 0, to = data.length): Promise<void> {
  for (let i = from; i < to; i += 64 * 1024) if (!raw.write(data.subarray(i, Math.min(to, i + 64 * 1024)))) await raw.drained();
}

async function sendForward(t: Test, port: number, data: Buffer, rcpt?: string): Promise<string> {
  const raw = await open(t, port, rcpt);
  const answer = raw.reply();
  await writeAll(raw, data);
  return answer;
}

const queuedAs = (reply: string) => /queued as (\S+)/.exec(reply)?.[1];

async function redisStore(t: Test) {
  const redis = new Redis(await redisUrl(t), { maxRetriesPerRequest: 2 });
  const prefix = testPrefix();
  const store = createRedisStore({ redis, prefix });
  t.teardown(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });
  /** Content keys (stages and messages' content) under this test's prefix, with their lengths. */
  const contentKeys = async () => {
    const keys = (await redis.keys(`${prefix}:*`)).filter((k) => /:c:/.test(k));
    return Promise.all(keys.map(async (k) => ({ key: k, bytes: await redis.strlen(k) })));
  };
  return { store, contentKeys };
}

for (const kind of ['memory', 'redis'] as const) {
  t.test(`${kind} store: a forward's parts arrive in the store intact, through a stage`, async (t) => {
    const store = kind === 'memory' ? createMemoryStore() : (await redisStore(t)).store;
    const { port, queue } = await startMm4(t, { maxMessageBytes: 4 * MB }, { store });
    const image = picture(MB + 12345);
    const id = queuedAs(await sendForward(t, port, forwardData(image)));
    t.ok(id, 'queued');
    const content = await queue.content(id!);
    t.equal(content?.length, 2, 'two parts');
    t.ok(content?.[0]?.equals(TEXT), 'the text, byte for byte');
    t.ok(content?.[1]?.equals(image), 'the picture, decoded, byte for byte');
    const message = await queue.message(id!);
    t.strictSame(
      message?.parts.map((p) => [p.contentType, p.size, p.contentId]),
      [
        ['text/plain', TEXT.length, 't1'],
        ['image/jpeg', image.length, 'p1'],
      ],
      'the model has each part with its decoded size',
    );
  });
}

t.test('redis store: a refused forward and a cut one leave nothing staged behind', async (t) => {
  const { store, contentKeys } = await redisStore(t);
  const { port, queue } = await startMm4(t, { maxMessageBytes: 8 * MB, dataTimeoutMs: 3000, idleTimeoutMs: 60_000 }, { store });
  // +1666... is in our domain but no route reaches it: refused (unroutable) once the whole message is read.
  const data = forwardData(picture(2 * MB), { rcpt: `+16660001111/TYPE=PLMN@${DOMAIN}`, messageId: 'refused-1@peer' });
  const raw = await open(t, port, `+16660001111/TYPE=PLMN@${DOMAIN}`);
  const answer = raw.reply();
  await writeAll(raw, data, 0, data.length - 100 * 1024);
  await until('staged content in Redis', async () => (await contentKeys()).some((k) => k.bytes >= MB));
  await writeAll(raw, data, data.length - 100 * 1024);
  t.match(await answer, /^5\d\d /, 'refused');
  t.strictSame(await contentKeys(), [], 'the stage is discarded');

  // Cut: half a message, then silence past mm4.dataTimeoutMs.
  const cut = await open(t, port);
  const whole = forwardData(picture(2 * MB, 9), { messageId: 'cut-1@peer' });
  await writeAll(cut, whole, 0, MB + MB / 2);
  await until('staged content in Redis', async () => (await contentKeys()).some((k) => k.bytes >= MB / 2));
  await cut.closed;
  await until('the stage of the cut forward is discarded', async () => (await contentKeys()).length === 0);
  t.equal((await queue.stats()).waiting, 0, 'nothing queued');
});

t.test('memory store: a refused forward and a cut one give back the bytes they staged', async (t) => {
  const store = createMemoryStore();
  const { port } = await startMm4(t, { maxMessageBytes: 8 * MB, dataTimeoutMs: 3000, idleTimeoutMs: 60_000 }, { store });
  const used = () => store.queue.usage().bytes;
  const data = forwardData(picture(2 * MB), { rcpt: `+16660001111/TYPE=PLMN@${DOMAIN}`, messageId: 'refused-2@peer' });
  const raw = await open(t, port, `+16660001111/TYPE=PLMN@${DOMAIN}`);
  const answer = raw.reply();
  await writeAll(raw, data, 0, data.length - 100 * 1024);
  await until('staged bytes in the store', async () => used() >= MB);
  await writeAll(raw, data, data.length - 100 * 1024);
  t.match(await answer, /^5\d\d /, 'refused');
  t.equal(used(), 0, 'the stage is discarded');

  const cut = await open(t, port);
  const whole = forwardData(picture(2 * MB, 9), { messageId: 'cut-2@peer' });
  await writeAll(cut, whole, 0, MB + MB / 2);
  await until('staged bytes in the store', async () => used() >= MB / 2);
  await cut.closed;
  await until('the stage of the cut forward is discarded', async () => used() === 0);
  t.pass('cut: nothing left');
});

t.test('a full embedded store while the parts stream in: 4xx (the peer retries), and what was staged is let go', async (t) => {
  const store = createMemoryStore({ limits: { maxBytes: MB } });
  const { port, metrics } = await startMm4(t, { maxMessageBytes: 8 * MB }, { store });
  t.match(await sendForward(t, port, forwardData(picture(2 * MB), { messageId: 'full-1@peer' })), /^4\d\d /, 'refused, transient');
  t.equal(store.queue.usage().bytes, 0, 'nothing of it is held');
  t.match(
    await metrics.registry.metrics(),
    /mmsc_mm4_messages_total\{peer="carrier-b",type="MM4_forward.REQ",result="store-unavailable",service="mmsc"\} 1/,
  );
  t.ok(queuedAs(await sendForward(t, port, forwardData(picture(100 * 1024), { messageId: 'full-2@peer' }))), 'a small one fits');
});

t.test('a 6 MiB forward against an 8 MiB limit: the listener holds slices, not the message', async (t) => {
  const { store, contentKeys } = await redisStore(t);
  const { port, queue } = await startMm4(t, { maxMessageBytes: 8 * MB, maxInFlightDataBytes: 16 * MB }, { store });
  const image = picture(4.5 * MB, 11);
  const data = forwardData(image, { messageId: 'big-1@peer' });
  t.ok(data.length > 6 * MB, `${(data.length / MB).toFixed(1)} MiB of DATA`);
  const raw = await open(t, port);
  const answer = raw.reply();
  // What is retained (after a full GC), not the garbage the slices leave behind them.
  // Buffers' memory is given back after the collection that finds them dead: collect, let that happen, twice.
  const held = async () => {
    for (let i = 0; i < 2; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const before = await held();
  // All but the end: the listener has received some 6 MiB of it and is waiting for the rest.
  await writeAll(raw, data, 0, data.length - 64 * 1024);
  await until('most of the picture staged in Redis', async () => (await contentKeys()).some((k) => k.bytes >= 4 * MB));
  const grew = (await held()) - before;
  // Held whole, the DATA read so far would be 6 MiB, and its decoded picture 4 MiB more.
  t.ok(grew < 2 * MB, `memory retained grew by ${(grew / MB).toFixed(2)} MiB with ${(data.length / MB).toFixed(1)} MiB received`);
  await writeAll(raw, data, data.length - 64 * 1024);
  const id = queuedAs(await answer);
  t.ok(id, 'queued');
  t.ok((await queue.content(id!))?.[1]?.equals(image), 'stored intact');
});
