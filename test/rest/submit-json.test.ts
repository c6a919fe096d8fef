// POST /v1/messages with a JSON body over real HTTP on loopback (the MM7 listener, the embedded store, a frozen
// clock): what is stored for each field, and each refusal. Expected values are what each test sends.
import { request } from 'node:http';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import type { CoreMessage } from '../../src/core/message.js';
import type { SenderEvent, SenderEvents } from '../../src/core/sender-events.js';
import { StaticRouter } from '../../src/core/static-router.js';
import { Mm7Server } from '../../src/mm7/server.js';
import { ConfigSchema, VaspSchema, type VaspConfig } from '../../src/ops/config.js';
import { Metrics } from '../../src/ops/metrics.js';
import {
  MediaUnavailableError,
  type MediaFailure,
  type MediaRef,
  type MediaService,
  type ResolvedMedia,
} from '../../src/rest/media/types.js';
import type { RestServices } from '../../src/rest/services.js';
import { createMemoryStore, type MemoryQueue } from '../../src/store/memory/index.js';
import { basic, restCall, type RestCallAnswer } from '../helpers/rest-call.js';

const NOW = Date.UTC(2030, 0, 15, 12, 0, 0);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const DEFAULT_EXPIRY = 2 * DAY;
const MAX_EXPIRY = 10 * DAY;

const vasp = (v: Partial<VaspConfig> & Pick<VaspConfig, 'id' | 'senders'>): VaspConfig =>
  VaspSchema.parse({ username: v.id, password: `pw-${v.id}`, rate: 1000, burst: 1000, maxInFlight: 100, ...v });

const VASPS: VaspConfig[] = [
  vasp({ id: 'acme', senders: ['12345', '+15550001111'] }),
  vasp({ id: 'uk', senders: ['54321'], defaultRegion: 'GB' }),
  vasp({ id: 'small', senders: ['12345'], maxMessageBytes: 100 }),
];
const auth = (user = 'acme') => basic(user, `pw-${user}`);

/** Valid numbers (libphonenumber-js max metadata), written here, not computed. */
const US = '+14155550100';
const US2 = '+12015550123';
const UK = '+447911123456';

/** Recorded events: a stand-in for the webhook side (another slice), which turns them into signed POSTs. */
class RecordedEvents implements SenderEvents {
  readonly seen: Array<{ messageId: string; event: SenderEvent }> = [];
  failing = false;
  async emit(message: CoreMessage, event: SenderEvent): Promise<void> {
    if (this.failing) throw new Error('webhook store down');
    this.seen.push({ messageId: message.id, event });
  }
}

/**
 * A media service of fixed answers by URL: it stands in for helper 1's (src/rest/media/), which fetches through
 * the outbound guard and is tested on its own against a loopback HTTP server. Here only what the JSON route
 * makes of its answers is under test.
 */
class FixedMedia implements MediaService {
  readonly asked: Array<{ refs: readonly MediaRef[]; budget: number }> = [];
  constructor(private readonly answers: Record<string, { contentType: string; bytes: Buffer } | MediaFailure>) {}
  async resolve(_vasp: VaspConfig, refs: readonly MediaRef[], budget: number): Promise<ResolvedMedia[]> {
    this.asked.push({ refs, budget });
    return refs.map((ref) => {
      const a = this.answers[ref.source];
      if (a === undefined) throw new MediaUnavailableError(ref.source, 'not-found', `${ref.source}: 404`);
      if (typeof a === 'string') throw new MediaUnavailableError(ref.source, a, `${ref.source}: ${a}`);
      const r: ResolvedMedia = { source: ref.source, contentType: a.contentType, bytes: a.bytes };
      if (ref.filename !== undefined) r.filename = ref.filename;
      return r;
    });
  }
}

const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(60, 7)]);
const PNG = Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), Buffer.alloc(30, 1)]);

interface Started {
  url: string;
  queue: MemoryQueue;
  clock: { now: number };
  events: RecordedEvents;
  media: FixedMedia;
  metrics: Metrics;
}

