// Content that fits the handset, end to end (issue 25): a real gateway on loopback with Redis, a VASP's MM7
// SubmitReq (or a REST submission) carrying a 2 MB 12-megapixel PNG, the SMSC simulator as the WAP push
// bearer, and test handsets (helpers/handset.ts) retrieving over MM1: what they get is decoded with
// protocols/mms and the picture with sharp.
import { pino } from 'pino';
import sharp from 'sharp';
import t, { type Test } from 'tap';
import type { MmsPdu, RetrieveConf } from '../../protocols/mms/index.js';
import { Gateway } from '../../src/gateway.js';
import { ConfigSchema } from '../../src/ops/config.js';
import { Handset, httpRequest } from '../helpers/handset.js';
import { type Mm7Part, mm7SubmitReq, postSubmitReq } from '../helpers/mm7-request.js';
import { redisUrl, testPrefix } from '../helpers/redis.js';
import { basic, restCall } from '../helpers/rest-call.js';
import { type Smsc, startSmsc } from '../helpers/smsc.js';
import { until } from '../helpers/until.js';
import { webhookReceiver } from '../helpers/webhooks.js';

const B = '+14155550100';
const KB = 1024;
/** An old handset's types: no PNG (so the picture must become a JPEG). */
const OLD_HANDSET_TYPES = ['text/plain', 'application/smil', 'image/jpeg', 'image/gif', 'audio/amr'];

/**
 * A 4000x3000 (12 MP) PNG of about 2 MB: random colour in small flat blocks (PNG compresses the flats, the
 * randomness keeps it from being trivial; a JPEG of it at 640x480 is still a real photo-sized encode).
 */
async function bigPng(): Promise<Buffer> {
  const w = 1500;
  const h = 1125;
  const raw = Buffer.alloc(w * h * 3);
  let seed = 7;
  for (let i = 0; i < raw.length; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    raw[i] = seed & 0xff;
  }
  return sharp(raw, { raw: { width: w, height: h, channels: 3 } })
    .resize(4000, 3000, { kernel: 'nearest' })
    .png()
    .toBuffer();
}

let cached: Buffer | undefined;
async function picture(): Promise<Buffer> {
  cached ??= await bigPng();
  return cached;
}

async function setup(t: Test, extra: Record<string, unknown> = {}) {
  const smsc = await startSmsc({ systemId: 'mmsc', password: 'secret' });
  t.teardown(() => smsc.stop());
  const hooks = await webhookReceiver(t);
  const config = ConfigSchema.parse({
    redis: { url: await redisUrl(t) },
    queue: { prefix: testPrefix(), retryBaseMs: 50, retryMaxMs: 200 },
    ops: { port: 0 },
    mm7: {
      port: 0,
      maxRecipients: 1000,
      vasps: [
        {
          id: 'photos',
          username: 'photos',
          password: 'pw-photos',
          senders: ['7070'],
          maxMessageBytes: 4 * 1024 * KB,
          webhookSecrets: ['whsec-adapt-0123456789abcdef'],
          rate: 1000,
          burst: 1000,
        },
      ],
    },
    api: { media: { maxFileBytes: 4 * 1024 * KB } },
    outbound: { allow: ['127.0.0.1/32'] },
    mm1: {
      port: 0,
      publicUrl: 'http://mmsc.operator.test/mms',
      tokenSecret: 'test-secret-0123456789',
      localPrefixes: ['+1415555'],
      contentTypes: OLD_HANDSET_TYPES,
      pushRate: 2000,
      pushMaxInFlight: 500,
    },
    smpp: {
      smscs: [
        { id: 'sim', host: '127.0.0.1', port: smsc.port, systemId: 'mmsc', password: 'secret', sourceAddr: '6000', enquireLinkMs: 5000 },
      ],
    },
    content: {
      userAgents: [{ name: 'big-screen', match: 'BigPhone/', maxMessageBytes: 1024 * KB, maxImageWidth: 1600, maxImageHeight: 1200 }],
    },
    ...extra,
  });
  const gw = new Gateway(config, pino({ level: process.env.TEST_LOG ?? 'silent' }));
  const listeners = await gw.start();
  await gw.whenReady();
  t.teardown(() => gw.stop());
  await until('bound to the SMSC', () => gw.smpp!.clients[0]!.bound);
  const mm1 = listeners.find((l) => l.iface === 'mm1')!.address;
  const mm7 = listeners.find((l) => l.iface === 'mm7')!.address;
  return { gw, smsc, hooks, mm1, mm7, b: new Handset(B, mm1) };
}

function notifications(h: Handset, smsc: Smsc): Extract<MmsPdu, { messageType: 'm-notification-ind' }>[] {
  return h.pushes(smsc).filter((p): p is Extract<MmsPdu, { messageType: 'm-notification-ind' }> => p.messageType === 'm-notification-ind');
}

let transactions = 0;

