// A VASP's retry of a SubmitReq whose answer it never got is recognised: the same VASP, TransactionID and
// request within mm7.submitRetryWindowMs is answered with the first MessageID (SubmitRsp 1000), and the
// message is stored once. On the embedded store and on Redis (two gateway instances sharing it, and the
// shapes a gateway crash leaves: a record and a message without an answer, a record without a message, a
// record with a half-received content stage). Over HTTP on loopback; the SOAP is built here by hand.
import { request } from 'node:http';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { parseMm7, type SubmitReq } from '../../protocols/mm7/index.js';
import { StaticRouter } from '../../src/core/static-router.js';
import { Mm7Server } from '../../src/mm7/server.js';
import { fingerprint } from '../../src/mm7/submit-retry.js';
import { ConfigSchema, type Config } from '../../src/ops/config.js';
import { Metrics } from '../../src/ops/metrics.js';
import { createMemoryStore } from '../../src/store/memory/index.js';
import { createRedisStore } from '../../src/store/redis/index.js';
import type { IdempotencyStore, Queue, Throttle } from '../../src/core/ports.js';
import { dropKeys as dropKeysAt, redisUrl, testPrefix } from '../helpers/redis.js';
import { until } from '../helpers/until.js';

const NS = 'http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-6-MM7-1-4';
const silent = pino({ level: 'silent' });
const VASPS = ['alpha', 'beta'].map((id) => ({
  id,
  username: id,
  password: `pw-${id}`,
  senders: ['7050'],
  maxMessageBytes: 1024 * 1024,
  rate: 1000,
  burst: 1000,
  maxInFlight: 100,
}));

interface Store {
  queue: Queue;
  throttle: Throttle;
  idempotency: IdempotencyStore;
}

interface SubmitOptions {
  tx: string;
  vasp?: string;
  to?: string;
  subject?: string;
  /** Content (an image/jpeg part); none: a SOAP-only request (text/xml). */
  content?: Buffer;
  /** The content as a multipart/mixed of these leaves instead (`content` must be set too, e.g. to their concatenation). */
  leaves?: Buffer[];
  /** The content part before the SOAP part (read into memory, not streamed). */
  contentFirst?: boolean;
  /** What a VASP stack may regenerate on a retry: the TimeStamp, the MIME boundary and the Content-ID. */
  variant?: string;
}

