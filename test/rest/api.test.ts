// The REST submission API (POST /v1/messages, GET /v1/messages/:id) over real HTTP on loopback, with the
// embedded store and a frozen clock. Expected values are what each test sends, never what the code computes.
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { pino, type Logger } from 'pino';
import t, { type Test } from 'tap';
import { StaticRouter } from '../../src/core/static-router.js';
import type { StateEvent } from '../../src/core/message.js';
import { Mm7Server } from '../../src/mm7/server.js';
import { ConfigSchema, VaspSchema, type VaspConfig } from '../../src/ops/config.js';
import { Metrics } from '../../src/ops/metrics.js';
import { createMemoryStore } from '../../src/store/memory/index.js';
import type { Queue } from '../../src/core/ports.js';
import { OutboundGuard } from '../../src/transport/outbound-guard.js';
import { checkAnswer } from '../helpers/openapi-check.js';

const NOW = Date.UTC(2030, 0, 15, 12, 0, 0);
const DAY = 86_400_000;
const DEFAULT_EXPIRY = 2 * DAY;
const MAX_EXPIRY = 10 * DAY;

/** An account through the schema, so that keys added later get their defaults. */
function vasp(v: Partial<VaspConfig> & Pick<VaspConfig, 'id' | 'username' | 'password' | 'senders'>): VaspConfig {
  return VaspSchema.parse({ maxMessageBytes: 300 * 1024, rate: 1000, burst: 1000, maxInFlight: 100, ...v });
}

const VASPS: VaspConfig[] = [
  vasp({ id: 'acme', username: 'acme', password: 'pw-acme', senders: ['12345', '+15550001111', 'news@acme.example'] }),
  vasp({ id: 'other', username: 'other', password: 'pw-other', senders: ['54321'] }),
  vasp({ id: 'small', username: 'small', password: 'pw-small', senders: ['12345'], maxMessageBytes: 20 }),
  vasp({ id: 'slow', username: 'slow', password: 'pw-slow', senders: ['12345'], rate: 1, burst: 1 }),
  // Content limit far over any body limit of the tests: only the body limit can stop its uploads.
  vasp({ id: 'fenced', username: 'fenced', password: 'pw-fenced', senders: ['12345'], callbackUrlPrefixes: ['https://cb.acme.example/'] }),
  vasp({ id: 'big', username: 'big', password: 'pw-big', senders: ['12345'], maxMessageBytes: 256 * 1024 * 1024 }),
  vasp({
    id: 'vasp2',
    username: 'vasp2',
    password: 'pw-vasp2',
    senders: ['12345'],
    callbackUrlPrefixes: ['http://vasp2.example', 'https://cb.vasp2.example/events'],
  }),
];

interface Started {
  url: string;
  queue: Queue;
  metrics: Metrics;
  clock: { now: number };
}

async function start(
  t: Test,
  extra: Record<string, unknown> = {},
  wrap: (q: Queue) => Queue = (q) => q,
  log: Logger = pino({ level: 'silent' }),
  guard?: OutboundGuard,
): Promise<Started> {
  const config = ConfigSchema.parse({
    mm7: { port: 0, vasps: VASPS, defaultExpiryMs: DEFAULT_EXPIRY, maxExpiryMs: MAX_EXPIRY, ...extra },
  }).mm7;
  const clock = { now: NOW };
  const now = () => clock.now;
  const store = createMemoryStore({ now });
  const queue = wrap(store.queue);
  const metrics = new Metrics();
  const server = new Mm7Server({
    config,
    queue,
    throttle: store.throttle,
    router: new StaticRouter(),
    metrics,
    log,
    now,
    ...(guard ? { guard } : {}),
  });
  const url = await server.listen('127.0.0.1', 0);
  t.teardown(() => server.close());
  return { url, queue: store.queue, metrics, clock };
}