async function start(t: Test, extra: Record<string, unknown> = {}, services: Partial<RestServices> | null = {}): Promise<Started> {
  const config = ConfigSchema.parse({
    mm7: { port: 0, vasps: VASPS, defaultExpiryMs: DEFAULT_EXPIRY, maxExpiryMs: MAX_EXPIRY, ...extra },
  }).mm7;
  const clock = { now: NOW };
  const now = () => clock.now;
  const store = createMemoryStore({ now });
  const events = new RecordedEvents();
  const metrics = new Metrics();
  const media = new FixedMedia({
    'https://cdn.example/r.jpg': { contentType: 'image/jpeg', bytes: JPEG },
    med_upload1: { contentType: 'image/png', bytes: PNG },
    'https://cdn.example/wrong.png': 'type-mismatch',
    'https://cdn.example/slow.jpg': 'timeout',
  });
  const server = new Mm7Server({
    config,
    queue: store.queue,
    throttle: store.throttle,
    router: new StaticRouter(),
    metrics,
    log: pino({ level: 'silent' }),
    now,
    restServices: services === null ? {} : { events, media, ...services },
  });
  const url = await server.listen('127.0.0.1', 0);
  t.teardown(() => server.close());
  return { url, queue: store.queue, clock, events, media, metrics };
}

const post = (s: Started, json: unknown, user = 'acme') => restCall(s.url, 'POST', '/v1/messages', { auth: auth(user), json });

/** A refusal: its status, HTTP-level code, catalogue code and the details asked for. */
function refusedWith(t: Test, a: RestCallAnswer, status: number, refusal: string, details: Record<string, unknown> = {}, what = refusal) {
  t.equal(a.status, status, `${what}: HTTP ${status}`);
  t.equal(a.body?.error?.status, status, `${what}: error.status`);
  t.equal(a.body?.error?.refusal, refusal, `${what}: error.refusal ${refusal}`);
  t.ok(typeof a.body?.error?.message === 'string' && a.body.error.message.length > 0, `${what}: words for the sender`);
  for (const [k, v] of Object.entries(details)) t.equal(a.body?.error?.[k], v, `${what}: error.${k}`);
}

t.test('one recipient, text only: 202 accepted, the stored message and its events', async (t) => {
  const s = await start(t);
  const a = await post(s, { to: US, text: 'Thanks for your order' });
  t.equal(a.status, 202);
  const id = a.body.messageId as string;
  t.same(a.body, { messageId: id, recipients: 1, status: 'accepted' });
  t.equal(a.headers.get('location'), `/v1/messages/${id}`);
  const m = (await s.queue.message(id))!;
  t.strictSame(m.originator, { address: '12345', type: 'shortcode' }, "the account's first sender by default");
  t.strictSame(m.recipients, [{ address: US, type: 'plmn', kind: 'to' }]);
  t.strictSame(m.parts, [{ index: 0, contentType: 'text/plain', params: { charset: 'utf-8' }, size: 21 }]);
  t.equal((await s.queue.content(id))?.[0]?.toString('utf8'), 'Thanks for your order');
  t.strictSame(m.origin, { iface: 'rest', peer: 'acme' });
  t.equal(m.deliveryReport, false, 'no callbackUrl: no events asked for');
  t.equal(m.messageClass, 'personal');
  t.strictSame(m.sender, { trafficClass: 'transactional' });
  t.equal(m.expiresAt, NOW + DEFAULT_EXPIRY);
  t.equal(m.earliestDeliveryAt, undefined);
  t.strictSame(
    s.events.seen.map((e) => [e.messageId, e.event.type, e.event.recipientIndex, e.event.at]),
    [
      [id, 'accepted', 0, NOW],
      [id, 'queued', 0, NOW],
    ],
  );
  t.match(await s.metrics.registry.metrics(), /mmsc_rest_submissions_total\{format="json",outcome="accepted",service="mmsc"\} 1/);
});

