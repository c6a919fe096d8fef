// What an authenticated client can make the MM7 listener hold (issue 20): the account's concurrency and the
// listener's body budget are applied before a body is read; parts before the SOAP part go to the store
// rather than memory; an attribute bomb is refused by the pre-scan. A real Mm7Server on loopback, requests
// sent by hand so that a body can be left unsent: an answer to a request whose body never left the client
// is the proof that it was answered without reading it.
import { request, type ClientRequest, type IncomingHttpHeaders } from 'node:http';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { StaticRouter } from '../../src/core/static-router.js';
import { Mm7Server } from '../../src/mm7/server.js';
import { ConfigSchema, VaspSchema, type VaspConfig } from '../../src/ops/config.js';
import { Metrics } from '../../src/ops/metrics.js';
import { createMemoryStore, type MemoryQueue } from '../../src/store/memory/index.js';
import { createRedisStore } from '../../src/store/redis/index.js';
import type { Queue } from '../../src/core/ports.js';
import { MM7_NS, mm7ReplaceReq, mm7SubmitReq } from '../helpers/mm7-request.js';
import { mulberry32 } from '../helpers/prng.js';
import { redisUrl, testPrefix } from '../helpers/redis.js';
import { until } from '../helpers/until.js';
import { checkRawAnswer } from '../helpers/openapi-check.js';

const MB = 1024 * 1024;

const vasp = (id: string, v: Partial<VaspConfig> = {}): VaspConfig =>
  VaspSchema.parse({
    id,
    username: id,
    password: `pw-${id}`,
    senders: ['12345'],
    maxMessageBytes: 5 * MB,
    rate: 1000,
    burst: 1000,
    maxInFlight: 100,
    ...v,
  });

const VASPS = [vasp('pair', { maxInFlight: 2 }), vasp('wide')];

interface Started {
  url: string;
  queue: Queue;
  metrics: Metrics;
}

/** The server with the embedded store (or `queue`); a short request timeout, so that a request left hanging ends soon. */
async function start(t: Test, extra: Record<string, unknown> = {}, queue?: Queue): Promise<Started> {
  const config = ConfigSchema.parse({ mm7: { port: 0, vasps: VASPS, requestTimeoutMs: 3_000, ...extra } }).mm7;
  const store = createMemoryStore();
  const q = queue ?? store.queue;
  const metrics = new Metrics();
  const server = new Mm7Server({
    config,
    queue: q,
    throttle: store.throttle,
    router: new StaticRouter(),
    metrics,
    log: pino({ level: 'silent' }),
  });
  const url = await server.listen('127.0.0.1', 0);
  t.teardown(() => server.close());
  return { url, queue: q, metrics };
}

async function gauge(metrics: Metrics, name: string): Promise<number> {
  return (await metrics.registry.getSingleMetric(name)!.get()).values[0]?.value ?? 0;
}

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

interface Open {
  /** The answer, whenever the server gives it (before the body is complete, if it does). */
  answer: Promise<Reply>;
  /** Sends the rest of the body. */
  finish(): void;
  /** Drops the connection. */
  abort(): void;
}

/**
 * A POST whose head and the first `sent` bytes of `body` go out now. With `chunked`, no Content-Length is
 * declared (the body goes as HTTP/1.1 chunks). Errors after the answer (the server closed the connection
 * while the client still had body to send) are expected and ignored.
 */
function open(url: string, path: string, user: string, contentType: string, body: Buffer, sent: number, chunked = false): Open {
  let req!: ClientRequest;
  let answered = false;
  const answer = new Promise<Reply>((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': contentType };
    if (!chunked) headers['content-length'] = String(body.length);
    req = request(new URL(path, url), { method: 'POST', auth: `${user}:pw-${user}`, headers, agent: false }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          // A REST answer is one the OpenAPI document describes.
          if (path.startsWith('/v1/')) checkRawAnswer('POST', path, res.statusCode!, res.headers, text);
          resolve({ status: res.statusCode!, headers: res.headers, body: text });
        } catch (err) {
          reject(err);
        }
      });
      res.on('error', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', (err) => answered || reject(err));
  });
  req.flushHeaders();
  if (sent > 0) req.write(body.subarray(0, sent));
  return {
    answer,
    finish: () => void req.end(body.subarray(sent)),
    abort: () => {
      answer.catch(() => undefined); // the client's own hang-up
      req.destroy();
    },
  };
}