const basic = (user: string) => `Basic ${Buffer.from(`${user}:pw-${user}`).toString('base64')}`;

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** fetch with a VASP's credentials; the JSON body parsed (or {} when there is none). */
async function call(
  url: string,
  path: string,
  init: { user?: string | null; method?: string; body?: FormData | string; type?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (init.user !== null) headers.authorization = basic(init.user ?? 'acme');
  if (init.type) headers['content-type'] = init.type;
  const method = init.method ?? (init.body ? 'POST' : 'GET');
  const r = await fetch(url.replace(/\/$/, '') + path, { method, headers, body: init.body ?? null });
  const text = await r.text();
  const contentType = r.headers.get('content-type') ?? '';
  const json = contentType.startsWith('application/json') ? (JSON.parse(text) as Record<string, unknown>) : undefined;
  // Every answer these tests receive is one the OpenAPI document describes (as restCall checks its answers).
  checkAnswer({ method, path, status: r.status, contentType, body: json, headers: r.headers });
  return { status: r.status, headers: r.headers, body: json ?? {} };
}

/** A form from [name, value] pairs; a value that is a file is { type, name, bytes }. */
type FileSpec = { type?: string; name: string; bytes: Uint8Array<ArrayBuffer> | string };
function form(entries: Array<[string, string | FileSpec]>): FormData {
  const f = new FormData();
  for (const [name, value] of entries) {
    if (typeof value === 'string') f.append(name, value);
    else f.append(name, new Blob([value.bytes], value.type ? { type: value.type } : {}), value.name);
  }
  return f;
}

const submit = (s: Started, entries: Array<[string, string | FileSpec]>, user = 'acme') =>
  call(s.url, '/v1/messages', { user, body: form(entries) });

/** The error document every refusal carries. */
function isError(t: Test, a: Answer, status: number, code: string, what: string): void {
  t.equal(a.status, status, `${what}: HTTP ${status}`);
  t.match(a.headers.get('content-type'), /^application\/json/, `${what}: JSON`);
  const err = a.body.error as { status: number; code: string; message: string } | undefined;
  t.equal(err?.status, status, `${what}: error.status`);
  t.equal(err?.code, code, `${what}: error.code ${code}`);
  t.ok(typeof err?.message === 'string' && err.message.length > 0, `${what}: a readable message`);
}

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A hand-written request over node:http (bodies fetch and FormData would not produce). */
function raw(url: string, path: string, body: Buffer | string, headers: Record<string, string>, method = 'POST'): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request(url.replace(/\/$/, '') + path, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

t.test('an accepted submission: 202, Location, and the queued message is what was sent', async (t) => {
  const s = await start(t);
  const jpeg = randomBytes(5000);
  const note = Buffer.from('binary\u0000data', 'latin1');
  const subject = 'Grüße aus Köln ✓';
  const a = await submit(s, [
    ['from', '+15550001111'],
    ['to', '+16175550100'],
    ['to', '4915112345678'],
    ['to', '54321'],
    ['to', 'bob@example.com'],
    ['subject', subject],
    ['callbackUrl', 'https://cp.example/mms/events?x=1'],
    ['pic', { type: 'image/jpeg', name: 'photo.jpg', bytes: jpeg }],
    ['attachment', { name: 'note.bin', bytes: note }],
  ]);
  t.equal(a.status, 202);
  const id = a.body.messageId as string;
  t.match(id, /^[0-9a-z-]+$/, 'a Message-ID');
  t.equal(a.body.recipients, 4);
  t.equal(a.headers.get('location'), `/v1/messages/${id}`);

  const m = await s.queue.message(id);
  t.ok(m, 'the message is queued');
  t.strictSame(m!.originator, { address: '+15550001111', type: 'plmn' });
  t.strictSame(
    m!.recipients.map((r) => [r.address, r.type, r.kind]),
    [
      ['+16175550100', 'plmn', 'to'],
      ['+4915112345678', 'plmn', 'to'],
      ['54321', 'shortcode', 'to'],
      ['bob@example.com', 'email', 'to'],
    ],
  );
  t.equal(m!.subject, subject, 'the UTF-8 subject');
  t.equal(m!.contentType, 'application/vnd.wap.multipart.mixed');
  t.equal(m!.contentTypeParams, undefined);
  t.strictSame(
    m!.parts.map((p) => [p.index, p.contentType, p.contentLocation, p.size, p.contentId]),
    [
      [0, 'image/jpeg', 'photo.jpg', 5000, undefined],
      [1, 'application/octet-stream', 'note.bin', note.length, undefined],
    ],
  );
  t.strictSame(m!.origin, { iface: 'rest', peer: 'acme', callbackUrl: 'https://cp.example/mms/events?x=1' });
  t.equal(m!.deliveryReport, true, 'a callbackUrl asks for delivery events');
  t.equal(m!.readReport, false);
  t.equal(m!.priority, 'normal');
  t.equal(m!.messageClass, 'personal');
  t.equal(m!.receivedAt, NOW);
  t.equal(m!.expiresAt, NOW + DEFAULT_EXPIRY, 'the default expiry');
  const content = await s.queue.content(id);
  t.equal(content?.length, 2);
  t.ok(content?.[0]?.equals(jpeg), 'the image bytes as sent');
  t.ok(content?.[1]?.equals(note), 'the octet-stream bytes as sent');

  const metrics = await s.metrics.registry.metrics();
  t.match(metrics, /mmsc_rest_requests_total\{operation="submit",code="202",service="mmsc"\} 1/);
});

t.test('a text-only message with the default sender and an expiry', async (t) => {
  const s = await start(t);
  const a = await submit(s, [
    ['to', '+16175550100'],
    ['text', 'Hallo Wörld'],
    ['expiry', '3600'],
    ['subject', ''],
  ]);
  t.equal(a.status, 202);
  const m = await s.queue.message(a.body.messageId as string);
  t.strictSame(m?.originator, { address: '12345', type: 'shortcode' }, 'the first configured sender');
  t.strictSame(m?.parts, [{ index: 0, contentType: 'text/plain', params: { charset: 'utf-8' }, size: Buffer.byteLength('Hallo Wörld') }]);
  t.equal(m?.contentType, 'application/vnd.wap.multipart.mixed');
  t.equal((await s.queue.content(m!.id))?.[0]?.toString('utf8'), 'Hallo Wörld');
  t.strictSame(m?.origin, { iface: 'rest', peer: 'acme' }, 'no callbackUrl');
  t.equal(m?.deliveryReport, false, 'no callback: no events');
  t.equal(m?.subject, undefined, 'an empty subject is none');
  t.equal(m?.expiresAt, NOW + 3600_000, 'expiry in seconds');

  const capped = await submit(s, [
    ['to', '+16175550100'],
    ['text', 'x'],
    ['expiry', String(100 * 86_400)],
    ['from', 'news@acme.example'],
  ]);
  t.equal(capped.status, 202);
  const c = await s.queue.message(capped.body.messageId as string);
  t.equal(c?.expiresAt, NOW + MAX_EXPIRY, 'an expiry over the maximum is capped');
  t.strictSame(c?.originator, { address: 'news@acme.example', type: 'email' });
});

t.test('a SMIL presentation is multipart.related, started by the SMIL part', async (t) => {
  const s = await start(t);
  const smil = '<smil><body><par><img src="pic.png"/><text src="caption.txt"/></par></body></smil>';
  const png = randomBytes(300);
  const a = await submit(s, [
    ['to', '+16175550100'],
    ['text', 'caption'],
    ['p', { type: 'image/png', name: 'pic.png', bytes: png }],
    ['s', { type: 'application/smil', name: 'pres.smil', bytes: smil }],
  ]);
  t.equal(a.status, 202);
  const m = await s.queue.message(a.body.messageId as string);
  t.equal(m?.contentType, 'application/vnd.wap.multipart.related');
  t.strictSame(
    m?.parts.map((p) => p.contentType),
    ['text/plain', 'image/png', 'application/smil'],
    'the text first, then the files in order',
  );
  const ids = m!.parts.map((p) => p.contentId);
  t.ok(
    ids.every((i) => typeof i === 'string' && /^<[^<>]+>$/.test(i)),
    'every part has a Content-ID',
  );
  t.equal(new Set(ids).size, ids.length, 'distinct Content-IDs');
  const smilPart = m!.parts.find((p) => p.contentType === 'application/smil')!;
  t.equal(m?.contentTypeParams?.type, 'application/smil');
  t.equal(m?.contentTypeParams?.start, smilPart.contentId, 'start names the SMIL part');
  t.equal(smilPart.contentLocation, 'pres.smil');
  const content = await s.queue.content(m!.id);
  t.equal(content?.[smilPart.index]?.toString('utf8'), smil);
  // Each part is read by its index (the text, known last, is stored after the files).
  t.ok(content?.[m!.parts[1]!.index]?.equals(png));
  t.equal(content?.[m!.parts[0]!.index]?.toString('utf8'), 'caption');
});

t.test('refusals of the request itself: 415, 400, 403, 404, 405, 401', async (t) => {
  const s = await start(t);
  const text: Array<[string, string]> = [['text', 'hi']];
  isError(
    t,
    await call(s.url, '/v1/messages', { body: '{"to":"+16175550100"}', type: 'text/plain' }),
    415,
    'UNSUPPORTED_MEDIA_TYPE',
    'a text/plain body',
  );
  isError(
    t,
    await call(s.url, '/v1/messages', { body: 'to=%2B16175550100', type: 'application/x-www-form-urlencoded' }),
    415,
    'UNSUPPORTED_MEDIA_TYPE',
    'url-encoded form',
  );
  for (const bad of ['12', 'abc', '+123', 'bob@', '']) {
    isError(t, await submit(s, [['to', '+16175550100'], ['to', bad], ...text]), 400, 'BAD_REQUEST', `to ${JSON.stringify(bad)}`);
  }
  isError(t, await submit(s, text), 400, 'BAD_REQUEST', 'no to');
  for (const bad of ['ftp://cp.example/x', 'not a url', '/relative/path', 'javascript:alert(1)']) {
    isError(t, await submit(s, [['to', '+16175550100'], ['callbackUrl', bad], ...text]), 400, 'BAD_REQUEST', `callbackUrl ${bad}`);
  }
  isError(
    t,
    await submit(s, [
      ['to', '+16175550100'],
      ['subject', 'nothing else'],
    ]),
    400,
    'BAD_REQUEST',
    'no content',
  );
  for (const bad of ['0', '-5', '1.5', 'soon']) {
    isError(t, await submit(s, [['to', '+16175550100'], ['expiry', bad], ...text]), 400, 'BAD_REQUEST', `expiry ${bad}`);
  }
  isError(
    t,
    await submit(s, [['to', '+16175550100'], ['callbackURL', 'https://cp.example/'], ...text]),
    400,
    'BAD_REQUEST',
    'a misspelt field',
  );
  isError(t, await submit(s, [['to', '+16175550100'], ['from', '12345'], ['from', '12345'], ...text]), 400, 'BAD_REQUEST', 'from twice');
  const sender = await submit(s, [['to', '+16175550100'], ['from', '99999'], ...text]);
  isError(t, sender, 403, 'FORBIDDEN', 'a sender not allowed');
  t.match((sender.body.error as { message: string }).message, /99999/);
  isError(t, await submit(s, [['to', '+16175550100'], ['from', '54321'], ...text]), 403, 'FORBIDDEN', "another VASP's sender");
  t.equal((await s.queue.stats()).waiting, 0, 'nothing was queued');

  const anon = await call(s.url, '/v1/messages', { user: null, body: form([['to', '+16175550100'], ...text]) });
  t.equal(anon.status, 401, 'no credentials');
  t.match(anon.headers.get('www-authenticate'), /^Basic/);
  isError(t, await call(s.url, '/v1/nothing'), 404, 'NOT_FOUND', 'unknown path');
  isError(t, await call(s.url, '/v1/messages/a/b'), 404, 'NOT_FOUND', 'path below a message');
  let a = await call(s.url, '/v1/messages', { method: 'PUT' });
  isError(t, a, 405, 'METHOD_NOT_ALLOWED', 'PUT /v1/messages');
  t.equal(a.headers.get('allow'), 'POST, GET');
  a = await call(s.url, '/v1/messages/some-id', { method: 'PUT' });
  isError(t, a, 405, 'METHOD_NOT_ALLOWED', 'PUT /v1/messages/:id');
  t.equal(a.headers.get('allow'), 'GET, DELETE');

  // A body left unread closes the connection; a request without one keeps it.
  const unread = await raw(s.url, '/v1/messages', '{"to":"+16175550100"}', {
    'content-type': 'text/plain',
    authorization: basic('acme'),
  });
  t.equal(unread.status, 415);
  t.equal(unread.headers.connection, 'close', 'the unread body: Connection: close');
  const bodyless = await raw(s.url, '/v1/nothing', '', { authorization: basic('acme') }, 'GET');
  t.equal(bodyless.status, 404);
  t.not(bodyless.headers.connection, 'close', 'no body: the connection is kept');

  const metrics = await s.metrics.registry.metrics();
  t.match(metrics, /mmsc_rest_requests_total\{operation="submit",code="415",service="mmsc"\} 3/);
  t.match(metrics, /mmsc_rest_requests_total\{operation="submit",code="403",service="mmsc"\} 2/);
  t.match(metrics, /mmsc_rest_requests_total\{operation="other",code="404",service="mmsc"\} 3/);
  t.match(metrics, /mmsc_rest_requests_total\{operation="status",code="405",service="mmsc"\} 1/);
});

t.test('malformed multipart bodies: 400, and the server lives on', async (t) => {
  const s = await start(t);
  const auth = { authorization: basic('acme') };
  const cases: Array<[string, string, string]> = [
    ['no boundary', 'multipart/form-data', '--x\r\nContent-Disposition: form-data; name="to"\r\n\r\n+16175550100\r\n--x--\r\n'],
    ['never closed', 'multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="to"\r\n\r\n+16175550100'],
    [
      'a broken part header',
      'multipart/form-data; boundary=x',
      '--x\r\nContent-Disposition: form-data; name="to"\r\nno colon in this line\r\n\r\n+16175550100\r\n--x--\r\n',
    ],
    [
      'a file cut short',
      'multipart/form-data; boundary=x',
      '--x\r\nContent-Disposition: form-data; name="to"\r\n\r\n+16175550100\r\n--x\r\nContent-Disposition: form-data; name="f"; filename="a.bin"\r\nContent-Type: image/png\r\n\r\nabcdef',
    ],
    ['empty body', 'multipart/form-data; boundary=x', ''],
  ];
  for (const [what, type, body] of cases) {
    const r = await raw(s.url, '/v1/messages', body, { 'content-type': type, ...auth });
    t.equal(r.status, 400, `${what}: 400`);
    t.equal((JSON.parse(r.body) as { error: { code: string } }).error.code, 'BAD_REQUEST', `${what}: BAD_REQUEST`);
  }
  // The same framing, well-formed, is accepted: the refusals above are about the framing alone.
  const good =
    '--x\r\nContent-Disposition: form-data; name="to"\r\n\r\n+16175550100\r\n--x\r\nContent-Disposition: form-data; name="f"; filename="a.png"\r\nContent-Type: image/png\r\n\r\nabcdef\r\n--x--\r\n';
  const r = await raw(s.url, '/v1/messages', good, { 'content-type': 'multipart/form-data; boundary=x', ...auth });
  t.equal(r.status, 202, 'the well-formed body is accepted');
  const m = await s.queue.message((JSON.parse(r.body) as { messageId: string }).messageId);
  t.equal((await s.queue.content(m!.id))?.[0]?.toString('latin1'), 'abcdef');
  t.equal(m?.parts[0]?.contentType, 'image/png');
});

t.test(
  'a boundary given twice, in RFC 2231 form or empty is refused: 400 with the reason; one plain boundary is read as busboy reads it',
  async (t) => {
    const s = await start(t);
    const auth = { authorization: basic('acme') };
    const to = (b: string) => `--${b}\r\nContent-Disposition: form-data; name="to"\r\n\r\n+16175550100\r\n`;
    const text = (b: string) => `--${b}\r\nContent-Disposition: form-data; name="text"\r\n\r\nhi\r\n`;
    // A part busboy drops without a word (no Content-Disposition): the form must not be accepted without it.
    const dropped = (b: string) => `--${b}\r\nContent-Type: image/png\r\n\r\nPNG\r\n`;
    const good = (b: string) => to(b) + text(b) + `--${b}--\r\n`;
    const cases: Array<[string, string, string, RegExp]> = [
      // busboy reads "A" (the first plain boundary=); an RFC 2231 reader reads "B".
      [
        'boundary= and boundary*=, a part dropped',
        `multipart/form-data; boundary=A; boundary*=utf-8''B`,
        to('A') + text('A') + dropped('A') + '--A--\r\n',
        /RFC 2231/,
      ],
      ['boundary= and boundary*=', `multipart/form-data; boundary=A; boundary*=utf-8''B`, good('A'), /RFC 2231/],
      ['boundary*= first', `multipart/form-data; Boundary*=utf-8''B; boundary=A`, good('A'), /RFC 2231/],
      // busboy reads no boundary at all; an RFC 2231 reader reads "AB".
      ['continuations', 'multipart/form-data; boundary*0=A; boundary*1=B', good('AB'), /RFC 2231/],
      ['a plain boundary and continuations', 'multipart/form-data; boundary=A; boundary*0*=B; boundary*1=C', good('A'), /RFC 2231/],
      // The first one wins for busboy; another reader may take the last.
      [
        'boundary twice, a part dropped',
        'multipart/form-data; boundary=A; boundary=B',
        to('A') + text('A') + dropped('A') + '--A--\r\n',
        /2 times/,
      ],
      ['boundary twice, the same', 'multipart/form-data; boundary="A"; BOUNDARY=A', good('A'), /2 times/],
      // busboy delimits on "CRLF--" alone (RFC 2046 §5.1.1 wants 1 to 70 characters).
      ['an empty boundary, a part dropped', 'multipart/form-data; boundary=""', to('') + text('') + dropped('') + '----\r\n', /empty/],
    ];
    for (const [what, type, body, why] of cases) {
      const r = await raw(s.url, '/v1/messages', body, { 'content-type': type, ...auth });
      t.equal(r.status, 400, `${what}: 400`);
      const err = (JSON.parse(r.body) as { error?: { code: string; message: string } }).error;
      t.equal(err?.code, 'BAD_REQUEST', `${what}: BAD_REQUEST`);
      t.match(err?.message, /boundary/, `${what}: says it is the boundary (${err?.message})`);
      t.match(err?.message, why, `${what}: says why`);
    }
    t.equal((await s.queue.stats()).waiting, 0, 'nothing was queued');
    // One plain boundary, quoted or not, among other parameters (one of which quotes "boundary*="), is read.
    const fine: Array<[string, string]> = [
      ['multipart/form-data; boundary=A', 'A'],
      ['multipart/form-data; charset=utf-8; boundary="a b:c"', 'a b:c'],
      ['multipart/form-data; note="x; boundary*=utf-8\'\'B"; boundary=A', 'A'],
    ];
    for (const [type, b] of fine) {
      const r = await raw(s.url, '/v1/messages', good(b), { 'content-type': type, ...auth });
      t.equal(r.status, 202, `${type}: 202`);
    }
    // And a part dropped under a plain boundary is still noticed.
    const r = await raw(s.url, '/v1/messages', to('A') + text('A') + dropped('A') + '--A--\r\n', {
      'content-type': 'multipart/form-data; boundary=A',
      ...auth,
    });
    t.equal(r.status, 400, 'a dropped part under a plain boundary: 400');
  },
);

t.test('size limits: the VASP content limit and the form limits answer 413', async (t) => {
  const s = await start(t);
  const file = (n: number): [string, FileSpec] => ['f', { type: 'image/png', name: 'a.png', bytes: Buffer.alloc(n, 7) }];
  let a = await submit(s, [['to', '+16175550100'], file(20)], 'small');
  t.equal(a.status, 202, '20 bytes fit the 20-byte limit');
  a = await submit(s, [['to', '+16175550100'], file(21)], 'small');
  isError(t, a, 413, 'TOO_LARGE', '21 bytes in one file');
  a = await submit(s, [['to', '+16175550100'], file(12), file(9)], 'small');
  isError(t, a, 413, 'TOO_LARGE', '12 + 9 bytes in two files');
  a = await submit(s, [['to', '+16175550100'], ['text', 'fifteen bytes!!'], file(6)], 'small');
  isError(t, a, 413, 'TOO_LARGE', '15 bytes of text + 6 of file');
  a = await submit(s, [['to', '+16175550100'], ...Array.from({ length: 21 }, () => file(1))]);
  isError(t, a, 413, 'TOO_LARGE', '21 files');
  a = await submit(s, [['to', '+16175550100'], ...Array.from({ length: 20 }, () => file(1))]);
  t.equal(a.status, 202, '20 files are allowed');
  a = await submit(s, [...Array.from({ length: 51 }, (): [string, string] => ['to', '+16175550100'])]);
  isError(t, a, 413, 'TOO_LARGE', '51 fields');
  a = await submit(s, [
    ['to', '+16175550100'],
    ['text', 'x'],
    ['subject', 'y'.repeat(8 * 1024 + 1)],
  ]);
  isError(t, a, 413, 'TOO_LARGE', 'a field over 8 KiB');
  a = await submit(s, [
    ['to', '+16175550100'],
    ['text', 'x'],
    ['subject', 'y'.repeat(8 * 1024)],
  ]);
  t.equal(a.status, 202, 'a field of 8 KiB is allowed');
});

t.test('a body far over maxBodyBytes is cut off: 413, Connection: close, no hang', async (t) => {
  const s = await start(t, { maxBodyBytes: 64 * 1024 });
  const u = new URL(s.url);
  const head = Buffer.from(
    '--x\r\nContent-Disposition: form-data; name="to"\r\n\r\n+16175550100\r\n--x\r\nContent-Disposition: form-data; name="f"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n',
  );
  const chunk = Buffer.alloc(64 * 1024, 1);
  const total = 32 * 1024 * 1024; // 512 times the limit

  for (const declared of [false, true]) {
    const what = declared ? 'declared Content-Length' : 'chunked';
    const headers: Record<string, string | number> = { 'content-type': 'multipart/form-data; boundary=x', authorization: basic('big') };
    if (declared) headers['content-length'] = head.length + total;
    const outcome = await new Promise<{ status?: number; connection?: string; body: string; written: number; closed: boolean }>(
      (resolve) => {
        const req = request({ host: u.hostname, port: u.port, path: '/v1/messages', method: 'POST', headers });
        let written = 0;
        let stop = false;
        let answer: { status?: number; connection?: string; body: string } = { body: '' };
        const timer = setTimeout(() => finish(false), 15_000);
        const finish = (closed: boolean) => {
          clearTimeout(timer);
          stop = true;
          req.destroy();
          resolve({ ...answer, written, closed });
        };
        req.on('response', (res) => {
          answer = { status: res.statusCode, connection: res.headers.connection, body: '' };
          stop = true;
          res.on('data', (d: Buffer) => (answer.body += d.toString()));
          res.on('end', () => {
            const sock = req.socket;
            if (!sock || sock.destroyed) finish(true);
            else sock.once('close', () => finish(true));
          });
        });
        req.on('error', () => (answer.status !== undefined ? finish(true) : undefined));
        req.write(head);
        const pump = () => {
          while (!stop && written < total) {
            written += chunk.length;
            if (!req.write(chunk)) return void req.once('drain', pump);
          }
          if (!stop) req.end();
        };
        pump();
      },
    );
    t.equal(outcome.status, 413, `${what}: 413`);
    t.equal(outcome.connection, 'close', `${what}: Connection: close`);
    t.equal((JSON.parse(outcome.body || '{}') as { error?: { code: string } }).error?.code, 'TOO_LARGE', `${what}: TOO_LARGE`);
    t.ok(outcome.closed, `${what}: the exchange ended (no hang)`);
    t.ok(outcome.written < total, `${what}: the server answered before the whole body was sent (${outcome.written} of ${total} bytes)`);
    t.comment(`${what}: ${outcome.written} bytes written`);
  }
  t.equal((await s.queue.stats()).waiting, 0, 'nothing was queued');
  const after = await submit(
    s,
    [
      ['to', '+16175550100'],
      ['text', 'still here'],
    ],
    'big',
  );
  t.equal(after.status, 202, 'the server still takes requests');
});

t.test('a client that goes away mid-upload leaves nothing behind', async (t) => {
  const lines: string[] = [];
  const s = await start(t, {}, (q) => q, pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) }));
  const u = new URL(s.url);
  const { connect } = await import('node:net');
  const sock = connect(Number(u.port), u.hostname);
  await new Promise((r) => sock.once('connect', r));
  sock.on('error', () => undefined);
  sock.write(
    `POST /v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic('acme')}\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: 100000\r\n\r\n` +
      '--x\r\nContent-Disposition: form-data; name="to"\r\n\r\n+16175550100\r\n--x\r\nContent-Disposition: form-data; name="f"; filename="a.bin"\r\n\r\nsome bytes',
  );
  await new Promise((r) => setTimeout(r, 100));
  sock.destroy();
  await new Promise((r) => setTimeout(r, 100));
  const gone = lines.map((l) => JSON.parse(l) as { msg: string; vasp?: string }).filter((l) => l.msg === 'rest client went away');
  t.equal(gone.length, 1, 'the request was settled (not left waiting for a body that never comes)');
  t.equal(gone[0]?.vasp, 'acme');
  t.equal((await s.queue.stats()).waiting, 0, 'nothing was queued');
  const after = await submit(s, [
    ['to', '+16175550100'],
    ['text', 'still here'],
  ]);
  t.equal(after.status, 202, 'the server still takes requests');
});