t.test('many recipients with every field: sender options, origin, parts text first, expiry', async (t) => {
  const s = await start(t);
  const a = await post(s, {
    to: [US, ' +44 7911 123456 ', US2],
    from: '+15550001111',
    subject: 'Your receipt',
    text: 'Grüße ✓',
    media: ['https://cdn.example/r.jpg', { url: 'med_upload1', contentType: 'image/png', filename: 'code.png' }],
    callbackUrl: 'https://hooks.example/mms',
    failoverUrl: 'https://hooks2.example/mms',
    validity: 3600,
    clientRef: 'order-1234',
    class: 'marketing',
    fallback: { sms: true, text: 'Your receipt:' },
  });
  t.equal(a.status, 202);
  const id = a.body.messageId as string;
  t.same(a.body, { messageId: id, recipients: 3, status: 'accepted', clientRef: 'order-1234' });
  const m = (await s.queue.message(id))!;
  t.strictSame(m.originator, { address: '+15550001111', type: 'plmn' });
  t.strictSame(
    m.recipients.map((r) => r.address),
    [US, UK, US2],
    'numbers in +E.164',
  );
  t.equal(m.subject, 'Your receipt');
  t.equal(m.contentType, 'application/vnd.wap.multipart.mixed');
  t.strictSame(
    m.parts.map((p) => [p.index, p.contentType, p.size, p.contentLocation]),
    [
      [0, 'text/plain', Buffer.byteLength('Grüße ✓'), undefined],
      [1, 'image/jpeg', JPEG.length, 'r.jpg'],
      [2, 'image/png', PNG.length, 'code.png'],
    ],
    'the text first, then the media in the order given',
  );
  const content = (await s.queue.content(id))!;
  t.equal(content[0]!.toString('utf8'), 'Grüße ✓');
  t.ok(content[1]!.equals(JPEG), 'the image by URL');
  t.ok(content[2]!.equals(PNG), 'the upload');
  t.strictSame(m.origin, {
    iface: 'rest',
    peer: 'acme',
    callbackUrl: 'https://hooks.example/mms',
    failoverUrl: 'https://hooks2.example/mms',
  });
  t.equal(m.deliveryReport, true);
  t.equal(m.readReport, false, 'no read report unless asked: handsets may prompt their user for one');
  t.equal(m.messageClass, 'advertisement', 'marketing is an advertisement in MMS terms');
  t.strictSame(m.sender, { trafficClass: 'marketing', clientRef: 'order-1234', fallback: { sms: true, text: 'Your receipt:' } });
  t.equal(m.expiresAt, NOW + 3600 * 1000, 'validity: seconds from now');
  t.strictSame(
    s.media.asked.map((q) => [q.refs, q.budget]),
    [
      [
        [{ source: 'https://cdn.example/r.jpg' }, { source: 'med_upload1', contentType: 'image/png', filename: 'code.png' }],
        300 * 1024 - Buffer.byteLength('Grüße ✓'),
      ],
    ],
    'the media asked for, within what the text leaves of the account limit',
  );
  t.strictSame(
    s.events.seen.map((e) => `${e.event.type}/${e.event.recipientIndex}`),
    ['accepted/0', 'accepted/1', 'accepted/2', 'queued/0', 'queued/1', 'queued/2'],
  );
});

t.test('readReport: asked of the handset only with a callbackUrl to send the read event to', async (t) => {
  const s = await start(t);
  const asked = await post(s, { to: US, text: 'hi', callbackUrl: 'https://hooks.example/mms', readReport: true });
  t.equal(asked.status, 202);
  t.equal((await s.queue.message(asked.body.messageId as string))!.readReport, true);
  const nowhere = await post(s, { to: US, text: 'hi', readReport: true });
  t.equal(nowhere.status, 202);
  t.equal((await s.queue.message(nowhere.body.messageId as string))!.readReport, false, 'no callbackUrl: no read event to give');
  const wrong = await post(s, { to: US, text: 'hi', readReport: 'yes' });
  t.equal(wrong.status, 400);
  t.equal(wrong.body.error.field, 'readReport');
});

t.test('expiresAt, and numbers without + in the account’s default region', async (t) => {
  const s = await start(t);
  let a = await post(s, { to: US, text: 'x', expiresAt: '2030-01-16T13:00:00+01:00' });
  t.equal(a.status, 202);
  t.equal((await s.queue.message(a.body.messageId))!.expiresAt, NOW + DAY);
  a = await post(s, { to: '07911 123456', text: 'x' }, 'uk');
  t.equal(a.status, 202, 'a national number of the default region');
  t.equal((await s.queue.message(a.body.messageId))!.recipients[0]!.address, UK);
  refusedWith(
    t,
    await post(s, { to: '4155550100', text: 'x' }),
    400,
    'address-error',
    { recipient: '4155550100', reason: 'INVALID_COUNTRY' },
    'no + and no default region',
  );
  // An expiry past the listener's longest is cut to it, as for MM7.
  a = await post(s, { to: US, text: 'x', validity: 30 * 86_400 });
  t.equal((await s.queue.message(a.body.messageId))!.expiresAt, NOW + MAX_EXPIRY);
});