const statusOf = (xml: string) => /<(?:[\w-]+:)?StatusCode>(\d+)</.exec(xml)?.[1];
const textOf = (xml: string) => /<(?:[\w-]+:)?StatusText>([^<]*)</.exec(xml)?.[1] ?? '';

const small = (user: string, o: { contentFirst?: boolean } = {}) =>
  mm7SubmitReq({
    vasp: user,
    shortCode: '12345',
    to: ['15551230001'],
    parts: [{ type: 'text/plain', name: 'a.txt', body: Buffer.from('hello') }],
    ...o,
  });

/** A REST submission as multipart/form-data. */
function restForm(): { contentType: string; body: Buffer } {
  const b = 'form-boundary-77';
  const body = Buffer.from(
    `--${b}\r\nContent-Disposition: form-data; name="to"\r\n\r\n+15551230001\r\n--${b}\r\nContent-Disposition: form-data; name="text"\r\n\r\nhi\r\n--${b}--\r\n`,
  );
  return { contentType: `multipart/form-data; boundary=${b}`, body };
}

t.test("over the VASP's maxInFlight, MM7 and REST requests are refused before their body is read", async (t) => {
  const { url, metrics } = await start(t);
  const sub = small('pair');
  // Two requests of the account in progress: heads sent, bodies not.
  const a = open(url, '/mm7', 'pair', sub.contentType, sub.body, 0);
  await until('the first request admitted', async () => (await gauge(metrics, 'mmsc_mm7_in_flight_requests')) === 1);
  const b = open(url, '/mm7', 'pair', sub.contentType, sub.body, 0);
  await until('the second request admitted', async () => (await gauge(metrics, 'mmsc_mm7_in_flight_requests')) === 2);

  // The third's body is never sent: only a refusal made before reading it can answer it.
  const c = await open(url, '/mm7', 'pair', sub.contentType, sub.body, 0).answer;
  t.equal(c.status, 200, 'SOAP over HTTP 200');
  t.equal(statusOf(c.body), '4006', 'MM7 4006 Service Unavailable (transient)');
  t.match(textOf(c.body), /maxInFlight/, 'the StatusText names the limit');
  t.equal(c.headers.connection, 'close', 'the connection is closed: its body is not read');
  const form = restForm();
  const r = await open(url, '/v1/messages', 'pair', form.contentType, form.body, 0).answer;
  t.equal(r.status, 429, 'REST: 429');
  t.equal(r.headers['retry-after'], '1', 'with Retry-After');
  t.equal(r.headers.connection, 'close');
  // Another account is not held back by this one.
  const other = small('wide');
  const w = open(url, '/mm7', 'wide', other.contentType, other.body, 0);
  w.finish();
  t.equal(statusOf((await w.answer).body), '1000', 'another VASP is admitted');

  // Once one is answered, the next is let in.
  a.finish();
  t.equal(statusOf((await a.answer).body), '1000', 'the first, completed, is accepted');
  const d = open(url, '/mm7', 'pair', sub.contentType, sub.body, 0);
  d.finish();
  t.equal(statusOf((await d.answer).body), '1000', 'a slot freed by an answer is taken again');
  b.abort();
  await until('every slot given back', async () => (await gauge(metrics, 'mmsc_mm7_in_flight_requests')) === 0);
});