t.test('recipients per submission are capped by mm7.maxRecipients (shared with MM7): 400 with the reason over it', async (t) => {
  const s = await start(t, { maxRecipients: 2 });
  const over = await submit(s, [
    ['to', '+16175550100'],
    ['to', '+16175550101'],
    ['to', '+16175550102'],
    ['text', 'hi'],
  ]);
  isError(t, over, 400, 'BAD_REQUEST', 'three recipients');
  t.match((over.body.error as { message: string }).message, /3 recipients: more than the 2 allowed/, 'the reason names the limit');
  t.equal((await s.queue.stats()).waiting, 0, 'nothing queued');
  const two = await submit(s, [
    ['to', '+16175550100'],
    ['to', '+16175550101'],
    ['text', 'hi'],
  ]);
  t.equal(two.status, 202, 'two: accepted');
  t.equal(two.body.recipients, 2);
});

t.test('throttled: 429 with Retry-After', async (t) => {
  const s = await start(t);
  const entries: Array<[string, string]> = [
    ['to', '+16175550100'],
    ['text', 'hi'],
  ];
  const first = await submit(s, entries, 'slow');
  t.equal(first.status, 202, 'the first of a burst of 1');
  const second = await submit(s, entries, 'slow');
  isError(t, second, 429, 'THROTTLED', 'the second at once');
  const retry = second.headers.get('retry-after');
  t.match(retry, /^\d+$/, 'Retry-After in whole seconds');
  t.ok(Number(retry) >= 1, 'at least 1 s');
  t.equal((await submit(s, entries, 'acme')).status, 202, 'another VASP is not throttled by it');
});

