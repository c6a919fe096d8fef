// A SubmitReq's (and a ReplaceReq's) content goes to the Redis content store while the request is still
// arriving (not buffered whole in the server): a real Mm7Server on loopback, a real Redis, a request written
// in two halves.
import { request, type ClientRequest } from 'node:http';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { StaticRouter } from '../../src/core/static-router.js';
import { Mm7Server } from '../../src/mm7/server.js';
import { ConfigSchema, type VaspConfig } from '../../src/ops/config.js';
import { Metrics } from '../../src/ops/metrics.js';
import { createRedisStore } from '../../src/store/redis/index.js';
import { STAGE_SLICE } from '../../src/store/redis/content-stage.js';
import { mm7ReplaceReq, mm7SubmitReq } from '../helpers/mm7-request.js';
import { mulberry32 } from '../helpers/prng.js';
import { redisUrl, testPrefix } from '../helpers/redis.js';
import { until } from '../helpers/until.js';
import { checkRawAnswer } from '../helpers/openapi-check.js';

const MB = 1024 * 1024;

const vasp = (id: string, maxMessageBytes: number): VaspConfig => ({
  id,
  username: id,
  password: `pw-${id}`,
  senders: ['111122'],
  maxMessageBytes,
  rate: 1000,
  burst: 1000,
  maxInFlight: 100,
  version: 'REL-6-MM7-1-4',
  deliveryRate: 20,
  deliveryBurst: 20,
  deliveryMaxInFlight: 10,
});

/** 3 MB of seeded noise: a picture as far as the server is concerned. */
function picture(size = 3 * MB): Buffer {
  const next = mulberry32(7);
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = Math.floor(next() * 256);
  return b;
}

async function setup(t: Test) {
  const redis = new Redis(await redisUrl(t), { maxRetriesPerRequest: 2 });
  const prefix = testPrefix();
  const store = createRedisStore({ redis, prefix });
  const config = ConfigSchema.parse({ mm7: { port: 0, maxBodyBytes: 8 * MB, vasps: [vasp('big', 5 * MB), vasp('tight', 1 * MB)] } }).mm7;
  const server = new Mm7Server({
    config,
    queue: store.queue,
    throttle: store.throttle,
    router: new StaticRouter(),
    metrics: new Metrics(),
    log: pino({ level: 'silent' }),
  });
  const url = await server.listen('127.0.0.1', 0);
  t.teardown(async () => {
    await server.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });
  /** Content keys under this test's prefix, with their lengths. */
  const contentKeys = async () => {
    const keys = (await redis.keys(`${prefix}:*`)).filter((k) => /:c:/.test(k));
    return Promise.all(keys.map(async (k) => ({ key: k, bytes: await redis.strlen(k) })));
  };
  return { url, queue: store.queue, contentKeys, redis };
}