async function submit(mm7: string, to: string[], parts: Mm7Part[], allowAdaptations?: boolean): Promise<string> {
  const req = mm7SubmitReq({
    vasp: 'photos',
    shortCode: '7070',
    to,
    subject: 'Holiday',
    parts,
    // A TransactionID of its own: a repeated one is a VASP's retry, answered with the first MessageID.
    transactionId: `t-${++transactions}`,
    ...(allowAdaptations === undefined ? {} : { allowAdaptations }),
  });
  const id = await postSubmitReq(`${mm7}/mm7`, req, 'photos:pw-photos');
  if (!id) throw new Error('the SubmitReq was not accepted');
  return id;
}

/** A retrieval as a handset with headers of its own (User-Agent, x-wap-profile), decoded. */
async function retrieveAs(mm1: string, location: string, msisdn: string, headers: Record<string, string> = {}): Promise<RetrieveConf> {
  const u = new URL(location);
  const a = await httpRequest(`${mm1}${u.pathname}`, { headers: { 'x-msisdn': msisdn, ...headers } });
  const { decodePdu } = await import('../../protocols/mms/index.js');
  const pdu = decodePdu(a.body);
  if (pdu.messageType !== 'm-retrieve-conf') throw new Error(`not an m-retrieve-conf: ${pdu.messageType}`);
  return pdu;
}

async function countOf(gw: Gateway, result: string): Promise<number> {
  const v = (await gw.metrics.content.adaptations.get()).values.find((x) => x.labels.result === result);
  return v?.value ?? 0;
}

t.test('a 2 MB 12-MP PNG from MM7 to a 300 KB handset: a 640x480 JPEG under 300 KB, with a SMIL naming it', async (t) => {
  const png = await picture();
  t.ok(png.length > 1_500_000 && png.length < 3_000_000, `a PNG of ${png.length} bytes`);
  const { smsc, mm1, mm7, b, gw } = await setup(t);
  const id = await submit(
    mm7,
    [B],
    [
      { type: 'image/png', name: 'photo.png', body: png },
      { type: 'text/plain; charset=utf-8', name: 'note.txt', body: Buffer.from('At the beach') },
    ],
  );
  const [n] = await until('the notification', () => notifications(b, smsc)[0] && notifications(b, smsc), 30_000);
  t.ok(n!.messageSize <= 300 * KB, `the notification's size is the adapted size: ${n!.messageSize}`);
  const conf = await retrieveAs(mm1, n!.contentLocation, B);
  t.equal(conf.retrieveStatus ?? 'Ok', 'Ok');
  t.equal(conf.messageId, id);
  t.equal(conf.contentType.mediaType, 'application/vnd.wap.multipart.related');
  const types = conf.parts!.map((p) => p.contentType.mediaType);
  t.ok(types.includes('application/smil'), `a SMIL part: ${types.join(', ')}`);
  t.notOk(types.includes('image/png'), 'no PNG left');
  const jpeg = conf.parts!.find((p) => p.contentType.mediaType === 'image/jpeg');
  t.ok(jpeg, 'a JPEG');
  const total = conf.parts!.reduce((s, p) => s + p.data.length, 0);
  t.ok(total <= 300 * KB, `the content is ${total} bytes`);
  t.equal(total, n!.messageSize, 'as announced');
  const meta = await sharp(jpeg!.data).metadata();
  t.equal(meta.format, 'jpeg', 'decodable by sharp');
  t.same([meta.width, meta.height], [640, 480]);
  const smil = conf.parts!.find((p) => p.contentType.mediaType === 'application/smil')!.data.toString('utf8');
  const ref = jpeg!.contentLocation ?? jpeg!.contentId?.replace(/^<|>$/g, '');
  t.ok(ref, 'the JPEG has a name');
  t.ok(smil.includes(ref!), `the SMIL names the JPEG (${ref})`);
  t.equal(await countOf(gw, 'adapted'), 1, 'one adaptation for the notification and the retrieval');
  t.ok((await gw.metrics.content.bytesSaved.get()).values[0]!.value > 1_000_000, 'bytes saved counted');
});

t.test('a 1 MB handset (a User-Agent class) gets more pixels than the default one', async (t) => {
  const png = await picture();
  const { smsc, mm1, mm7, b, gw } = await setup(t);
  await submit(mm7, [B], [{ type: 'image/png', name: 'photo.png', body: png }]);
  const [n] = await until('the notification', () => notifications(b, smsc)[0] && notifications(b, smsc), 30_000);
  const big = await retrieveAs(mm1, n!.contentLocation, B, { 'user-agent': 'BigPhone/2.1 (MMS 1.3)' });
  const jpeg = big.parts!.find((p) => p.contentType.mediaType === 'image/jpeg');
  t.ok(jpeg, 'a JPEG');
  const meta = await sharp(jpeg!.data).metadata();
  t.ok(meta.width! > 640 && meta.width! <= 1600 && meta.height! <= 1200, `${meta.width}x${meta.height}`);
  const total = big.parts!.reduce((s, p) => s + p.data.length, 0);
  t.ok(total <= 1024 * KB, `${total} bytes`);
  t.equal(await countOf(gw, 'adapted'), 2, 'one adaptation per class (the default for the notification, the big one)');
});