t.test('a store that cannot take the message or answer: 503', async (t) => {
  const down = () => Promise.reject(new Error('ECONNREFUSED'));
  const s = await start(t, {}, (q) => Object.assign(Object.create(q) as Queue, { enqueue: down, message: down }));
  const a = await submit(s, [
    ['to', '+16175550100'],
    ['text', 'hi'],
  ]);
  isError(t, a, 503, 'UNAVAILABLE', 'enqueue failing');
  t.equal(a.body.messageId, undefined, 'no Message-ID');
  isError(t, await call(s.url, '/v1/messages/anything'), 503, 'UNAVAILABLE', 'status lookup failing');
});

t.test('a store that fails while an upload is streamed into it: 503, and the stage is discarded', async (t) => {
  let discarded = 0;
  const s = await start(t, {}, (q) =>
    Object.assign(Object.create(q) as Queue, {
      stage: (id: string, ttl: number) => {
        const real = q.stage(id, ttl);
        return {
          messageId: real.messageId,
          purpose: real.purpose,
          part: () => real.part(),
          get bytes() {
            return real.bytes;
          },
          drain: () => Promise.reject(new Error('OOM command not allowed')),
          discard: async () => {
            discarded++;
            await real.discard();
          },
        };
      },
    }),
  );
  const a = await submit(s, [
    ['to', '+16175550100'],
    ['f', { type: 'image/png', name: 'a.png', bytes: randomBytes(5000) }],
  ]);
  isError(t, a, 503, 'UNAVAILABLE', 'stage write failing');
  t.equal(discarded, 1, 'the stage was discarded');
  t.equal((await s.queue.stats()).waiting, 0, 'nothing was queued');
});