t.test('the listener caps the body bytes in flight: declared lengths reserved up front, chunked bodies as they arrive', async (t) => {
  const { url, metrics } = await start(t, { maxInFlightBodyBytes: 100_000 });
  const bytes = () => gauge(metrics, 'mmsc_mm7_in_flight_body_bytes');
  const filler = (n: number) =>
    mm7SubmitReq({
      vasp: 'wide',
      shortCode: '12345',
      to: ['15551230001'],
      parts: [{ type: 'application/octet-stream', name: 'f.bin', body: Buffer.alloc(n, 0x61) }],
    });
  const big = filler(80_000);
  const a = open(url, '/mm7', 'wide', big.contentType, big.body, 10);
  await until('80 KB reserved', async () => (await bytes()) === big.body.length);

  // 30 KB more would pass 100,000: refused at once, its body never sent.
  const more = filler(30_000);
  const b = await open(url, '/mm7', 'wide', more.contentType, more.body, 0).answer;
  t.equal(statusOf(b.body), '4006', 'MM7: 4006 at once');
  t.match(textOf(b.body), /maxInFlightBodyBytes/, 'the StatusText names the limit');
  t.equal(b.headers.connection, 'close');
  const form = restForm();
  const padded = Buffer.concat([
    Buffer.from(`--x\r\nContent-Disposition: form-data; name="pad"\r\n\r\n${'p'.repeat(30_000)}\r\n`),
    form.body,
  ]);
  const r = await open(url, '/v1/messages', 'wide', form.contentType, padded, 0).answer;
  t.equal(r.status, 503, 'REST: 503');
  t.equal(r.headers['retry-after'], '1');

  // A chunked body declares nothing: it is let in, and refused once what it has sent passes the budget.
  const c = open(url, '/mm7', 'wide', more.contentType, more.body, 0, true);
  await until('the chunked request admitted', async () => (await gauge(metrics, 'mmsc_mm7_in_flight_requests')) === 2);
  c.finish();
  const chunked = await c.answer;
  t.equal(statusOf(chunked.body), '4006', 'chunked: 4006 once over the budget');
  t.equal(chunked.headers.connection, 'close');

  // The budget comes back when a request ends: the 30 KB request now fits.
  a.finish();
  t.equal(statusOf((await a.answer).body), '1000', 'the 80 KB request is accepted');
  await until('nothing in flight', async () => (await bytes()) === 0);
  const again = open(url, '/mm7', 'wide', more.contentType, more.body, 0);
  again.finish();
  t.equal(statusOf((await again.answer).body), '1000', 'the 30 KB request fits now');
});

t.test('one request alone is admitted even when it is larger than the budget', async (t) => {
  const { url } = await start(t, { maxInFlightBodyBytes: 10_000 });
  const req = mm7SubmitReq({
    vasp: 'wide',
    shortCode: '12345',
    to: ['15551230001'],
    parts: [{ type: 'application/octet-stream', name: 'f.bin', body: Buffer.alloc(50_000, 0x61) }],
  });
  const o = open(url, '/mm7', 'wide', req.contentType, req.body, 0);
  o.finish();
  t.equal(statusOf((await o.answer).body), '1000');
});

/** 3 MB of seeded noise. */
function picture(size = 3 * MB): Buffer {
  const next = mulberry32(11);
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = Math.floor(next() * 256);
  return b;
}