t.test('allowAdaptations=false: refused adaptation-forbidden; a retrieval by a smaller handset says content-unsupported', async (t) => {
  const png = await picture();
  const { smsc, mm1, mm7, b, gw } = await setup(t, {
    content: { userAgents: [{ name: 'tiny', match: 'TinyPhone/', maxMessageBytes: 8 * KB, maxImageWidth: 96, maxImageHeight: 64 }] },
  });
  // Too big and of a type the handset does not take: cannot go as it is, and may not be adapted.
  const refused = await submit(mm7, [B], [{ type: 'image/png', name: 'photo.png', body: png }], false);
  await until('refused', async () => (await gw.store.queue.states(refused))?.[0] === 'rejected', 30_000);
  const events = await gw.store.queue.message(refused);
  t.ok(events, 'the message is kept');
  t.equal(await countOf(gw, 'refused'), 1, 'counted refused');
  t.equal(notifications(b, smsc).length, 0, 'no notification');

  // A small JPEG the default handset takes as it is: notified; a tiny handset may not have it adapted.
  const small = await sharp({ create: { width: 320, height: 240, channels: 3, background: { r: 200, g: 90, b: 30 } } })
    .jpeg({ quality: 80 })
    .toBuffer();
  const fits = await submit(
    mm7,
    [B],
    [
      { type: 'image/jpeg', name: 'small.jpg', body: small },
      { type: 'text/plain', name: 't.txt', body: Buffer.alloc(9000, 0x61) },
    ],
    false,
  );
  const [n] = await until(
    'the notification',
    async () => {
      const states = await gw.store.queue.states(fits);
      if (states?.[0] === 'rejected') throw new Error(`refused: ${JSON.stringify(await gw.store.queue.history(fits, 0))}`);
      return notifications(b, smsc)[0] && notifications(b, smsc);
    },
    30_000,
  );
  const conf = await retrieveAs(mm1, n!.contentLocation, B, { 'user-agent': 'TinyPhone/1.0' });
  t.equal(conf.retrieveStatus, 'Error-permanent-content-unsupported');
  // The hint is remembered for the subscriber: a handset of no class must say so (the default then decides).
  const normal = await retrieveAs(mm1, n!.contentLocation, B, { 'user-agent': 'PlainPhone/1.0' });
  t.equal(normal.retrieveStatus ?? 'Ok', 'Ok', 'the default handset gets it as sent');
  t.same(
    normal.parts?.map((p) => p.data.length),
    [small.length, 9000],
    'unchanged',
  );
});

t.test('1,000 recipients of one class: exactly one adaptation', async (t) => {
  const png = await picture();
  const { gw, mm7 } = await setup(t);
  const to = Array.from({ length: 1000 }, (_, i) => `+1415555${String(1000 + i)}`);
  const id = await submit(mm7, to, [{ type: 'image/png', name: 'photo.png', body: png }]);
  await until('every recipient notified', async () => (await gw.store.queue.states(id))?.every((s) => s === 'notified') ?? false, 120_000);
  t.equal(await countOf(gw, 'adapted'), 1, 'mmsc_adaptations_total{result="adapted"} is 1');
  const all = (await gw.metrics.content.adaptations.get()).values.reduce((s, v) => s + v.value, 0);
  t.equal(all, 1, 'and no other adaptation of any result');
  const cache = (await gw.metrics.content.cache.get()).values;
  const sum = cache.reduce((s, v) => s + v.value, 0);
  t.equal(sum, 1000, 'one lookup per recipient');
});

t.test('the REST sender gets an `adapted` event naming the changes and the bytes', async (t) => {
  const png = await picture();
  const { hooks, smsc, b, mm7 } = await setup(t);
  const auth = basic('photos', 'pw-photos');
  const up = await restCall(mm7, 'POST', '/v1/media?filename=photo.png', {
    auth,
    body: new Uint8Array(png),
    headers: { 'content-type': 'image/png' },
  });
  t.equal(up.status, 201, up.text);
  const sent = await restCall(mm7, 'POST', '/v1/messages', {
    auth,
    json: { to: [B], from: '7070', subject: 'Holiday', text: 'At the beach', media: [up.body.mediaId], callbackUrl: hooks.url },
  });
  t.equal(sent.status, 202, sent.text);
  await until('the notification', () => notifications(b, smsc)[0], 30_000);
  const adapted = await until('the adapted event', () => hooks.got.find((h) => h.body.type === 'adapted'), 30_000);
  t.equal(adapted.body.messageId, sent.body.messageId);
  t.equal(adapted.body.recipient, B);
  t.match(String(adapted.body.detail), /image\/png.*image\/jpeg/, 'what changed');
  t.match(String(adapted.body.detail), /\d+ -> \d+ bytes/, 'bytes before and after');
  t.equal(hooks.got.filter((h) => h.body.type === 'adapted').length, 1, 'once');
});