t.test('a full embedded store: 503, as for a full Redis, also while a file streams in; 202 again once drained', async (t) => {
  const config = ConfigSchema.parse({ mm7: { port: 0, vasps: VASPS } }).mm7;
  const store = createMemoryStore({ limits: { maxMessages: 2, maxBytes: 1024 * 1024 } });
  const server = new Mm7Server({
    config,
    queue: store.queue,
    throttle: store.throttle,
    router: new StaticRouter(),
    metrics: new Metrics(),
    log: pino({ level: 'silent' }),
  });
  const url = await server.listen('127.0.0.1', 0);
  t.teardown(() => server.close());
  const s: Started = { url, queue: store.queue, metrics: new Metrics(), clock: { now: NOW } };
  const text = (n: number): Array<[string, string]> => [
    ['to', '+16175550100'],
    ['text', `hello ${n}`],
  ];
  t.equal((await submit(s, text(1))).status, 202);
  t.equal((await submit(s, text(2))).status, 202);
  const full = await submit(s, text(3));
  isError(t, full, 503, 'UNAVAILABLE', 'the third, over the message limit');
  t.equal(full.body.messageId, undefined, 'no Message-ID');

  const jobs = await store.queue.take(10);
  for (const job of jobs) await store.queue.ack(job, 'delivered');
  t.equal((await submit(s, text(4))).status, 202, 'accepted again once the two are delivered');

  // 1 MiB of bytes: a 2 MB file cannot be staged (it is refused while it streams, not after).
  const big = await submit(
    s,
    [
      ['to', '+16175550100'],
      ['f', { type: 'image/png', name: 'a.png', bytes: randomBytes(2 * 1024 * 1024) }],
    ],
    'big',
  );
  isError(t, big, 503, 'UNAVAILABLE', 'a file over the room left');
  t.ok(store.queue.usage().bytes < 512 * 1024, `what it staged was let go (${store.queue.usage().bytes} bytes held)`);
  t.equal(
    (
      await submit(
        s,
        [
          ['to', '+16175550100'],
          ['f', { type: 'image/png', name: 'b.png', bytes: randomBytes(100 * 1024) }],
        ],
        'big',
      )
    ).status,
    202,
    'a file that fits is accepted',
  );
});