t.test('scheduled: 202 scheduled, kept until sendAt, not handed out before', async (t) => {
  const s = await start(t);
  const sendAt = NOW + 2 * HOUR;
  const a = await post(s, { to: [US, US2], text: 'Reminder', sendAt: '2030-01-15T15:00:00+01:00', validity: 600 });
  t.equal(a.status, 202);
  const id = a.body.messageId as string;
  t.same(a.body, { messageId: id, recipients: 2, status: 'scheduled', sendAt: '2030-01-15T14:00:00.000Z' });
  const m = (await s.queue.message(id))!;
  t.equal(m.earliestDeliveryAt, sendAt);
  t.equal(m.expiresAt, sendAt + 600_000, 'validity counts from sendAt');
  t.strictSame(
    s.events.seen.map((e) => `${e.event.type}/${e.event.recipientIndex}`),
    ['accepted/0', 'accepted/1', 'scheduled/0', 'scheduled/1'],
  );
  t.strictSame(await s.queue.take(10), [], 'nothing due at submission');
  s.clock.now = sendAt - 1;
  t.strictSame(await s.queue.take(10), [], 'nothing due a millisecond before sendAt');
  s.clock.now = sendAt;
  const due = await s.queue.take(10);
  t.strictSame(
    due.map((j) => [j.messageId, j.recipientIndex]),
    [
      [id, 0],
      [id, 1],
    ],
    'both due at sendAt',
  );

  // Without validity the default lifetime counts from sendAt too.
  s.clock.now = NOW;
  const b = await post(s, { to: US, text: 'Later', sendAt: '2030-01-20T12:00:00Z' });
  t.equal((await s.queue.message(b.body.messageId))!.expiresAt, NOW + 5 * DAY + DEFAULT_EXPIRY);
  // A sendAt a little in the past (a client clock behind ours) is sent now.
  const c = await post(s, { to: US, text: 'Now', sendAt: '2030-01-15T11:59:30Z' });
  t.equal(c.body.status, 'accepted');
  t.equal((await s.queue.message(c.body.messageId))!.earliestDeliveryAt, undefined);
  const metrics = await s.metrics.registry.metrics();
  t.match(metrics, /mmsc_rest_submissions_total\{format="json",outcome="scheduled",service="mmsc"\} 2/);
  t.match(metrics, /mmsc_rest_submissions_total\{format="json",outcome="accepted",service="mmsc"\} 1/);
});

t.test('numbers refused: address-error naming the first bad recipient and why', async (t) => {
  const s = await start(t);
  const cases: Array<[string, string]> = [
    ['+99912345678', 'INVALID_COUNTRY'],
    ['+1234', 'TOO_SHORT'],
    ['+1415555010012345', 'TOO_LONG'],
    ['+4422222222', 'INVALID_LENGTH'],
    ['call me', 'NOT_A_NUMBER'],
    ['+12005550100', 'INVALID_FOR_REGION'],
  ];
  for (const [bad, reason] of cases) {
    const a = await post(s, { to: [US, bad, 'also bad'], text: 'x' });
    refusedWith(t, a, 400, 'address-error', { recipient: bad, reason, code: 'BAD_REQUEST' }, `${bad}`);
    t.match(a.body.error.message, bad, `${bad}: the message names it`);
    t.match(a.body.error.message, reason, `${bad}: and why`);
  }
  const short = await post(s, { to: '12345', text: 'x' });
  refusedWith(t, short, 400, 'address-error', { recipient: '12345' }, 'a short code');
  t.match(short.body.error.message, /short code is not a recipient of a JSON submission/);
  const mail = await post(s, { to: 'bob@example.com', text: 'x' });
  refusedWith(t, mail, 400, 'address-error', { recipient: 'bob@example.com', reason: 'NOT_A_NUMBER' }, 'an e-mail address');
  t.match(mail.body.error.message, /e-mail address is not a recipient/);
  const metrics = await s.metrics.registry.metrics();
  t.match(metrics, /mmsc_rest_number_refusals_total\{reason="TOO_SHORT",service="mmsc"\} 1/);
  t.match(metrics, /mmsc_rest_number_refusals_total\{reason="NOT_A_NUMBER",service="mmsc"\} 2/);
  t.match(metrics, /mmsc_rest_submissions_total\{format="json",outcome="address-error",service="mmsc"\} 8/);
  t.equal((await s.queue.stats()).waiting, 0, 'nothing queued');
});