function submitReq(o: SubmitOptions): { contentType: string; body: Buffer } {
  const v = o.variant ?? '1';
  const cid = `content-${v}`;
  const xml =
    `<?xml version="1.0"?><e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Header><TransactionID xmlns="${NS}">${o.tx}</TransactionID></e:Header><e:Body>` +
    `<SubmitReq xmlns="${NS}"><MM7Version>6.8.0</MM7Version><SenderIdentification><VASPID>${o.vasp ?? 'alpha'}</VASPID><SenderAddress><ShortCode>7050</ShortCode></SenderAddress></SenderIdentification>` +
    `<Recipients><To><Number>${o.to ?? '15551230001'}</Number></To></Recipients><TimeStamp>2024-05-0${v}T10:00:00Z</TimeStamp><Subject>${o.subject ?? 'hello'}</Subject>` +
    (o.content ? `<Content href="cid:${cid}"/>` : '') +
    `</SubmitReq></e:Body></e:Envelope>`;
  if (!o.content) return { contentType: 'text/xml; charset=utf-8', body: Buffer.from(xml) };
  const boundary = `outer-${v}-9a2e`;
  const soap = Buffer.from(`--${boundary}\r\nContent-Type: text/xml; charset=utf-8\r\nContent-ID: <soap>\r\n\r\n${xml}\r\n`);
  const content = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Type: ${o.leaves ? `multipart/mixed; boundary="inner-${v}"` : 'image/jpeg'}\r\nContent-ID: <${cid}>\r\nContent-Transfer-Encoding: binary\r\n\r\n`,
    ),
    o.leaves ? multipartOf(o.leaves, `inner-${v}`) : o.content,
    Buffer.from('\r\n'),
  ]);
  const body = Buffer.concat([...(o.contentFirst ? [content, soap] : [soap, content]), Buffer.from(`--${boundary}--\r\n`)]);
  return { contentType: `multipart/related; boundary="${boundary}"; type="text/xml"; start="<soap>"`, body };
}

function multipartOf(leaves: Buffer[], boundary: string): Buffer {
  const chunks: Buffer[] = [];
  for (const [i, leaf] of leaves.entries())
    chunks.push(
      Buffer.from(`--${boundary}\r\nContent-Type: application/octet-stream\r\nContent-Location: p${i}.bin\r\n\r\n`),
      leaf,
      Buffer.from('\r\n'),
    );
  chunks.push(Buffer.from(`--${boundary}--`));
  return Buffer.concat(chunks);
}

interface Answer {
  code: number;
  messageId: string | undefined;
}

/** POSTs a SubmitReq; `lose`: the answer is never read (the client's connection dies once it starts). */
function post(url: string, o: SubmitOptions, lose = false): Promise<Answer | undefined> {
  const { contentType, body } = submitReq(o);
  const auth = `Basic ${Buffer.from(`${o.vasp ?? 'alpha'}:pw-${o.vasp ?? 'alpha'}`).toString('base64')}`;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': contentType, authorization: auth } }, (res) => {
      if (lose) {
        res.destroy();
        return resolve(undefined);
      }
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const xml = Buffer.concat(chunks).toString('utf8');
        resolve({ code: Number(/<(?:\w+:)?StatusCode>(\d+)</.exec(xml)?.[1]), messageId: /<(?:\w+:)?MessageID>([^<]+)</.exec(xml)?.[1] });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function accepted(url: string, o: SubmitOptions): Promise<string> {
  const a = (await post(url, o))!;
  if (a.code !== 1000 || !a.messageId) throw new Error(`not accepted: ${JSON.stringify(a)}`);
  return a.messageId;
}

async function server(
  t: Test,
  store: Store,
  mm7: Partial<Config['mm7']> = {},
  now?: () => number,
): Promise<{ url: string; close(): Promise<void> }> {
  const config = ConfigSchema.parse({ mm7: { port: 0, vasps: VASPS, ...mm7 } }).mm7;
  const options = { config, ...store, router: new StaticRouter(), metrics: new Metrics(), log: silent };
  const s = new Mm7Server(now ? { ...options, now } : options);
  const url = await s.listen('127.0.0.1', 0);
  let closed = false;
  const close = async () => {
    if (!closed) await s.close();
    closed = true;
  };
  t.teardown(close);
  return { url, close };
}

/** Messages in the store (every test message has one recipient: one job each). */
async function messages(queue: Queue): Promise<number> {
  const s = await queue.stats();
  return s.waiting + s.leased;
}

const url = await redisUrl(t);

const dropKeys = (prefix: string): Promise<void> => dropKeysAt(url, prefix);

/** A Redis store under `prefix` on a connection of its own (a gateway instance's). */
function redisStore(t: Test, prefix: string): Store & { redis: Redis } {
  const redis = new Redis(url);
  const store = createRedisStore({ redis, prefix });
  t.teardown(async () => {
    await store.queue.close().catch(() => {});
    await redis.quit().catch(() => {});
  });
  return { ...store, redis };
}

function redisBackend(t: Test): Store {
  const prefix = testPrefix();
  t.teardown(() => dropKeys(prefix));
  return redisStore(t, prefix);
}

function memoryBackend(t: Test, clock?: { now: number }): Store {
  const store = createMemoryStore(clock ? { now: () => clock.now } : {});
  t.teardown(() => store.queue.close());
  return store;
}

const picture = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));

for (const [name, backend] of [
  ['memory', memoryBackend],
  ['redis', redisBackend],
] as const) {
  t.test(`${name}: a SubmitReq sent twice with one TransactionID is one message with one MessageID`, async (t) => {
    const store = backend(t);
    const { url } = await server(t, store);
    const forms: [string, Partial<SubmitOptions>][] = [
      ['SOAP only', {}],
      ['content streamed (SOAP first, 200 KB)', { content: picture(200_000, 1) }],
      ['content first (read into memory)', { content: picture(20_000, 2), contentFirst: true }],
      ['content first, staged (400 KB: over what is held before the envelope)', { content: picture(400_000, 4), contentFirst: true }],
      ['content streamed, many parts', { content: picture(1, 0), leaves: Array.from({ length: 40 }, (_, k) => picture(100 + k * 997, k)) }],
    ];
    for (const [i, [form, extra]] of forms.entries()) {
      const first = await accepted(url, { tx: `tx-${i}`, ...extra });
      // The retry as a VASP stack may rebuild it: another TimeStamp, MIME boundary and Content-ID.
      const again = await accepted(url, { tx: `tx-${i}`, ...extra, variant: '2' });
      t.equal(again, first, `${form}: the retry is answered with the first MessageID`);
      t.equal(await messages(store.queue), i + 1, `${form}: stored once`);
      const stored = await store.queue.content(first);
      const sent = extra.leaves ?? (extra.content ? [extra.content] : []);
      t.ok(stored?.length === sent.length && sent.every((b, k) => stored[k]!.equals(b)), `${form}: the content is whole`);
    }
  });

  t.test(`${name}: the same TransactionID from another VASP, or for another request, is a new message`, async (t) => {
    const store = backend(t);
    const { url } = await server(t, store);
    const a = await accepted(url, { tx: 'tx-1', vasp: 'alpha' });
    const b = await accepted(url, { tx: 'tx-1', vasp: 'beta' });
    t.not(b, a, 'another VASP: its own message');
    const c = await accepted(url, { tx: 'tx-1', vasp: 'alpha', to: '15551230002' });
    t.not(c, a, 'another recipient under a used TransactionID: a new message');
    const d = await accepted(url, { tx: 'tx-1', vasp: 'alpha', subject: 'other' });
    t.not(d, a, 'another subject: a new message');
    t.equal(await messages(store.queue), 4);
    t.equal(await accepted(url, { tx: 'tx-1', vasp: 'beta' }), b, "beta's own retry is still recognised");
  });

  t.test(
    `${name}: a SubmitReq refused (not stored) gives its TransactionID back: its retry is a first request, content-first staged too`,
    async (t) => {
      const store = backend(t);
      // One submission a second: the second request within the second is refused 4006 (nothing stored).
      // (Raw VASP entries: server() parses them with the schema, which fills the defaults.)
      const { url } = await server(t, store, {
        vasps: VASPS.map((v) => ({ ...v, rate: 1, burst: 1 })) as unknown as Config['mm7']['vasps'],
      });
      for (const [i, extra] of [{}, { content: picture(400_000, 9), contentFirst: true }].entries()) {
        await new Promise((r) => setTimeout(r, 1100));
        await accepted(url, { tx: `tx-token-${i}` }); // takes the second's one token
        const refused = await post(url, { tx: `tx-refused-${i}`, ...extra });
        t.equal(refused!.code, 4006, 'over the rate: refused, not stored');
        await new Promise((r) => setTimeout(r, 1100));
        const id = await accepted(url, { tx: `tx-refused-${i}`, ...extra });
        t.ok((await store.queue.content(id))?.length === (extra.content ? 1 : 0), 'the retry is stored, with its content');
      }
    },
  );

  t.test(`${name}: copies arriving at once are one message`, async (t) => {
    const store = backend(t);
    const { url } = await server(t, store);
    const content = picture(300_000, 3);
    const answers = await Promise.all(Array.from({ length: 4 }, () => post(url, { tx: 'tx-race', content })));
    // A copy that finds the first still receiving its content may be told to retry (3001); none is a second message.
    const ok = answers.filter((a) => a!.code === 1000);
    t.ok(ok.length >= 1, 'at least one accepted');
    t.ok(
      answers.every((a) => a!.code === 1000 || a!.code === 3001),
      `1000 or 3001: ${answers.map((a) => a!.code).join(',')}`,
    );
    t.equal(new Set(ok.map((a) => a!.messageId)).size, 1, 'one MessageID');
    const id = ok[0]!.messageId!;
    t.equal(await accepted(url, { tx: 'tx-race', content }), id, 'a later retry: the same MessageID');
    t.equal(await messages(store.queue), 1, 'one message');
    t.ok((await store.queue.content(id))?.[0]?.equals(content), 'its content whole');
    const plain = await Promise.all(Array.from({ length: 4 }, () => post(url, { tx: 'tx-race-2' })));
    t.strictSame(new Set(plain.map((a) => `${a!.code} ${a!.messageId}`)).size, 1, 'SOAP-only copies: all answered 1000 with one MessageID');
    t.equal(await messages(store.queue), 2);
  });
}

t.test('memory: after the window a SubmitReq with a used TransactionID is a new message', async (t) => {
  const clock = { now: 1_700_000_000_000 };
  const store = memoryBackend(t, clock);
  const { url } = await server(t, store, { submitRetryWindowMs: 60_000 }, () => clock.now);
  const first = await accepted(url, { tx: 'tx-w' });
  clock.now += 59_000;
  t.equal(await accepted(url, { tx: 'tx-w' }), first, 'within the window: recognised');
  clock.now += 2_000;
  const later = await accepted(url, { tx: 'tx-w' });
  t.not(later, first, 'after it: a new message');
  t.equal(await messages(store.queue), 2);
});

t.test('redis: after the window a SubmitReq with a used TransactionID is a new message', async (t) => {
  const store = redisBackend(t);
  const { url } = await server(t, store, { submitRetryWindowMs: 50 });
  const first = await accepted(url, { tx: 'tx-w' });
  await new Promise((r) => setTimeout(r, 100)); // Redis expires the record by its own clock
  t.not(await accepted(url, { tx: 'tx-w' }), first, 'a new message');
  t.equal(await messages(store.queue), 2);
});

t.test('window 0: retries are not recognised (each SubmitReq is a message, as before)', async (t) => {
  const store = memoryBackend(t);
  const { url } = await server(t, store, { submitRetryWindowMs: 0 });
  t.not(await accepted(url, { tx: 'tx-0' }), await accepted(url, { tx: 'tx-0' }));
});

t.test('redis: two gateway instances sharing Redis recognise each other’s SubmitReqs', async (t) => {
  const prefix = testPrefix();
  t.teardown(() => dropKeys(prefix));
  const a = await server(t, redisStore(t, prefix));
  const bStore = redisStore(t, prefix);
  const b = await server(t, bStore);
  const content = picture(150_000, 4);
  const first = await accepted(a.url, { tx: 'tx-1', content });
  t.equal(await accepted(b.url, { tx: 'tx-1', content }), first, 'the retry through the other instance');
  const both = await Promise.all([post(a.url, { tx: 'tx-2' }), post(b.url, { tx: 'tx-2' })]);
  t.equal(both[0]!.messageId, both[1]!.messageId, 'copies at once through both instances: one MessageID');
  t.equal(await messages(bStore.queue), 2);
});

t.test('redis: the shapes a gateway crash leaves', async (t) => {
  const prefix = testPrefix();
  t.teardown(() => dropKeys(prefix));

  t.test('record written, message enqueued, answer lost: the retry gets the stored MessageID', async (t) => {
    const aStore = redisStore(t, prefix);
    const a = await server(t, aStore);
    await post(a.url, { tx: 'tx-lost', content: picture(100_000, 5) }, true);
    await until('the message is stored', async () => (await messages(aStore.queue)) === 1);
    // The instance dies (its listener and connection go); the VASP retries on another.
    await a.close();
    aStore.redis.disconnect();
    const bStore = redisStore(t, prefix);
    const b = await server(t, bStore);
    const id = await accepted(b.url, { tx: 'tx-lost', content: picture(100_000, 5) });
    t.equal(await messages(bStore.queue), 1, 'still one message');
    const [job] = await bStore.queue.take(10);
    t.equal(job?.messageId, id, 'the retry was answered with the stored MessageID');
  });

  t.test('record written, the gateway died before the enqueue: the retry is stored under the recorded MessageID', async (t) => {
    const store = redisStore(t, prefix);
    const before = await messages(store.queue);
    // What the first request left: its claim (Message-ID and the request's fingerprint), nothing else.
    const req = parseMm7(submitReq({ tx: 'tx-claimed' }).body) as SubmitReq;
    await store.idempotency.claim('mm7-submit:alpha', 'tx-claimed', `0-recorded ${fingerprint(req)}`, 60_000);
    const { url } = await server(t, store);
    t.equal(await accepted(url, { tx: 'tx-claimed' }), '0-recorded');
    t.equal(await accepted(url, { tx: 'tx-claimed' }), '0-recorded', 'and again');
    t.equal(await messages(store.queue), before + 1, 'one message');
  });

  t.test(
    'record written, the gateway died before the enqueue; the retry sends 400 KB before its envelope: 3001, no message under another id',
    async (t) => {
      const store = redisStore(t, prefix);
      const before = await messages(store.queue);
      const content = picture(400_000, 8);
      // The fingerprint names who sends to whom, what about: the SOAP-only form of the request has the same.
      const req = parseMm7(submitReq({ tx: 'tx-claimed-early' }).body) as SubmitReq;
      await store.idempotency.claim('mm7-submit:alpha', 'tx-claimed-early', `0-recorded-early ${fingerprint(req)}`, 60_000);
      const { url } = await server(t, store);
      // Its content was staged under an id of its own before the TransactionID could be read.
      const answer = await post(url, { tx: 'tx-claimed-early', content, contentFirst: true });
      t.equal(answer!.code, 3001, 'retry later');
      t.equal(await messages(store.queue), before, 'no second message under another id');
      t.equal(
        await accepted(url, { tx: 'tx-claimed-early', content }),
        '0-recorded-early',
        'sent SOAP first, it is stored under the recorded MessageID',
      );
      t.ok((await store.queue.content('0-recorded-early'))?.[0]?.equals(content), 'with its content whole');
    },
  );

  t.test('record written, the gateway died while the content arrived: no second message', async (t) => {
    const store = redisStore(t, prefix);
    const before = await messages(store.queue);
    const content = picture(200_000, 6);
    const req = parseMm7(extractSoap(submitReq({ tx: 'tx-half', content }).body)) as SubmitReq;
    await store.idempotency.claim('mm7-submit:alpha', 'tx-half', `0-half ${fingerprint(req)}`, 60_000);
    // The first request's stage: one slice of its content written, never sealed (it expires with the request timeout).
    const stale = store.queue.stage('0-half', 60_000);
    stale.part().write(content.subarray(0, 100_000));
    await stale.drain();
    const { url } = await server(t, store);
    const meanwhile = await post(url, { tx: 'tx-half', content });
    t.equal(meanwhile!.code, 3001, 'while the stale stage lives the retry is told to try later');
    t.equal(await messages(store.queue), before, 'and nothing is stored');
    // The stale stage expires (its TTL; here deleted by hand): the retry goes through, under the recorded id.
    await store.redis.del(`${prefix}:{s0}:c:0-half`);
    t.equal(await accepted(url, { tx: 'tx-half', content }), '0-half');
    t.equal(await messages(store.queue), before + 1, 'one message');
    t.ok((await store.queue.content('0-half'))?.[0]?.equals(content), 'its content whole');
  });
});

/** The SOAP part of a request built by submitReq (the first part of the multipart body). */
function extractSoap(body: Buffer): Buffer {
  const text = body.toString('latin1');
  const start = text.indexOf('<?xml');
  return Buffer.from(text.slice(start, text.indexOf('</e:Envelope>') + '</e:Envelope>'.length), 'latin1');
}