t.test('content sent before the SOAP part is staged in the store as it arrives, not held in memory', async (t) => {
  const redis = new Redis(await redisUrl(t), { maxRetriesPerRequest: 2 });
  const prefix = testPrefix();
  const store = createRedisStore({ redis, prefix });
  const { url } = await start(t, { maxBodyBytes: 8 * MB }, store.queue);
  t.teardown(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });
  const contentKeys = async () => {
    const keys = (await redis.keys(`${prefix}:*`)).filter((k) => /:c:/.test(k));
    return Promise.all(keys.map(async (k) => ({ key: k, bytes: await redis.strlen(k) })));
  };

  const jpeg = picture();
  const { contentType, body } = mm7SubmitReq({
    vasp: 'wide',
    shortCode: '12345',
    to: ['15551230001'],
    parts: [{ type: 'image/jpeg', name: 'p.jpg', body: jpeg }],
    contentFirst: true,
  });
  t.ok(body.indexOf('<SubmitReq') > jpeg.length, 'the SOAP part comes after the picture');
  const o = open(url, '/mm7', 'wide', contentType, body, 2 * MB);
  // 2 MB of the picture sent, the envelope not yet: it is in Redis already.
  const seen = await until(
    'content staged before the SOAP part arrived',
    async () => {
      const keys = await contentKeys();
      return keys.length === 1 && keys[0]!.bytes >= MB ? keys[0] : undefined;
    },
    5_000,
  );
  t.ok(seen.bytes < jpeg.length, `${seen.bytes} bytes in the store before the request ended`);
  o.finish();
  const xml = (await o.answer).body;
  t.equal(statusOf(xml), '1000', 'accepted');
  const id = /<(?:\w+:)?MessageID>([^<]+)</.exec(xml)?.[1];
  t.ok(seen.key.endsWith(`:c:${id}`), 'the staged key is the message content key');
  const content = await store.queue.content(id!);
  t.equal(content?.length, 1, 'one part');
  t.ok(content?.[0]?.equals(jpeg), 'the stored part is the picture, byte for byte');
  t.equal((await store.queue.message(id!))?.parts[0]?.contentType, 'image/jpeg');

  // A refused content-first submission leaves nothing behind (2001: a sender the VASP may not use).
  const refused = mm7SubmitReq({
    vasp: 'wide',
    shortCode: '999',
    to: ['15551230001'],
    parts: [{ type: 'image/jpeg', name: 'p.jpg', body: jpeg }],
    contentFirst: true,
  });
  const r = open(url, '/mm7', 'wide', refused.contentType, refused.body, 0);
  r.finish();
  t.equal(statusOf((await r.answer).body), '2001');
  t.strictSame(
    (await contentKeys()).filter((k) => !k.key.endsWith(`:c:${id}`)),
    [],
    'its stage is deleted',
  );
});

t.test('small content before the SOAP part is read as before; a large one only as the whole of a SubmitReq', async (t) => {
  const { url, queue } = await start(t);
  const first = small('wide', { contentFirst: true });
  const o = open(url, '/mm7', 'wide', first.contentType, first.body, 0);
  o.finish();
  const xml = (await o.answer).body;
  t.equal(statusOf(xml), '1000', 'a small content-first SubmitReq is accepted');
  const id = /<(?:\w+:)?MessageID>([^<]+)</.exec(xml)![1]!;
  t.equal((await queue.content(id))?.[0]?.toString(), 'hello', 'with its content');

  const jpeg = picture(600 * 1024);
  const replace = mm7ReplaceReq({
    vasp: 'wide',
    messageId: id,
    parts: [{ type: 'image/jpeg', name: 'p.jpg', body: jpeg }],
    contentFirst: true,
  });
  const r = open(url, '/mm7', 'wide', replace.contentType, replace.body, 0);
  r.finish();
  const answer = (await r.answer).body;
  t.equal(statusOf(answer), '2007', 'a ReplaceReq with 600 KB before its envelope is refused');
  t.match(textOf(answer), /send the envelope first/);
  t.equal((await queue.content(id))?.[0]?.toString(), 'hello', 'the message keeps its content');
});

/** `n` attributes a0="" a1="" ... */
t.test('a stage the accepted message did not take is discarded when the request ends', async (t) => {
  const { url, queue } = await start(t, { maxBodyBytes: 8 * MB });
  // Two parts answer to cid:content: a small one before the SOAP part (held in memory) and a 1 MB one after
  // it (streamed to a stage). findPart takes the first, so the message is stored from the part in memory and
  // the stage is the accepted message's no more than a refused one's.
  const xml = mm7SubmitReq({ vasp: 'wide', shortCode: '12345', to: ['15551230001'], parts: [] }).body.toString('utf8');
  const envelope = /<\?xml[\s\S]*<\/e:Envelope>/.exec(xml)![0];
  const b = 'dup-boundary-3c';
  const body = Buffer.concat([
    Buffer.from(`--${b}\r\nContent-Type: text/plain\r\nContent-ID: <content>\r\n\r\nhello\r\n`),
    Buffer.from(`--${b}\r\nContent-Type: text/xml; charset=utf-8\r\nContent-ID: <soap>\r\n\r\n${envelope}\r\n`),
    Buffer.from(`--${b}\r\nContent-Type: application/octet-stream\r\nContent-ID: <content>\r\n\r\n`),
    picture(MB),
    Buffer.from(`\r\n--${b}--\r\n`),
  ]);
  const o = open(url, '/mm7', 'wide', `multipart/related; boundary="${b}"; type="text/xml"; start="<soap>"`, body, 0);
  o.finish();
  const answer = (await o.answer).body;
  t.equal(statusOf(answer), '1000', 'accepted');
  const id = /<(?:\w+:)?MessageID>([^<]+)</.exec(answer)![1]!;
  t.equal((await queue.content(id))?.[0]?.toString(), 'hello', 'from the part before the SOAP part');
  // The stage's TTL is minutes (the request timeout): until then it would hold its 1 MB of the store.
  const bytes = await until(
    'the unused stage let go',
    () => ((queue as MemoryQueue).usage().bytes < 256 * 1024 ? (queue as MemoryQueue).usage().bytes : undefined),
    3_000,
  );
  t.ok(bytes < 256 * 1024, `the store holds the small message only (${bytes} bytes)`);
});

