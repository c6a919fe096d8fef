// Idempotency-Key on POST /v1/messages (issue 24) over real HTTP on loopback, with the embedded store and a
// frozen clock: a replay answers the first answer (one message stored), another body under the key is 422,
// keys are per account, a malformed key is 400, a first request still in progress makes the second 409, a
// refused first frees its key, and a record whose request died is taken over once stale.
import { Readable } from 'node:stream';
import t, { type Test } from 'tap';
import type { Queue } from '../../src/core/ports.js';
import { ConfigSchema, VaspSchema, type VaspConfig } from '../../src/ops/config.js';
import type { Metrics } from '../../src/ops/metrics.js';
import { FingerprintStream } from '../../src/rest/idempotency.js';
import { createMemoryStore } from '../../src/store/memory/index.js';
import { basic, restCall } from '../helpers/rest-call.js';
import { mm7Listener } from '../helpers/mm7-listener.js';

const NOW = Date.UTC(2030, 0, 15, 12, 0, 0);
const REQUEST_TIMEOUT_MS = 30_000;

const vasp = (id: string): VaspConfig =>
  VaspSchema.parse({ id, username: id, password: `pw-${id}`, senders: ['12345'], rate: 1000, burst: 1000, maxInFlight: 100 });

interface Started {
  url: string;
  queue: Queue;
  clock: { now: number };
  metrics: Metrics;
}

async function start(t: Test, wrap: (q: Queue) => Queue = (q) => q): Promise<Started> {
  const config = ConfigSchema.parse({ mm7: { port: 0, vasps: [vasp('acme'), vasp('other')], requestTimeoutMs: REQUEST_TIMEOUT_MS } });
  const clock = { now: NOW };
  const now = () => clock.now;
  const store = createMemoryStore({ now });
  const { url, metrics } = await mm7Listener(t, {
    config: config.mm7,
    store,
    wrapQueue: wrap,
    now,
    restServices: { api: config.api, idempotency: store.idempotency },
  });
  return { url, queue: store.queue, clock, metrics };
}

function form(entries: Array<[string, string]>): FormData {
  const f = new FormData();
  for (const [k, v] of entries) f.append(k, v);
  return f;
}

const post = (s: Started, key: string | undefined, entries: Array<[string, string]>, user = 'acme') =>
  restCall(s.url, 'POST', '/v1/messages', {
    auth: basic(user, `pw-${user}`),
    body: form(entries),
    headers: key === undefined ? {} : { 'idempotency-key': key },
  });

/** The account's messages in the store (the account index), ids only. */
async function stored(s: Started, account = 'acme'): Promise<string[]> {
  const page = await s.queue.search({ by: 'account', address: `rest:${account}`, from: 0, to: NOW + 86_400_000, limit: 100 });
  return page.hits.map((h) => h.messageId);
}

const HELLO: Array<[string, string]> = [
  ['to', '+16175550100'],
  ['text', 'hello'],
];

t.test('the same key and body: the first answer again, marked replayed; one message stored', async (t) => {
  const s = await start(t);
  const first = await post(s, 'order-1234', HELLO);
  t.equal(first.status, 202);
  t.equal(first.headers.get('idempotent-replayed'), null, 'the first is not a replay');
  t.strictSame(first.body, { messageId: first.body.messageId, recipients: 1, status: 'accepted' });
  // A new FormData: a new multipart boundary, the same request.
  const again = await post(s, 'order-1234', HELLO);
  t.equal(again.status, 202);
  t.equal(again.headers.get('idempotent-replayed'), 'true');
  t.equal(again.text, first.text, 'the same body, byte for byte');
  t.equal(again.headers.get('location'), first.headers.get('location'));
  t.strictSame(await stored(s), [first.body.messageId], 'one message');
  const metrics = await s.metrics.registry.metrics();
  t.match(metrics, /mmsc_rest_idempotency_total\{outcome="first",service="mmsc"\} 1\n/);
  t.match(metrics, /mmsc_rest_idempotency_total\{outcome="replayed",service="mmsc"\} 1\n/);
});

t.test('the same key with another body: 422 idempotency-conflict; the first stands', async (t) => {
  const s = await start(t);
  const first = await post(s, 'k1', HELLO);
  t.equal(first.status, 202);
  const other = await post(s, 'k1', [
    ['to', '+16175550100'],
    ['text', 'hello!'],
  ]);
  t.equal(other.status, 422);
  t.equal(other.body.error.code, 'UNPROCESSABLE');
  t.equal(other.body.error.refusal, 'idempotency-conflict');
  t.strictSame(await stored(s), [first.body.messageId]);
});

t.test('keys are per account: two accounts may use the same one', async (t) => {
  const s = await start(t);
  const a = await post(s, 'shared', HELLO, 'acme');
  const b = await post(s, 'shared', HELLO, 'other');
  t.equal(a.status, 202);
  t.equal(b.status, 202);
  t.equal(b.headers.get('idempotent-replayed'), null);
  t.not(a.body.messageId, b.body.messageId);
  t.strictSame(await stored(s, 'acme'), [a.body.messageId]);
  t.strictSame(await stored(s, 'other'), [b.body.messageId]);
});

t.test('a malformed key is 400: too long, empty, not printable ASCII', async (t) => {
  const s = await start(t);
  const ok = await post(s, 'x'.repeat(255), HELLO);
  t.equal(ok.status, 202, '255 characters are allowed');
  for (const [key, what] of [
    ['x'.repeat(256), '256 characters'],
    ['', 'empty'],
    ['tab\there', 'a control character'],
  ] as const) {
    const a = await post(s, key, HELLO);
    t.equal(a.status, 400, what);
    t.equal(a.body.error.refusal, 'validation-error', what);
  }
  t.equal((await stored(s)).length, 1, 'nothing stored for the refused ones');
});