/** Starts a POST, writes `first` bytes of the body, and returns a function that writes the rest and reads the answer. */
function postInHalves(url: string, user: string, body: Buffer, contentType: string, first: number) {
  let req!: ClientRequest;
  const answer = new Promise<string>((resolve, reject) => {
    req = request(
      url,
      { method: 'POST', auth: `${user}:pw-${user}`, headers: { 'content-type': contentType, 'content-length': String(body.length) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      },
    );
    req.on('error', reject);
  });
  req.write(body.subarray(0, first));
  return async () => {
    req.end(body.subarray(first));
    return answer;
  };
}

const statusOf = (xml: string) => /<(?:\w+:)?StatusCode>(\d+)</.exec(xml)?.[1];

t.test('a 3 MB attachment is in the store before the request has ended, and is the message content after', async (t) => {
  const { url, queue, contentKeys, redis } = await setup(t);
  const jpeg = picture();
  const { contentType, body } = mm7SubmitReq({
    vasp: 'big',
    shortCode: '111122',
    to: ['15551230001'],
    parts: [{ type: 'image/jpeg', name: 'p.jpg', body: jpeg }],
  });
  const rest = postInHalves(url, 'big', body, contentType, 2 * MB);
  // Half of the picture has been sent: it must already be in Redis, under the message's content key.
  const seen = await until('staged content in Redis', async () => {
    const keys = await contentKeys();
    return keys.length === 1 && keys[0]!.bytes >= MB ? keys[0] : undefined;
  });
  t.ok(seen.bytes < jpeg.length, `the store held ${seen.bytes} bytes before the request ended (of ${jpeg.length})`);
  const xml = await rest();
  t.equal(statusOf(xml), '1000', 'accepted');
  const id = /<(?:\w+:)?MessageID>([^<]+)</.exec(xml)?.[1];
  t.ok(id, 'with a MessageID');
  t.ok(seen.key.endsWith(`:c:${id}`), 'the staged key is the message content key');
  const content = await queue.content(id!);
  t.equal(content?.length, 1, 'one part');
  t.ok(content?.[0]?.equals(jpeg), 'the stored part is the picture, byte for byte');
  const message = await queue.message(id!);
  t.equal(message?.parts[0]?.size, jpeg.length, 'the model has its size');
  // The stage's own TTL is minutes (the request timeout); the enqueue gives the key the message's (days).
  t.ok((await redis.pttl(seen.key)) > 24 * 3600_000, 'the content key lives as long as the message');
});

t.test('a submission refused after its content was streamed leaves nothing in the store', async (t) => {
  const { url, contentKeys } = await setup(t);
  const jpeg = picture();
  // Short code 999 is not one of the VASP's senders: 2001, decided once the whole request is read.
  const { contentType, body } = mm7SubmitReq({
    vasp: 'big',
    shortCode: '999',
    to: ['15551230001'],
    parts: [{ type: 'image/jpeg', name: 'p.jpg', body: jpeg }],
  });
  const rest = postInHalves(url, 'big', body, contentType, 2 * MB);
  await until('staged content in Redis', async () => (await contentKeys()).some((k) => k.bytes >= MB));
  t.equal(statusOf(await rest()), '2001', 'sender not allowed');
  t.strictSame(await contentKeys(), [], 'the staged content is deleted');
});

t.test("content over the VASP's message size is not written past the limit, and is refused 2004", async (t) => {
  const { url, contentKeys } = await setup(t);
  const jpeg = picture();
  const { contentType, body } = mm7SubmitReq({
    vasp: 'tight',
    shortCode: '111122',
    to: ['15551230001'],
    parts: [{ type: 'image/jpeg', name: 'p.jpg', body: jpeg }],
  });
  const rest = postInHalves(url, 'tight', body, contentType, 2 * MB);
  // With 2 MB sent against a 1 MB limit, the stage holds at most the limit (written in whole slices).
  await new Promise((r) => setTimeout(r, 300));
  for (const k of await contentKeys()) t.ok(k.bytes <= MB + STAGE_SLICE, `staged ${k.bytes} bytes, not more than the 1 MB limit`);
  t.equal(statusOf(await rest()), '2004', 'message too large');
  t.strictSame(await contentKeys(), [], 'nothing is left');
});

t.test("a ReplaceReq's new content is staged beside the message while it arrives, and replaces it once accepted", async (t) => {
  const { url, queue, contentKeys, redis } = await setup(t);
  const small = mm7SubmitReq({
    vasp: 'big',
    shortCode: '111122',
    to: ['15551230001'],
    parts: [{ type: 'text/plain', name: 'a.txt', body: Buffer.from('first') }],
  });
  const submitted = await postInHalves(url, 'big', small.body, small.contentType, 10)();
  const id = /<(?:\w+:)?MessageID>([^<]+)</.exec(submitted)?.[1];
  t.ok(id, 'submitted');
  const [original] = await contentKeys();
  const ttl = await redis.pttl(original!.key);

  const jpeg = picture();
  const { contentType, body } = mm7ReplaceReq({ vasp: 'big', messageId: id!, parts: [{ type: 'image/jpeg', name: 'p.jpg', body: jpeg }] });
  const rest = postInHalves(url, 'big', body, contentType, 2 * MB);
  const staged = await until('staged replacement in Redis', async () =>
    (await contentKeys()).find((k) => k.key.includes(':next:') && k.bytes >= MB),
  );
  t.ok(staged.bytes < jpeg.length, `the store held ${staged.bytes} bytes of the replacement before the request ended`);
  t.equal((await queue.content(id!))?.[0]?.toString(), 'first', 'the message keeps its content meanwhile');
  t.equal(statusOf(await rest()), '1000', 'replaced');
  const content = await queue.content(id!);
  t.ok(content?.[0]?.equals(jpeg), 'the new content, byte for byte');
  t.equal((await queue.message(id!))?.parts[0]?.size, jpeg.length, 'the model has its size');
  const keys = await contentKeys();
  t.equal(keys.length, 1, 'one content key: the stage was renamed over it');
  t.ok((await redis.pttl(keys[0]!.key)) > ttl - 60_000, 'with the lifetime the content had');

  // A ReplaceReq for a message that is not there: 2005, and its stage is deleted.
  const other = mm7ReplaceReq({ vasp: 'big', messageId: 'no-such-message', parts: [{ type: 'image/jpeg', name: 'p.jpg', body: jpeg }] });
  const refused = postInHalves(url, 'big', other.body, other.contentType, 2 * MB);
  await until('staged replacement in Redis', async () => (await contentKeys()).some((k) => k.key.includes(':next:') && k.bytes >= MB));
  t.equal(statusOf(await refused()), '2005', 'no such message');
  t.same(
    (await contentKeys()).map((k) => k.key),
    [keys[0]!.key],
    'the refused replacement left nothing',
  );
});

/** multipart/form-data by hand (so that it can be written in halves): fields, then files, in this order. */
function formData(fields: Array<[string, string]>, files: Array<{ name: string; type: string; filename: string; body: Buffer }>) {
  const boundary = 'form-boundary-41c7e2';
  const chunks: Buffer[] = [];
  for (const [name, value] of fields)
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  for (const f of files) {
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${f.name}"; filename="${f.filename}"\r\nContent-Type: ${f.type}\r\n\r\n`,
      ),
      f.body,
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { contentType: `multipart/form-data; boundary=${boundary}`, body: Buffer.concat(chunks) };
}

/** POSTs to the REST API in halves (as postInHalves does for SOAP); the answer's status and JSON body. */
function restInHalves(url: string, user: string, body: Buffer, contentType: string, first: number) {
  let req!: ClientRequest;
  const answer = new Promise<{ status: number; json: Record<string, unknown> }>((resolve, reject) => {
    req = request(
      new URL('/v1/messages', url),
      { method: 'POST', auth: `${user}:pw-${user}`, headers: { 'content-type': contentType, 'content-length': String(body.length) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            checkRawAnswer('POST', '/v1/messages', res.statusCode!, res.headers, text); // as the OpenAPI document says
            resolve({ status: res.statusCode!, json: JSON.parse(text) as Record<string, unknown> });
          } catch (err) {
            reject(err);
          }
        });
      },
    );
    req.on('error', reject);
  });
  req.write(body.subarray(0, first));
  return async () => {
    req.end(body.subarray(first));
    return answer;
  };
}