const attrs = (n: number) => Array.from({ length: n }, (_, i) => `a${i.toString(36)}=""`).join(' ');

/** The attribute bomb of issue 20: a SubmitReq that is valid but for 116,221 attributes on its operation element (~975 KB). */
function bomb(): string {
  return (
    `<?xml version="1.0"?><e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Header><TransactionID xmlns="${MM7_NS}">bomb-1</TransactionID></e:Header><e:Body>` +
    `<SubmitReq xmlns="${MM7_NS}" ${attrs(116_221)}><MM7Version>6.8.0</MM7Version><SenderIdentification><VASPID>wide</VASPID><SenderAddress><ShortCode>12345</ShortCode></SenderAddress></SenderIdentification>` +
    `<Recipients><To><Number>15551230001</Number></To></Recipients></SubmitReq></e:Body></e:Envelope>`
  );
}

t.test('an attribute bomb is refused 4004 by the pre-scan, whatever the envelope limit', async (t) => {
  const xml = Buffer.from(bomb());
  t.ok(xml.length > 900_000 && xml.length < MB, `${xml.length} bytes`);
  // With an envelope limit that lets it through, the attribute count refuses it.
  const wide = await start(t, { maxEnvelopeBytes: 2 * MB });
  const sent = open(wide.url, '/mm7', 'wide', 'text/xml; charset=utf-8', xml, 0);
  sent.finish();
  const answer = (await sent.answer).body;
  t.equal(statusOf(answer), '4004', 'single part: 4004 Validation error');
  t.match(textOf(answer), /attributes/, 'for its attributes');
  const multipart = mm7SubmitReq({
    vasp: 'wide',
    shortCode: '12345',
    to: ['15551230001'],
    parts: [{ type: 'text/plain', name: 'a.txt', body: Buffer.from('x') }],
  });
  const inBody = Buffer.from(multipart.body.toString('latin1').replace('<SubmitReq xmlns', `<SubmitReq ${attrs(116_221)} xmlns`), 'latin1');
  const m = open(wide.url, '/mm7', 'wide', multipart.contentType, inBody, 0);
  m.finish();
  const mAnswer = (await m.answer).body;
  t.equal(statusOf(mAnswer), '4004', 'multipart: 4004');
  t.match(textOf(mAnswer), /attributes/);

  // With the default envelope limit (256 KiB) it is refused for its size, before it is read.
  const dflt = await start(t);
  const d = await open(dflt.url, '/mm7', 'wide', 'text/xml; charset=utf-8', xml, 0).answer;
  t.equal(statusOf(d.body), '4004', 'over the envelope limit: 4004 at once');
  t.match(textOf(d.body), /over the limit of 262144 bytes/);
  const dm = open(dflt.url, '/mm7', 'wide', multipart.contentType, inBody, 0);
  dm.finish();
  const dmAnswer = (await dm.answer).body;
  t.equal(statusOf(dmAnswer), '4004', 'a SOAP part over the envelope limit: 4004 while it streams');
  t.match(textOf(dmAnswer), /SOAP envelope over 262144 bytes/);
});