t.test('the first still in progress: the second is 409 with Retry-After; then the replay', async (t) => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let held = 0;
  let entered!: () => void;
  const inside = new Promise<void>((r) => (entered = r));
  const s = await start(t, (q) => {
    const enqueue = q.enqueue.bind(q);
    q.enqueue = async (...args) => {
      if (held++ === 0) {
        entered();
        await gate;
      }
      return enqueue(...args);
    };
    return q;
  });
  const first = post(s, 'slow', HELLO);
  await inside;
  const second = await post(s, 'slow', HELLO);
  t.equal(second.status, 409);
  t.equal(second.body.error.code, 'CONFLICT');
  t.equal(second.body.error.refusal, 'idempotency-in-progress');
  t.equal(second.headers.get('retry-after'), '1');
  release();
  const a = await first;
  t.equal(a.status, 202);
  const third = await post(s, 'slow', HELLO);
  t.equal(third.status, 202);
  t.equal(third.headers.get('idempotent-replayed'), 'true');
  t.equal(third.body.messageId, a.body.messageId);
  t.equal(held, 1, 'one enqueue');
});

t.test('a refused first request frees its key: the corrected request is carried out', async (t) => {
  const s = await start(t);
  const bad = await post(s, 'fix-me', [
    ['to', '+16175550100'],
    ['txt', 'typo'],
  ]);
  t.equal(bad.status, 400);
  const good = await post(s, 'fix-me', HELLO);
  t.equal(good.status, 202);
  t.equal(good.headers.get('idempotent-replayed'), null);
});

t.test('a first request that died before storing: 409 until its record is stale, then taken over', async (t) => {
  let fail!: (e: Error) => void;
  const dead = new Promise<void>((_, reject) => (fail = reject));
  let calls = 0;
  let entered!: () => void;
  const inside = new Promise<void>((r) => (entered = r));
  const s = await start(t, (q) => {
    const enqueue = q.enqueue.bind(q);
    q.enqueue = async (...args) => {
      // The first never stores (its process is as good as dead); it is let go at the end of the test.
      if (calls++ === 0) {
        entered();
        await dead;
      }
      return enqueue(...args);
    };
    return q;
  });
  const first = post(s, 'orphan', HELLO);
  await inside;
  t.equal((await post(s, 'orphan', HELLO)).status, 409, 'not stale yet');
  s.clock.now = NOW + 2 * REQUEST_TIMEOUT_MS + 60_000 + 1;
  const taken = await post(s, 'orphan', HELLO);
  t.equal(taken.status, 202, 'taken over');
  t.equal(taken.headers.get('idempotent-replayed'), null);
  const replay = await post(s, 'orphan', HELLO);
  t.equal(replay.headers.get('idempotent-replayed'), 'true');
  t.equal(replay.body.messageId, taken.body.messageId);
  fail(new Error('gone'));
  t.equal((await first).status, 503, 'the first, let go, was not stored');
  t.strictSame(await stored(s), [taken.body.messageId], 'one message');
});

t.test('the fingerprint: the boundary left out, however the body is cut; the type and body count', async (t) => {
  const print = async (type: string, chunks: string[]) => {
    const f = new FingerprintStream(type);
    const out = new Promise<string>((r) => f.once('fingerprint', r));
    Readable.from(chunks.map((c) => Buffer.from(c))).pipe(f);
    f.resume();
    return out;
  };
  const body = (b: string) => `--${b}\r\ncontent-disposition: form-data; name="to"\r\n\r\n+1617\r\n--${b}--\r\n`;
  const one = await print('multipart/form-data; boundary=AaB03x', [body('AaB03x')]);
  const split = body('zz-boundary-zz');
  const cut = [split.slice(0, 5), split.slice(5, 40), split.slice(40, 41), split.slice(41)];
  t.equal(await print('multipart/form-data; boundary=zz-boundary-zz', cut), one, 'another boundary, cut inside it');
  const bytewise = [...split].map((c) => c);
  t.equal(await print('multipart/form-data; boundary=zz-boundary-zz', bytewise), one, 'one byte at a time');
  t.not(await print('multipart/form-data; boundary=AaB03x', [body('AaB03x').replace('+1617', '+1618')]), one, 'another value');
  t.not(await print('application/json', ['{"to":"+1617"}']), await print('text/plain', ['{"to":"+1617"}']), 'the type counts');
});

t.test('a request refused before its body is read holds no key, and is answered whatever its body', async (t) => {
  const s = await start(t);
  const big = 'x'.repeat(2 * 1024 * 1024);
  const a = await restCall(s.url, 'POST', '/v1/messages', {
    auth: basic('acme', 'pw-acme'),
    body: big,
    headers: { 'content-type': 'text/plain', 'idempotency-key': 'early' },
  });
  t.equal(a.status, 415);
  const tooBig = new FormData();
  tooBig.append('to', '+16175550100');
  tooBig.append('f', new Blob([Buffer.alloc(400 * 1024)]), 'big.bin');
  const b = await restCall(s.url, 'POST', '/v1/messages', {
    auth: basic('acme', 'pw-acme'),
    body: tooBig,
    headers: { 'idempotency-key': 'early' },
  });
  t.equal(b.status, 413, 'over the account content limit');
  const ok = await post(s, 'early', HELLO);
  t.equal(ok.status, 202);
  t.equal(ok.headers.get('idempotent-replayed'), null, 'carried out: the key was free');
});