t.test('REST: a 3 MB upload is in the store before the request has ended; small files in one chunk keep their order', async (t) => {
  const { url, queue, contentKeys } = await setup(t);
  const jpeg = picture();
  const big = formData(
    [
      ['to', '+15551230001'],
      ['text', 'look'],
    ],
    [{ name: 'f', type: 'image/jpeg', filename: 'p.jpg', body: jpeg }],
  );
  const rest = restInHalves(url, 'big', big.body, big.contentType, 2 * MB);
  const seen = await until('staged upload in Redis', async () => (await contentKeys()).find((k) => k.bytes >= MB));
  t.ok(seen.bytes < jpeg.length, `the store held ${seen.bytes} bytes before the request ended`);
  const a = await rest();
  t.equal(a.status, 202, 'accepted');
  const id = a.json.messageId as string;
  t.ok(seen.key.endsWith(`:c:${id}`), 'the staged key is the message content key');
  const m = await queue.message(id);
  const content = await queue.content(id);
  t.strictSame(
    m?.parts.map((p) => p.contentType),
    ['text/plain', 'image/jpeg'],
    'the text first',
  );
  t.equal(content?.[m!.parts[0]!.index]?.toString(), 'look');
  t.ok(content?.[m!.parts[1]!.index]?.equals(jpeg), 'the picture, byte for byte');

  // Three files in one small body: busboy announces each before the last one's bytes are out.
  const files = ['one', 'two', 'three'].map((n, i) => ({
    name: `f${i}`,
    type: 'text/plain',
    filename: `${n}.txt`,
    body: Buffer.from(n.repeat(10 + i)),
  }));
  const small = formData([['to', '+15551230001']], files);
  const b = await restInHalves(url, 'big', small.body, small.contentType, small.body.length)();
  t.equal(b.status, 202);
  const m2 = await queue.message(b.json.messageId as string);
  const c2 = await queue.content(b.json.messageId as string);
  t.strictSame(
    m2?.parts.map((p) => [p.contentLocation, c2?.[p.index]?.toString()]),
    files.map((f) => [f.filename, f.body.toString()]),
    'each file under its own name, with its own bytes',
  );

  // Over the account's limit: 413, and nothing is left in the store.
  const tight = formData([['to', '+15551230001']], [{ name: 'f', type: 'image/jpeg', filename: 'p.jpg', body: jpeg }]);
  const before = (await contentKeys()).length;
  const refused = await restInHalves(url, 'tight', tight.body, tight.contentType, 2 * MB)();
  t.equal(refused.status, 413);
  t.equal((await contentKeys()).length, before, 'the refused upload left nothing');
});