interface View {
  messageId: string;
  from: string;
  subject?: string;
  submittedAt: string;
  expiresAt: string;
  recipients: Array<{
    address: string;
    kind: string;
    state: string;
    events: Array<{ at: string; state: string; attempt: number; detail?: string }>;
  }>;
}

const asJson = (events: StateEvent[]) =>
  events.map((e) => ({
    at: new Date(e.at).toISOString(),
    state: e.state,
    attempt: e.attempt,
    ...(e.detail === undefined ? {} : { detail: e.detail }),
  }));

t.test('GET /v1/messages/:id: per-recipient states and events', async (t) => {
  const s = await start(t);
  const a = await submit(s, [
    ['to', '+16175550100'],
    ['to', 'bob@example.com'],
    ['subject', 'status please'],
    ['text', 'hi'],
    ['callbackUrl', 'http://cp.example/cb'],
  ]);
  const id = a.body.messageId as string;
  let g = await call(s.url, a.headers.get('location')!);
  t.equal(g.status, 200, 'the Location answers');
  let v = g.body as unknown as View;
  t.equal(v.messageId, id);
  t.equal(v.from, '12345');
  t.equal(v.subject, 'status please');
  t.equal(v.submittedAt, new Date(NOW).toISOString());
  t.equal(v.expiresAt, new Date(NOW + DEFAULT_EXPIRY).toISOString());
  t.strictSame(
    v.recipients.map((r) => [r.address, r.kind, r.state]),
    [
      ['+16175550100', 'to', 'queued'],
      ['bob@example.com', 'to', 'queued'],
    ],
  );
  t.strictSame(v.recipients[0]?.events, [{ at: new Date(NOW).toISOString(), state: 'queued', attempt: 0 }], 'one event: queued');

  // A worker's doings, by hand: take both, deliver the first, retry the second.
  s.clock.now = NOW + 1_000;
  const jobs = await s.queue.take(10);
  t.equal(jobs.length, 2);
  const job = (i: number) => jobs.find((j) => j.messageId === id && j.recipientIndex === i)!;
  s.clock.now = NOW + 2_000;
  await s.queue.ack(job(0), 'delivered', 'handset ack');
  s.clock.now = NOW + 3_000;
  await s.queue.retry(job(1), 'mailbox busy', 60_000);

  g = await call(s.url, `/v1/messages/${encodeURIComponent(id)}`);
  v = g.body as unknown as View;
  t.strictSame(
    v.recipients.map((r) => r.state),
    ['delivered', 'retrying'],
  );
  const last = (i: number) => v.recipients[i]!.events.at(-1);
  t.strictSame(last(0), { at: new Date(NOW + 2_000).toISOString(), state: 'delivered', attempt: 1, detail: 'handset ack' });
  t.strictSame(last(1), { at: new Date(NOW + 3_000).toISOString(), state: 'retrying', attempt: 1, detail: 'mailbox busy' });
  t.strictSame(v.recipients[0]?.events, asJson(await s.queue.history(id, 0)), 'every event of recipient 0, oldest first');
  t.strictSame(v.recipients[1]?.events, asJson(await s.queue.history(id, 1)), 'every event of recipient 1, oldest first');
  t.equal(v.recipients[0]?.events[0]?.state, 'queued', 'starting with queued');

  const metrics = await s.metrics.registry.metrics();
  t.match(metrics, /mmsc_rest_requests_total\{operation="status",code="200",service="mmsc"\} 2/);
});