t.test('refusals of the body and its fields; nothing is stored', async (t) => {
  const s = await start(t, { maxRecipients: 3 });
  const a = await post(s, { to: US, text: 'x', callbackURL: 'https://hooks.example/' });
  refusedWith(t, a, 400, 'validation-error', { field: 'callbackURL' }, 'an unknown field');
  t.match(a.body.error.message, /unknown field callbackURL/);
  refusedWith(
    t,
    await post(s, { to: US, text: 'x', fallback: { sms: true, txt: 'y' } }),
    400,
    'validation-error',
    { field: 'fallback.txt' },
    'unknown nested field',
  );
  refusedWith(t, await post(s, { to: US, text: 'x', class: 'promo' }), 400, 'validation-error', { field: 'class' }, 'a class');
  refusedWith(
    t,
    await post(s, { to: US, text: 'x', sendAt: '2030-01-16 09:00' }),
    400,
    'validation-error',
    { field: 'sendAt' },
    'sendAt not RFC 3339',
  );
  refusedWith(
    t,
    await post(s, { to: US, text: 'x', sendAt: '2030-01-16T09:00:00' }),
    400,
    'validation-error',
    { field: 'sendAt' },
    'sendAt without offset',
  );
  refusedWith(t, await post(s, { to: US, text: 'x', validity: 1.5 }), 400, 'validation-error', { field: 'validity' }, 'validity');
  refusedWith(
    t,
    await post(s, { to: US, text: 'x', clientRef: 'r'.repeat(129) }),
    400,
    'validation-error',
    { field: 'clientRef' },
    'clientRef',
  );
  refusedWith(t, await post(s, { text: 'x' }), 400, 'validation-error', { field: 'to' }, 'no to');
  refusedWith(t, await post(s, { to: [], text: 'x' }), 400, 'validation-error', { field: 'to' }, 'an empty to');
  refusedWith(t, await post(s, { to: US }), 400, 'validation-error', {}, 'no content');
  refusedWith(t, await post(s, { to: US, text: '' }), 400, 'validation-error', { field: 'text' }, 'an empty text');
  refusedWith(t, await post(s, [US]), 400, 'validation-error', {}, 'not an object');
  refusedWith(
    t,
    await post(s, { to: US, text: 'x', validity: 60, expiresAt: '2030-01-16T12:00:00Z' }),
    400,
    'validation-error',
    { field: 'expiresAt' },
    'validity and expiresAt',
  );
  refusedWith(
    t,
    await post(s, { to: US, text: 'x', sendAt: '2030-01-15T11:58:00Z' }),
    400,
    'validation-error',
    { field: 'sendAt' },
    'sendAt in the past',
  );
  refusedWith(
    t,
    await post(s, { to: US, text: 'x', sendAt: '2030-01-25T12:00:00Z' }),
    400,
    'validation-error',
    { field: 'sendAt' },
    'sendAt beyond the longest expiry',
  );
  refusedWith(
    t,
    await post(s, { to: US, text: 'x', expiresAt: '2030-01-15T11:00:00Z' }),
    400,
    'expired',
    { field: 'expiresAt' },
    'expiresAt in the past',
  );
  refusedWith(
    t,
    await post(s, { to: US, text: 'x', sendAt: '2030-01-16T12:00:00Z', expiresAt: '2030-01-16T11:00:00Z' }),
    400,
    'validation-error',
    { field: 'expiresAt' },
    'expiresAt before sendAt',
  );
  refusedWith(
    t,
    await post(s, { to: US, text: 'x', fallback: { sms: false, text: 'y' } }),
    400,
    'validation-error',
    { field: 'fallback.text' },
    'a fallback text without sms',
  );
  refusedWith(t, await post(s, { to: US, text: 'x', from: '99999' }), 403, 'sender-not-allowed', {}, 'a sender not allowed');
  refusedWith(t, await post(s, { to: US, text: 'x', from: '54321' }), 403, 'sender-not-allowed', {}, "another account's sender");
  refusedWith(t, await post(s, { to: [US, US, US, US], text: 'x' }), 400, 'too-many-recipients', {}, 'over mm7.maxRecipients');
  refusedWith(
    t,
    await post(s, { to: US, text: 'x', callbackUrl: 'ftp://hooks.example/' }),
    400,
    'validation-error',
    { field: 'callbackUrl' },
    'callbackUrl',
  );
  refusedWith(
    t,
    await post(s, { to: US, text: 'x', callbackUrl: 'http://127.0.0.1/x' }),
    400,
    'validation-error',
    { field: 'callbackUrl' },
    'callbackUrl to loopback',
  );
  refusedWith(
    t,
    await post(s, { to: US, text: 'x', callbackUrl: 'https://hooks.example/', failoverUrl: 'http://10.0.0.1/' }),
    400,
    'validation-error',
    { field: 'failoverUrl' },
    'failoverUrl private',
  );
  refusedWith(
    t,
    await post(s, { to: US, text: 'x', failoverUrl: 'https://hooks2.example/' }),
    400,
    'validation-error',
    { field: 'failoverUrl' },
    'failoverUrl alone',
  );
  refusedWith(
    t,
    await post(s, { to: US, media: ['ftp://cdn.example/x.jpg'] }),
    400,
    'validation-error',
    { field: 'media.0' },
    'media neither URL nor id',
  );
  refusedWith(t, await post(s, { to: US, text: 'é'.repeat(60) }, 'small'), 413, 'message-too-large', {}, 'a text over the account limit');
  t.equal((await s.queue.stats()).waiting, 0, 'nothing queued');
  t.strictSame(s.events.seen, [], 'no events');
  t.strictSame(s.media.asked, [], 'no media fetched for a refused body');
});