t.test("another VASP's message is not found; an MM7 submission is readable by its VASP", async (t) => {
  const s = await start(t);
  const a = await submit(s, [
    ['to', '+16175550100'],
    ['text', 'mine'],
  ]);
  const id = a.body.messageId as string;
  const theirs = await call(s.url, `/v1/messages/${id}`, { user: 'other' });
  isError(t, theirs, 404, 'NOT_FOUND', "another VASP's message");
  const unknown = await call(s.url, '/v1/messages/no-such-id', { user: 'other' });
  isError(t, unknown, 404, 'NOT_FOUND', 'an unknown id');
  t.equal((await call(s.url, `/v1/messages/${id}`)).status, 200, 'its own VASP reads it');
  isError(t, await call(s.url, '/v1/messages/%E0%A4%A'), 400, 'BAD_REQUEST', 'an id that is not percent-encoding');

  const ns = 'http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-6-MM7-1-4';
  const soap =
    `<?xml version="1.0"?><env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Header>` +
    `<mm7:TransactionID xmlns:mm7="${ns}" env:mustUnderstand="1">tx-rest</mm7:TransactionID></env:Header><env:Body>` +
    `<SubmitReq xmlns="${ns}"><MM7Version>6.8.0</MM7Version><SenderIdentification><VASPID>acme</VASPID><SenderAddress><ShortCode>12345</ShortCode></SenderAddress></SenderIdentification>` +
    `<Recipients><To><Number>16172383232</Number></To></Recipients><Subject>by SOAP</Subject></SubmitReq></env:Body></env:Envelope>`;
  const r = await raw(s.url, '/', soap, { 'content-type': 'text/xml; charset=utf-8', authorization: basic('acme') });
  const mm7Id = /<(?:\w+:)?MessageID>([^<]+)</.exec(r.body)?.[1];
  t.ok(mm7Id, 'the MM7 submission is accepted');
  const g = await call(s.url, `/v1/messages/${mm7Id}`);
  t.equal(g.status, 200, 'its VASP reads it over REST');
  const v = g.body as unknown as View;
  t.equal(v.subject, 'by SOAP');
  t.strictSame(
    v.recipients.map((x) => [x.address, x.state]),
    [['+16172383232', 'queued']],
  );
  isError(t, await call(s.url, `/v1/messages/${mm7Id}`, { user: 'other' }), 404, 'NOT_FOUND', "another VASP's MM7 message");
});