t.test('hostile bodies: malformed, deep, huge, not UTF-8', async (t) => {
  const s = await start(t);
  const send = (body: string | Uint8Array<ArrayBuffer>, type = 'application/json') =>
    restCall(s.url, 'POST', '/v1/messages', { auth: auth(), body, headers: { 'content-type': type } });
  refusedWith(t, await send('{"to": "+14155550100", "text": '), 400, 'format-corrupt', {}, 'truncated JSON');
  refusedWith(t, await send(''), 400, 'format-corrupt', {}, 'empty');
  refusedWith(t, await send('{"to": "+14155550100"} x'), 400, 'format-corrupt', {}, 'trailing garbage');
  refusedWith(t, await send(`{"to": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`), 400, 'format-corrupt', {}, 'deeply nested');
  const deep = await send(`{"media": ${'['.repeat(9)}${']'.repeat(9)}}`);
  t.match(deep.body.error.message, /nested deeper than 8/, 'says why');
  refusedWith(t, await send(new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])), 400, 'format-corrupt', {}, 'not UTF-8');
  const huge = JSON.stringify({ to: US, text: 'x'.repeat(1024 * 1024) });
  refusedWith(t, await send(huge), 413, 'message-too-large', {}, 'over 1 MiB');
  refusedWith(t, await send(`{"to": "${'9'.repeat(10_000)}", "text": "x"}`), 400, 'validation-error', { field: 'to' }, 'a huge number');
  const many = JSON.stringify({ to: Array.from({ length: 50_000 }, () => US), text: 'x' });
  refusedWith(t, await send(many), 400, 'too-many-recipients', {}, '50 000 recipients');
  // A body that charset says is UTF-8 with a BOM is read (RFC 8259 §8.1 lets a parser ignore it).
  const bom = await send(`\ufeff${JSON.stringify({ to: US, text: 'bom' })}`, 'application/json; charset=utf-8');
  t.equal(bom.status, 202, 'a BOM is ignored');
  // Still answering.
  t.equal((await post(s, { to: US, text: 'after' })).status, 202);
});