t.test(
  'callbackUrl outside the allowed prefixes of the account: 400 with the reason (the gateway would POST from inside the network)',
  async (t) => {
    const s = await start(t);
    const inside = await submit(
      s,
      [
        ['to', '+16175550100'],
        ['text', 'hi'],
        ['callbackUrl', 'http://127.0.0.1:9464/metrics'],
      ],
      'fenced',
    );
    isError(t, inside, 400, 'BAD_REQUEST', 'a callback into the operator network');
    t.match((inside.body.error as { message: string }).message, /callbackUrl refused: .*not under an allowed prefix/);
    const ok = await submit(
      s,
      [
        ['to', '+16175550100'],
        ['text', 'hi'],
        ['callbackUrl', 'https://cb.acme.example/events?k=1'],
      ],
      'fenced',
    );
    t.equal(ok.status, 202, 'a callback under an allowed prefix');
    const m = await s.queue.message(String(ok.body.messageId));
    t.equal(m?.origin.callbackUrl, 'https://cb.acme.example/events?k=1');
  },
);

t.test('callbackUrlPrefixes are compared as parsed URLs: user info and look-alike hosts are refused', async (t) => {
  const s = await start(t);
  const cb = async (url: string) =>
    submit(
      s,
      [
        ['to', '+16175550100'],
        ['text', 'hi'],
        ['callbackUrl', url],
      ],
      'vasp2',
    );
  const refused: Array<[string, RegExp]> = [
    // Both passed the old string-prefix match of http://vasp2.example.
    ['http://vasp2.example@127.0.0.1:26199/', /user info/],
    ['http://vasp2.example.attacker.test/', /not under an allowed prefix/],
    ['http://vasp2.example:8080/', /not under an allowed prefix/],
    ['https://vasp2.example/', /not under an allowed prefix/],
    ['https://cb.vasp2.example/events.json', /not under an allowed prefix/],
    ['https://cb.vasp2.example/events/../admin', /not under an allowed prefix/],
  ];
  for (const [url, why] of refused) {
    const a = await cb(url);
    isError(t, a, 400, 'BAD_REQUEST', url);
    t.match((a.body.error as { message: string }).message, why, `${url}: the reason`);
  }
  for (const url of [
    'http://vasp2.example/',
    'http://VASP2.example:80/mms?x=1',
    'https://cb.vasp2.example/events',
    'https://cb.vasp2.example/events/7',
  ]) {
    t.equal((await cb(url)).status, 202, `${url}: accepted`);
  }
  t.equal((await s.queue.stats()).waiting, 4, 'only the accepted ones were queued');
});

/** Loopback in the forms a client may write it; each must reach 127.0.0.1 or ::1 if it is ever connected to. */
const LOOPBACK_FORMS = [
  'http://127.0.0.1:9/cb',
  'http://127.1:9/cb',
  'http://2130706433:9/cb',
  'http://0x7f000001:9/cb',
  'http://[::1]:9/cb',
  'http://[::ffff:127.0.0.1]:9/cb',
  'http://localhost:9/cb',
];

t.test('a callbackUrl to loopback, in any form, is refused at submission by default: 400 with the reason', async (t) => {
  const s = await start(t);
  for (const url of LOOPBACK_FORMS) {
    const a = await submit(s, [
      ['to', '+16175550100'],
      ['text', 'hi'],
      ['callbackUrl', url],
    ]);
    isError(t, a, 400, 'BAD_REQUEST', url);
    t.match((a.body.error as { message: string }).message, /^callbackUrl refused: .*loopback/, `${url}: says loopback`);
  }
  t.equal((await s.queue.stats()).waiting, 0, 'nothing was queued');
});

t.test('outbound.allow admits loopback callbacks when the operator says so', async (t) => {
  const s = await start(t, {}, undefined, undefined, new OutboundGuard({ allow: ['127.0.0.0/8', '::1/128'] }));
  for (const url of LOOPBACK_FORMS) {
    const a = await submit(s, [
      ['to', '+16175550100'],
      ['text', 'hi'],
      ['callbackUrl', url],
    ]);
    t.equal(a.status, 202, `${url}: accepted`);
    t.equal((await s.queue.message(String(a.body.messageId)))?.origin.callbackUrl, url, `${url}: kept as given`);
  }
  const other = await submit(s, [
    ['to', '+16175550100'],
    ['text', 'hi'],
    ['callbackUrl', 'http://[::2]:9/cb'],
  ]);
  isError(t, other, 400, 'BAD_REQUEST', 'an address outside the allowed ranges');
});