t.test('media: refusals mapped, and no media service', async (t) => {
  const s = await start(t);
  let a = await post(s, { to: US, text: 'x', media: ['https://cdn.example/r.jpg', 'https://cdn.example/gone.jpg'] });
  refusedWith(t, a, 422, 'media-unavailable', { url: 'https://cdn.example/gone.jpg', reason: 'not-found', code: 'UNPROCESSABLE' }, 'a 404');
  a = await post(s, { to: US, media: ['https://cdn.example/slow.jpg'], callbackUrl: 'https://hooks.example/mms' });
  refusedWith(t, a, 422, 'media-unavailable', { url: 'https://cdn.example/slow.jpg', reason: 'timeout' }, 'a timeout');
  a = await post(s, { to: US, media: [{ url: 'https://cdn.example/wrong.png', contentType: 'image/png' }] });
  refusedWith(t, a, 422, 'content-type-mismatch', { url: 'https://cdn.example/wrong.png', reason: 'type-mismatch' }, 'wrong type');
  t.equal((await s.queue.stats()).waiting, 0, 'nothing queued');
  t.strictSame(s.events.seen, [], 'no message, so no events: the answer says it');

  const bare = await start(t, {}, null);
  refusedWith(
    t,
    await post(bare, { to: US, media: ['https://cdn.example/r.jpg'] }),
    400,
    'validation-error',
    { field: 'media' },
    'no media service',
  );
  t.equal((await post(bare, { to: US, text: 'text needs none' })).status, 202);
});

t.test('an event that cannot be recorded does not fail the answer: the message is stored', async (t) => {
  const s = await start(t);
  s.events.failing = true;
  const a = await post(s, { to: US, text: 'x', callbackUrl: 'https://hooks.example/mms' });
  t.equal(a.status, 202);
  t.ok(await s.queue.message(a.body.messageId), 'stored');
});

t.test('the form keeps its answer, with status', async (t) => {
  const s = await start(t);
  const form = new FormData();
  form.append('to', US);
  form.append('text', 'hi');
  const a = await restCall(s.url, 'POST', '/v1/messages', { auth: auth(), body: form });
  t.equal(a.status, 202);
  t.same(a.body, { messageId: a.body.messageId, recipients: 1, status: 'accepted' });
  t.match(await s.metrics.registry.metrics(), /mmsc_rest_submissions_total\{format="form",outcome="accepted",service="mmsc"\} 1/);
  const other = await restCall(s.url, 'POST', '/v1/messages', { auth: auth(), body: 'to=x', headers: { 'content-type': 'text/plain' } });
  t.equal(other.status, 415);
  t.match(other.body.error.message, /application\/json or multipart\/form-data/);
});

t.test('a body sent slowly in chunks is read whole', async (t) => {
  const s = await start(t);
  const body = Buffer.from(JSON.stringify({ to: [US, US2], text: 'chunked ✓' }));
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(`${s.url.replace(/\/$/, '')}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: auth(), 'transfer-encoding': 'chunked' },
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject);
    // Split inside the multi-byte ✓: the decoder sees the whole body.
    const cut = body.length - 4;
    req.write(body.subarray(0, cut));
    setTimeout(() => req.end(body.subarray(cut)), 50);
  });
  t.equal(status, 202);
});

t.test('a chunked body is counted against the listener’s body budget as it arrives: 503 over it', async (t) => {
  const s = await start(t, { maxInFlightBodyBytes: 1024 });
  const open = (headers: Record<string, string>) => {
    const req = request(`${s.url.replace(/\/$/, '')}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: auth(), ...headers },
    });
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
    });
    return { req, answer };
  };
  // A request that holds 600 bytes of the budget while its body is still coming.
  const held = Buffer.from(JSON.stringify({ to: US, text: 'h'.repeat(600 - JSON.stringify({ to: US, text: '' }).length) }));
  t.equal(held.length, 600);
  const first = open({ 'content-length': String(held.length) });
  first.req.write(held.subarray(0, 10));
  await new Promise((r) => setTimeout(r, 100));
  const over = open({ 'transfer-encoding': 'chunked' });
  over.req.end(Buffer.from(JSON.stringify({ to: US, text: 'x'.repeat(2000) })));
  const refused = await over.answer;
  t.equal(refused.status, 503, `over the budget: refused, transiently (${refused.body})`);
  t.equal(JSON.parse(refused.body).error.refusal, 'overloaded');
  first.req.end(held.subarray(10));
  t.equal((await first.answer).status, 202, 'the request that held its share: accepted');
});
