// MM1 end to end over loopback, with real Redis and the SMSC simulator (a stand-in for a real SMSC, see
// helpers/smsc.ts) as the WAP push bearer: handsets (helpers/handset.ts) speak the binary PDUs over HTTP.
import { once } from 'node:events';
import { createServer } from 'node:http';
import { restCall } from '../helpers/rest-call.js';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { parseContentType, parseMultipart } from '../../protocols/mime/index.js';
import { decodePdu, encodePdu, type MmsPdu, type SendReq } from '../../protocols/mms/index.js';
import { Gateway } from '../../src/gateway.js';
import { ConfigSchema } from '../../src/ops/config.js';
import { Handset, httpRequest } from '../helpers/handset.js';
import { mm7SubmitReq } from '../helpers/mm7-request.js';
import { jpegOf, TINY_GIF } from '../helpers/media.js';
import { redisUrl, testPrefix } from '../helpers/redis.js';
import { startSmsc, type Smsc, type SmscOptions, type SubmitRecord } from '../helpers/smsc.js';
import { until } from '../helpers/until.js';

const A = '+15550000001';
const B = '+15550000002';
const PUBLIC = 'http://mmsc.operator.test/mms';
/** A real JPEG (every part's bytes are checked against its type at intake), 3000 bytes long. */
const IMAGE = jpegOf(3000);
const SMIL = Buffer.from('<smil><body><par><img src="pic.jpg"/><text src="t.txt"/></par></body></smil>');
const TEXT = Buffer.from('Greetings from the coast ☀');

async function setup(
  t: Test,
  mm1: Record<string, unknown> = {},
  smscOptions: Partial<SmscOptions> = {},
  extra: Record<string, unknown> = {},
) {
  const smsc = await startSmsc({ systemId: 'mmsc', password: 'secret', ...smscOptions });
  t.teardown(() => smsc.stop());
  const config = ConfigSchema.parse({
    redis: { url: await redisUrl(t) },
    queue: { prefix: testPrefix(), retryBaseMs: 50, retryMaxMs: 200 },
    ops: { port: 0 },
    mm7: { enabled: false },
    ...extra,
    mm1: { port: 0, publicUrl: PUBLIC, tokenSecret: 'test-secret-0123456789', localPrefixes: ['+1555'], ...mm1 },
    smpp: {
      smscs: [
        { id: 'sim', host: '127.0.0.1', port: smsc.port, systemId: 'mmsc', password: 'secret', sourceAddr: '6000', enquireLinkMs: 5000 },
      ],
    },
  });
  const gw = new Gateway(config, pino({ level: process.env.TEST_LOG ?? 'silent' }));
  const listeners = await gw.start();
  await gw.whenReady();
  t.teardown(() => gw.stop());
  await until('bound to the SMSC', () => gw.smpp!.clients[0]!.bound);
  const mm1Url = listeners.find((l) => l.iface === 'mm1')!.address;
  return { smsc, gw, mm1Url, listeners, a: new Handset(A, mm1Url), b: new Handset(B, mm1Url) };
}

function sendReq(to: string[], extra: Partial<SendReq> = {}): SendReq {
  return {
    messageType: 'm-send-req',
    transactionId: 'tx-a-1',
    mmsVersion: '1.2',
    from: { insertAddress: true },
    to: to.map((n) => `${n}/TYPE=PLMN`),
    subject: 'Holiday',
    deliveryReport: 'Yes',
    contentType: { mediaType: 'application/vnd.wap.multipart.related', params: { type: 'application/smil', start: '<smil>' } },
    parts: [
      { contentType: { mediaType: 'application/smil' }, contentId: '<smil>', data: SMIL },
      { contentType: { mediaType: 'image/jpeg' }, contentLocation: 'pic.jpg', data: IMAGE },
      { contentType: { mediaType: 'text/plain', params: { charset: 'utf-8' } }, contentLocation: 't.txt', data: TEXT },
    ],
    ...extra,
  };
}

function pushed<T extends MmsPdu['messageType']>(
  h: Handset,
  smsc: Smsc,
  type: T,
  n = 1,
): () => Extract<MmsPdu, { messageType: T }>[] | undefined {
  return () => {
    const found = h.pushes(smsc).filter((p): p is Extract<MmsPdu, { messageType: T }> => p.messageType === type);
    return found.length >= n ? found : undefined;
  };
}

t.test('A sends to B: notification pushed, B retrieves and acknowledges, A gets m-delivery-ind Retrieved', async (t) => {
  const { smsc, gw, a, b } = await setup(t);
  const sent = await a.post(sendReq([B]));
  t.equal(sent.status, 200);
  t.equal(sent.pdu?.messageType, 'm-send-conf');
  t.equal(sent.pdu?.responseStatus, 'Ok', 'accepted');
  t.equal(sent.pdu?.transactionId, 'tx-a-1', 'the transaction id is echoed');
  const messageId = sent.pdu?.messageId as string;
  t.ok(messageId, 'a Message-ID');

  const [n] = await until('the notification pushed to B', pushed(b, smsc, 'm-notification-ind'));
  t.ok(n!.contentLocation.startsWith(`${PUBLIC}/r/`), 'Content-Location on the public URL');
  t.equal(n!.messageSize, SMIL.length + IMAGE.length + TEXT.length, 'Message-Size: the content bytes');
  // From and Subject are optional in the notification; the push leaves them out when they would not fit one SMS.
  t.ok(n!.from === undefined || n!.from === `${A}/TYPE=PLMN`, 'From, when sent, is the subscriber the WAP gateway named');
  t.equal(n!.messageClass, 'Personal');
  t.ok(typeof n!.expiry === 'number' && n!.expiry > 7 * 86400 - 60, 'Expiry: the default 7 days, relative');
  t.equal(gw.tokens.openTransaction(n!.transactionId)?.messageId, messageId, 'the transaction id names the copy');

  const r1 = await b.retrieve(n!.contentLocation);
  t.equal(r1.status, 200);
  const conf = r1.pdu!;
  t.equal(conf.messageType, 'm-retrieve-conf');
  t.equal(conf.messageId, messageId);
  t.equal(conf.from, `${A}/TYPE=PLMN`);
  t.same(conf.to, [`${B}/TYPE=PLMN`]);
  t.equal(conf.subject, 'Holiday');
  t.same(
    conf.parts?.map((p) => [p.contentType.mediaType, p.data.length]),
    [
      ['application/smil', SMIL.length],
      ['image/jpeg', IMAGE.length],
      ['text/plain', TEXT.length],
    ],
  );
  t.ok(conf.parts?.[1]?.data.equals(IMAGE), 'the image bytes as sent');
  t.equal(conf.parts?.[0]?.contentId, '<smil>', 'Content-ID kept');
  t.equal(conf.parts?.[1]?.contentLocation, 'pic.jpg', 'Content-Location kept');
  t.same(conf.contentType?.params, { type: 'application/smil', start: '<smil>' }, 'multipart/related parameters kept');
  t.equal((await b.retrieve(n!.contentLocation)).pdu?.messageId, messageId, 'a second retrieval before the acknowledgement works');
  t.same(await gw.store.queue.states(messageId), ['notified'], 'the job waits for the acknowledgement');

  const ack = await b.post({ messageType: 'm-acknowledge-ind', transactionId: conf.transactionId!, mmsVersion: '1.2' });
  t.equal(ack.status, 204);
  t.same(await gw.store.queue.states(messageId), ['delivered']);
  const [d] = await until('the m-delivery-ind pushed to A', pushed(a, smsc, 'm-delivery-ind'));
  t.equal(d!.messageId, messageId);
  t.equal(d!.status, 'Retrieved');
  t.same(d!.to, [`${B}/TYPE=PLMN`], 'about B');
  const after = await b.retrieve(n!.contentLocation);
  t.equal(after.status, 404);
  t.equal(after.pdu?.retrieveStatus, 'Error-permanent-message-not-found', 'gone once acknowledged');
  t.match(await gw.metrics.registry.getSingleMetricAsString('mmsc_mm1_requests_total'), /pdu="m-send-req",status="Ok"[^\n]* 1/);
});

t.test('a recipient that sends X-Mms-Report-Allowed: No gets its copy, and the originator no delivery report about it', async (t) => {
  const { smsc, gw, mm1Url, a, b } = await setup(t);
  const C = '+15550000003';
  const c = new Handset(C, mm1Url);
  const sent = await a.post(sendReq([B, C]));
  const messageId = sent.pdu?.messageId as string;
  t.ok(messageId, 'accepted');
  const [nb] = await until('the notification pushed to B', pushed(b, smsc, 'm-notification-ind'));
  const [nc] = await until('the notification pushed to C', pushed(c, smsc, 'm-notification-ind'));
  const rb = (await b.retrieve(nb!.contentLocation)).pdu!;
  const rc = (await c.retrieve(nc!.contentLocation)).pdu!;
  // B first, with Report-Allowed: No (OMA-TS-MMS_ENC §6.4); then C, without the field (default Yes).
  t.equal(
    (await b.post({ messageType: 'm-acknowledge-ind', transactionId: rb.transactionId!, mmsVersion: '1.2', reportAllowed: 'No' })).status,
    204,
  );
  t.equal((await c.post({ messageType: 'm-acknowledge-ind', transactionId: rc.transactionId!, mmsVersion: '1.2' })).status, 204);
  t.same(await gw.store.queue.states(messageId), ['delivered', 'delivered'], 'both copies are delivered');
  const [d] = await until('the m-delivery-ind about C pushed to A', pushed(a, smsc, 'm-delivery-ind'));
  t.same(d!.to, [`${C}/TYPE=PLMN`], 'the report is about C');
  await new Promise((r) => setTimeout(r, 500)); // B's event came first: had it made a report, it would be here
  t.equal(pushed(a, smsc, 'm-delivery-ind')()?.length, 1, 'no report about B');
  const history = await gw.store.queue.history(messageId, 0);
  t.match(history.at(-1)?.detail, /Report-Allowed: No/, "B's history says why no report went");
});

t.test('read report: B reads, A gets m-read-orig-ind; rejection: A gets m-delivery-ind Rejected', async (t) => {
  const { smsc, gw, a, b } = await setup(t);
  const sent = await a.post(sendReq([B], { readReport: 'Yes', transactionId: 'tx-rr' }));
  const messageId = sent.pdu?.messageId as string;
  const [n] = await until('the notification', pushed(b, smsc, 'm-notification-ind'));
  const conf = (await b.retrieve(n!.contentLocation)).pdu!;
  t.equal(conf.readReport, 'Yes', 'the handset is told a read report is wanted');
  await b.post({ messageType: 'm-acknowledge-ind', transactionId: conf.transactionId!, mmsVersion: '1.2' });
  const rr = await b.post({
    messageType: 'm-read-rec-ind',
    mmsVersion: '1.2',
    messageId,
    to: [`${A}/TYPE=PLMN`],
    from: { insertAddress: true },
    readStatus: 'Read',
  });
  t.equal(rr.status, 204);
  const [ro] = await until('the m-read-orig-ind pushed to A', pushed(a, smsc, 'm-read-orig-ind'));
  t.equal(ro!.messageId, messageId);
  t.equal(ro!.readStatus, 'Read');
  t.equal(ro!.from, `${B}/TYPE=PLMN`, 'from the reader');
  t.equal(
    (
      await a.post({
        messageType: 'm-read-rec-ind',
        mmsVersion: '1.2',
        messageId,
        to: [`${A}/TYPE=PLMN`],
        from: { insertAddress: true },
        readStatus: 'Read',
      })
    ).status,
    403,
    'only a recipient can report reading',
  );

  const second = await a.post(sendReq([B], { transactionId: 'tx-rej' }));
  const id2 = second.pdu?.messageId as string;
  const ns = await until('the second notification', pushed(b, smsc, 'm-notification-ind', 2));
  const n2 = ns.find((x) => x.transactionId !== n!.transactionId)!;
  t.equal(
    (await b.post({ messageType: 'm-notifyresp-ind', mmsVersion: '1.2', transactionId: n2.transactionId, status: 'Rejected' })).status,
    204,
  );
  t.same(await gw.store.queue.states(id2), ['rejected']);
  const ds = await until('the second m-delivery-ind', pushed(a, smsc, 'm-delivery-ind', 2));
  t.same(
    ds.map((d) => [d.messageId, d.status]).sort(),
    [
      [messageId, 'Retrieved'],
      [id2, 'Rejected'],
    ].sort(),
  );
});

t.test('refusals: unknown subscriber, other carrier, garbage, wrong PDU type, oversize, forged tokens', async (t) => {
  const { gw, mm1Url, a, b } = await setup(t, { maxBodyBytes: 64 * 1024 });
  const body = encodePdu(sendReq([B]));

  const anon = await httpRequest(`${mm1Url}/`, { method: 'POST', headers: { 'content-type': 'application/vnd.wap.mms-message' }, body });
  t.equal(anon.status, 403, 'no subscriber header');
  const foreign = await new Handset('+442071234567', mm1Url).post(body);
  t.equal(foreign.status, 403, 'a subscriber of another operator');
  t.equal(foreign.pdu?.responseStatus, 'Error-service-denied');

  const other = await a.post(sendReq([B, '+442071234567']));
  t.equal(
    other.pdu?.responseStatus,
    'Error-permanent-sending-address-unresolved',
    'another carrier (no MM4 yet): refused whole, 1.2 status',
  );
  t.match(other.pdu?.responseText, /\+442071234567/);
  t.match(await gw.metrics.registry.getSingleMetricAsString('mmsc_mm1_unroutable_total'), /type="plmn"[^\n]* 1/, 'counted');
  const old = await a.post(sendReq(['+442071234567'], { mmsVersion: '1.0' }));
  t.equal(old.pdu?.responseStatus, 'Error-sending-address-unresolved', 'an MMS 1.0 handset gets the 1.0 status');
  t.equal((await a.post(sendReq(['not-an-address']))).pdu?.responseStatus, 'Error-permanent-sending-address-unresolved');

  const garbage = await a.post(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
  t.equal(garbage.status, 400);
  t.equal(garbage.pdu?.responseStatus, 'Error-message-format-corrupt', 'garbage: format corrupt');
  const truncated = await a.post(body.subarray(0, Math.floor(body.length / 2)));
  t.equal(truncated.pdu?.messageType, 'm-send-conf');
  t.match(String(truncated.pdu?.responseStatus), /format-corrupt/, 'truncated: format corrupt');
  t.equal(truncated.pdu?.transactionId, 'tx-a-1', 'the transaction id is salvaged from the broken PDU');
  const wrong = await a.post({
    messageType: 'm-retrieve-conf',
    mmsVersion: '1.2',
    date: new Date(),
    contentType: { mediaType: 'text/plain' },
    body: Buffer.from('x'),
  });
  t.equal(wrong.status, 400);
  t.equal(wrong.pdu?.responseStatus, 'Error-unsupported-message', 'a PDU handsets do not send');
  const notMms = await httpRequest(`${mm1Url}/`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain', 'x-msisdn': A },
    body: Buffer.from('hi'),
  });
  t.equal(notMms.status, 415);

  // 64 MB chunked (no Content-Length) against a 64 KB limit: answered and cut off while streaming (loopback
  // socket buffers take a few MB before the answer arrives; far from all of it).
  const big = await new Promise<{ status: number; sent: number }>((resolve, reject) => {
    let sent = 0;
    import('node:http').then(({ request }) => {
      const req = request(
        `${mm1Url}/`,
        { method: 'POST', headers: { 'content-type': 'application/vnd.wap.mms-message', 'x-msisdn': A } },
        (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, sent });
          req.destroy();
        },
      );
      req.on('error', () => resolve({ status: -1, sent }));
      const chunk = Buffer.alloc(16 * 1024, 0x41);
      const pump = (): void => {
        while (sent < 64 * 1024 * 1024) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    }, reject);
  });
  t.equal(big.status, 413, 'oversize body refused');
  t.ok(big.sent < 16 * 1024 * 1024, `cut off long before the end (${big.sent} bytes written)`);

  t.equal((await b.retrieve(`${PUBLIC}/r/garbage`)).status, 404, 'unknown token');
  const real = gw.tokens.retrieval('some-message', 0);
  t.equal((await b.retrieve(`${PUBLIC}/r/${real.slice(0, -2)}AA`)).status, 404, 'forged MAC');
  const gone = await b.retrieve(`${PUBLIC}/r/${real}`);
  t.equal(gone.pdu?.retrieveStatus, 'Error-permanent-message-not-found', 'a valid token for a message that is gone');
  t.equal((await httpRequest(`${mm1Url}/m/${real}`)).status, 404, 'a retrieval token is not a web-view token');
  t.equal(
    (await b.post({ messageType: 'm-acknowledge-ind', transactionId: 'made-up', mmsVersion: '1.2' })).status,
    404,
    'acknowledgement of an unknown transaction',
  );
});

t.test('a copy is retrievable only by its recipient', async (t) => {
  const { smsc, a, b, mm1Url } = await setup(t);
  await a.post(sendReq([B]));
  const [n] = await until('the notification', pushed(b, smsc, 'm-notification-ind'));
  const thief = await new Handset('+15550000099', mm1Url).retrieve(n!.contentLocation);
  t.equal(thief.status, 403);
  t.equal(thief.pdu?.retrieveStatus, 'Error-permanent-service-denied');
  const anon = await httpRequest(`${mm1Url}${new URL(n!.contentLocation).pathname}`);
  t.equal(anon.status, 403, 'no subscriber header');
});

t.test('unretrieved: re-notified, then expired; the originator hears Expired', async (t) => {
  const { smsc, gw, a, b } = await setup(t, { renotifyMs: 1000, maxPushes: 2 });
  // Expiry leaves room for the first notification to wait for the picture's adaptation: the image process
  // starts at the gateway's first image, ~2 s under the tests' TypeScript loader (~0.4 s built).
  const sent = await a.post(sendReq([B], { expiry: 8 }));
  const messageId = sent.pdu?.messageId as string;
  const ns = await until('two notifications', pushed(b, smsc, 'm-notification-ind', 2), 8000);
  t.equal(ns[0]!.contentLocation, ns[1]!.contentLocation, 'the re-notification names the same copy');
  const [d] = await until('the m-delivery-ind Expired', pushed(a, smsc, 'm-delivery-ind'), 12000);
  t.equal(d!.messageId, messageId);
  t.equal(d!.status, 'Expired');
  t.same(await gw.store.queue.states(messageId), ['expired']);
  t.equal(b.pushes(smsc).filter((p) => p.messageType === 'm-notification-ind').length, 2, 'no more than maxPushes notifications');
  t.equal(
    (await b.retrieve(ns[0]!.contentLocation)).pdu?.retrieveStatus,
    'Error-permanent-message-not-found',
    'expired: removed for the handset',
  );
});

t.test('a push the SMSC cannot take is retried without using a notification: maxPushes of them reach the SMSC', async (t) => {
  // The SMSC answers the first two pushes to B with ESME_RSYSERR (transient: an SMSC in trouble), then takes them.
  let tries = 0;
  const isPush = (s: SubmitRecord) => s.destinationAddr === B.slice(1) && s.dataCoding === 0x04;
  const { smsc, gw, a, b } = await setup(
    t,
    { renotifyMs: 1000, maxPushes: 3 },
    { statusFor: (s) => (isPush(s) && ++tries <= 2 ? 0x08 : 0) },
  );
  const sent = await a.post(sendReq([B], { deliveryReport: 'No' }));
  const messageId = sent.pdu?.messageId as string;
  const taken = () => b.pushes({ submits: smsc.submits.filter((s) => s.status === 0) } as Smsc);
  await until('three notifications taken by the SMSC', () => taken().length >= 3 || undefined, 6000);
  await new Promise((r) => setTimeout(r, 1500)); // a renotifyMs more: no fourth
  t.equal(tries, 5, 'five pushes: two refused, three taken');
  t.equal(taken().filter((p) => p.messageType === 'm-notification-ind').length, 3, 'maxPushes notifications, the refused ones not counted');
  t.same(await gw.store.queue.states(messageId), ['notified']);
  const history = await gw.store.queue.history(messageId, 0);
  t.same(
    history.filter((e) => e.state === 'retrying' || e.state === 'notified').map((e) => e.detail?.replace(/ (pushed|not pushed).*/, ' $1')),
    ['notification 1 not pushed', 'notification 1 not pushed', 'notification 1 pushed', 'notification 2 pushed', 'notification 3 pushed'],
    'the history says which notification each try was',
  );
});

t.test('a VASP reads a notified recipient as notified (REST status and metrics, not retrying); its fetch ends it delivered', async (t) => {
  const vasp = { id: 'shop', username: 'shop', password: 'pw-shop', senders: ['7050'] };
  const { smsc, gw, listeners, b } = await setup(t, {}, {}, { mm7: { port: 0, vasps: [vasp] } });
  const mm7 = listeners.find((l) => l.iface === 'mm7')!.address;
  const auth = { authorization: `Basic ${Buffer.from('shop:pw-shop').toString('base64')}` };
  const req = mm7SubmitReq({ vasp: 'shop', shortCode: '7050', to: [B], parts: [{ type: 'text/plain', name: 't.txt', body: TEXT }] });
  const submitted = await httpRequest(mm7, { method: 'POST', body: req.body, headers: { 'content-type': req.contentType, ...auth } });
  const messageId = /<(?:\w+:)?MessageID>([^<]+)</.exec(submitted.body.toString('utf8'))?.[1];
  t.ok(messageId, 'accepted');
  const status = async () => {
    const r = await restCall(mm7, 'GET', `/v1/messages/${encodeURIComponent(messageId!)}`, { auth: auth.authorization });
    return r.body as {
      recipients: Array<{ state: string; events: Array<{ state: string; detail?: string }> }>;
    };
  };
  const [n] = await until('the notification pushed to B', pushed(b, smsc, 'm-notification-ind'));
  const waiting = await until('the push settled', async () =>
    (await status()).recipients[0]?.state !== 'delivering' ? status() : undefined,
  );
  t.equal(waiting.recipients[0]?.state, 'notified', 'REST: notified');
  t.match(waiting.recipients[0]?.events.at(-1), { state: 'notified', detail: /^notification 1 pushed over SMPP/ });
  const outcomes = await gw.metrics.registry.getSingleMetricAsString('mmsc_queue_outcomes_total');
  t.match(outcomes, /peer="mm1:notify",state="notified"[^\n]* 1/, 'metrics: notified, per peer');
  t.notMatch(outcomes, /state="retrying"/, 'not retrying');

  const conf = (await b.retrieve(n!.contentLocation)).pdu!;
  t.equal((await b.post({ messageType: 'm-acknowledge-ind', transactionId: conf.transactionId!, mmsVersion: '1.2' })).status, 204);
  t.equal((await status()).recipients[0]?.state, 'delivered', 'the fetch ended it delivered');
  // The handset's fetch ended it (Queue.complete, outside the workers): seen by the end-to-end metrics too.
  const e2e = await until('the end-to-end latency observed', async () => {
    const text = await gw.metrics.registry.getSingleMetricAsString('mmsc_message_end_to_end_duration_seconds');
    return /_count\{[^}]*interface="mm7",state="delivered"[^}]*\} 1/.test(text) ? text : undefined;
  });
  const inf = e2e.split('\n').find((l) => l.includes('_bucket{') && l.includes('le="+Inf"') && l.includes('interface="mm7"'));
  t.match(inf, /state="delivered"[^}]*\} 1$/, 'one MM7 message delivered');
  t.match(
    await gw.metrics.registry.getSingleMetricAsString('mmsc_origin_final_states_total'),
    /\{interface="mm7",origin="shop",state="delivered"[^}]*\} 1/,
    'counted for the VASP that sent it',
  );
});

t.test('SMS fallback: not retrieved in time, and push refused by the SMSC; the link opens the web view', async (t) => {
  const C = '+15550000003';
  const { smsc, gw, a, b, mm1Url } = await setup(
    t,
    { fallbackAfterMs: 1500, renotifyMs: 1000 },
    // The SMSC refuses binary pushes to C for good (ESME_RINVDSTADR), as for a subscriber without data.
    { statusFor: (s) => (s.destinationAddr === C.slice(1) && s.dataCoding === 0x04 ? 0x0b : 0) },
  );
  const sent = await a.post(sendReq([B, C], { deliveryReport: 'No' }));
  const messageId = sent.pdu?.messageId as string;
  const text = (to: string) => () => smsc.submits.find((s) => s.destinationAddr === to.slice(1) && s.dataCoding !== 0x04 && s.status === 0);
  const toC = await until('the fallback SMS to C (push refused)', text(C), 5000);
  t.match(toC.text, /^Holiday http:\/\/mmsc\.operator\.test\/mms\/m\/\S+$/, 'subject and web-view link');
  t.ok(
    b.pushes(smsc).some((p) => p.messageType === 'm-notification-ind'),
    'B was notified first',
  );
  const toB = await until('the fallback SMS to B (not retrieved in time)', text(B), 6000);
  t.equal(toB.text, toC.text, 'the same link for every recipient');
  await until('both delivered', async () => (await gw.store.queue.states(messageId))?.every((s) => s === 'delivered'));
  t.match(
    await gw.metrics.registry.getSingleMetricAsString('mmsc_mm1_fallbacks_total'),
    /trigger="push-failed",result="delivered"[^\n]* 1/,
  );
  t.match(await gw.metrics.registry.getSingleMetricAsString('mmsc_mm1_fallbacks_total'), /trigger="timeout",result="delivered"[^\n]* 1/);

  const path = new URL(toC.text.split(' ').pop()!).pathname;
  const page = await httpRequest(`${mm1Url}${path}`);
  t.equal(page.status, 200);
  t.match(page.headers['content-type'], /^text\/html/);
  const html = page.body.toString('utf8');
  t.match(html, /Greetings from the coast ☀/, 'the text');
  t.notMatch(html, /<script/i, 'no scripts');
  const src = /<img[^>]* src="([^"]+)"/.exec(html)?.[1];
  t.ok(src, 'an image');
  const img = await httpRequest(new URL(src!.replace(/&amp;/g, '&'), `${mm1Url}${path}`).href);
  t.equal(img.status, 200);
  t.equal(img.headers['content-type'], 'image/jpeg');
  t.ok(img.body.equals(IMAGE), 'the image bytes');
  t.equal((await httpRequest(`${mm1Url}${path}x`)).status, 404, 'a mangled link');
  t.equal((await httpRequest(`${mm1Url}/m/%E0%A4%A`)).status, 404, 'a malformed percent escape');
  t.equal((await httpRequest(`${mm1Url}${path}/99`)).status, 404, 'no such part');
  t.equal((await httpRequest(`${mm1Url}${path}/1/x`)).status, 404, 'nothing below a part');
});

t.test('adaptation: a part handsets do not take is converted; the notification announces the adapted size', async (t) => {
  // Handsets here take no GIF; the gateway does (content.allowedTypes): a real GIF is accepted, then made a JPEG.
  const { smsc, a, b } = await setup(t, { contentTypes: ['text/plain', 'application/smil', 'image/jpeg'] });
  const req = sendReq([B]);
  req.parts = [...req.parts!, { contentType: { mediaType: 'image/gif' }, contentLocation: 'anim.gif', data: TINY_GIF }];
  await a.post(req);
  const [n] = await until('the notification', pushed(b, smsc, 'm-notification-ind'));
  const conf = (await b.retrieve(n!.contentLocation)).pdu!;
  t.same(
    conf.parts?.map((p) => [p.contentType.mediaType, p.contentLocation]),
    [
      ['application/smil', undefined],
      ['image/jpeg', 'pic.jpg'],
      ['text/plain', 't.txt'],
      ['image/jpeg', 'anim.jpg'],
    ],
    'the GIF went as a JPEG, renamed',
  );
  t.equal(
    n!.messageSize,
    conf.parts!.reduce((s, p) => s + p.data.length, 0),
    'the size of what B gets',
  );
  t.ok(conf.parts![1]!.data.equals(IMAGE), 'the JPEG it takes went as it was');
});

t.test('hostile input: mutated m-send-req PDUs never crash the listener nor get a 5xx', async (t) => {
  const { a, gw, mm1Url } = await setup(t);
  const good = encodePdu(sendReq([B]));
  let seed = 0x5eed;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed % n);
  const statuses = new Map<number, number>();
  for (let i = 0; i < 300; i++) {
    const m = Buffer.from(good);
    const kind = rnd(3);
    if (kind === 0) for (let k = 0; k < 1 + rnd(8); k++) m[rnd(m.length)] = rnd(256);
    const body =
      kind === 1
        ? m.subarray(0, rnd(m.length))
        : kind === 2
          ? Buffer.concat([m.subarray(0, rnd(200)), Buffer.from(Array.from({ length: rnd(64) }, () => rnd(256)))])
          : m;
    const r = await a.post(body).catch((e: Error) => ({ status: -1, body: Buffer.from(e.message) }));
    statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
  }
  t.notOk(
    [...statuses.keys()].some((s) => s < 0 || s >= 500),
    `statuses: ${JSON.stringify([...statuses])}`,
  );
  t.equal((await httpRequest(`${mm1Url}/r/x`)).status, 404, 'still answering');
  t.notMatch(await gw.metrics.registry.getSingleMetricAsString('mmsc_mm1_requests_total'), /status="500"/);
});

t.test('push over PAP: the notification goes to the PPG (multipart/related, PAP control + the PDU); a PPG refusal counts', async (t) => {
  const seen: { type: string; body: Buffer }[] = [];
  let refuse = false;
  const ppg = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ type: req.headers['content-type'] ?? '', body: Buffer.concat(chunks) });
      const id = /push-id="([^"]+)"/.exec(Buffer.concat(chunks).toString('latin1'))?.[1] ?? '';
      const code = refuse ? 2002 : 1001;
      res
        .writeHead(202, { 'content-type': 'application/xml' })
        .end(
          `<?xml version="1.0"?><!DOCTYPE pap PUBLIC "-//WAPFORUM//DTD PAP 2.0//EN" "http://www.wapforum.org/DTD/pap_2.0.dtd">` +
            `<pap><push-response push-id="${id}"><response-result code="${code}" desc="x"/></push-response></pap>`,
        );
    });
  });
  ppg.listen(0, '127.0.0.1');
  await once(ppg, 'listening');
  t.teardown(() => new Promise<void>((r) => ppg.close(() => r())));
  const { gw, a } = await setup(t, { push: 'pap', papUrl: `http://push:pw@127.0.0.1:${(ppg.address() as AddressInfo).port}/wappush` });
  const sent = await a.post(sendReq([B]));
  const messageId = sent.pdu?.messageId as string;
  const req = await until('the PAP request', () => seen[0]);
  const root = await parseMultipart(
    (async function* () {
      yield req.body;
    })(),
    parseContentType(req.type),
  );
  const [control, content] = root.parts!;
  t.match(control!.body!.toString('utf8'), /address-value="WAPPUSH=\+15550000002\/TYPE=PLMN"/, "B's address in the control entity");
  const n = decodePdu(content!.body!);
  t.equal(n.messageType, 'm-notification-ind');
  t.equal(
    n.contentLocation && typeof n.contentLocation === 'string' && gw.tokens.open(n.contentLocation.split('/r/')[1]!)?.messageId,
    messageId,
    "the PDU names B's copy",
  );
  // The PPG has the request before the gateway has its answer: wait for the count rather than read it at once.
  const accepted = async () =>
    /result="accepted"[^\n]* 1/.test(await gw.metrics.registry.getSingleMetricAsString('mmsc_pap_requests_total'));
  t.ok(await until('the accepted push counted', accepted), 'the accepted push is counted');

  refuse = true;
  const second = await a.post(sendReq([B], { transactionId: 'tx-2' }));
  const id2 = second.pdu?.messageId as string;
  await until('refused for good by the PPG', async () => (await gw.store.queue.states(id2))?.[0] === 'rejected');
  t.match((await gw.store.queue.history(id2, 0)).at(-1)?.detail, /PAP 2002/, 'the PAP code in the history');
});

t.test('a handset message to a VASP short code goes out as MM7 DeliverReq', async (t) => {
  const deliverReqs: string[] = [];
  const vasp = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      deliverReqs.push(Buffer.concat(chunks).toString('latin1'));
      const ns = 'http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-6-MM7-1-4';
      res
        .writeHead(200, { 'content-type': 'text/xml' })
        .end(
          `<?xml version="1.0"?><e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Header><TransactionID xmlns="${ns}">x</TransactionID></e:Header>` +
            `<e:Body><DeliverRsp xmlns="${ns}"><MM7Version>6.8.0</MM7Version><Status><StatusCode>1000</StatusCode></Status></DeliverRsp></e:Body></e:Envelope>`,
        );
    });
  });
  vasp.listen(0, '127.0.0.1');
  await once(vasp, 'listening');
  t.teardown(() => new Promise<void>((r) => vasp.close(() => r())));
  const url = `http://127.0.0.1:${(vasp.address() as AddressInfo).port}/mm7`;
  const { gw, a } = await setup(
    t,
    {},
    {},
    { mm7: { port: 0, vasps: [{ id: 'quiz', username: 'quiz', password: 'pw-q', senders: ['7777'], url }] } },
  );
  const req = sendReq([], { to: ['7777/TYPE=PLMN'], subject: 'Answer B' });
  const sent = await a.post(req);
  t.equal(sent.pdu?.responseStatus, 'Ok');
  const xml = await until('the DeliverReq at the VASP', () => deliverReqs[0]);
  t.match(xml, /DeliverReq/);
  t.match(xml, /<(\w+:)?ShortCode>7777</, 'to the short code');
  t.match(xml, /<(\w+:)?Number>\+15550000001</, 'from the handset');
  t.match(xml, /Answer B/, 'the subject');
  const b64 = IMAGE.toString('base64');
  t.ok(xml.includes(IMAGE.toString('latin1')) || xml.replace(/\r?\n/g, '').includes(b64), 'the image as an attachment (binary or base64)');
  await until('delivered', async () => (await gw.store.queue.states(sent.pdu?.messageId as string))?.[0] === 'delivered');
});

t.test('recipients per m-send-req are capped: over mm1.maxRecipients, Error-permanent-service-denied, nothing stored', async (t) => {
  const { gw, a } = await setup(t, { maxRecipients: 3 });
  const four = ['+15550000011', '+15550000012', '+15550000013', '+15550000014'];
  const over = await a.post(
    sendReq(four.slice(0, 2), { transactionId: 'tx-cap', cc: [`${four[2]}/TYPE=PLMN`], bcc: [`${four[3]}/TYPE=PLMN`] }),
  );
  t.equal(over.status, 200);
  t.equal(over.pdu?.responseStatus, 'Error-permanent-service-denied', 'To + Cc + Bcc = 4 > 3: refused for good');
  t.equal(over.pdu?.transactionId, 'tx-cap');
  t.match(over.pdu?.responseText, /4 recipients: more than the 3 allowed/, 'the text names the limit');
  t.equal(over.pdu?.messageId, undefined);
  const old = await a.post({ ...sendReq(four, { transactionId: 'tx-cap-10' }), mmsVersion: '1.0' });
  t.equal(old.pdu?.responseStatus, 'Error-service-denied', 'MMS 1.0: its generic code');
  t.same(await gw.store.queue.stats(), { waiting: 0, leased: 0, dead: 0 }, 'nothing was stored');
  t.equal(
    (await a.post(sendReq(four.slice(0, 3), { transactionId: 'tx-cap-ok' }))).pdu?.responseStatus,
    'Ok',
    'three recipients: accepted',
  );
});

t.test("each recipient costs one token of the subscriber's submission budget: a 10-recipient m-send-req takes 10", async (t) => {
  // 1 token per 100 s, 12 at once: after a message to 10, two tokens are left.
  const { a } = await setup(t, { submitRate: 0.01, submitBurst: 12, maxRecipients: 12 });
  const to = (n: number, from = 20) => Array.from({ length: n }, (_, i) => `+155500000${from + i}`);
  const statuses: unknown[] = [];
  statuses.push((await a.post(sendReq(to(10), { transactionId: 'tx-fan-10' }))).pdu?.responseStatus);
  statuses.push((await a.post(sendReq(to(3), { transactionId: 'tx-fan-3' }))).pdu?.responseStatus);
  statuses.push((await a.post(sendReq(to(2), { transactionId: 'tx-fan-2' }))).pdu?.responseStatus);
  statuses.push((await a.post(sendReq(to(1), { transactionId: 'tx-fan-1' }))).pdu?.responseStatus);
  t.same(
    statuses,
    ['Ok', 'Error-transient-failure', 'Ok', 'Error-transient-failure'],
    '10 of 12 tokens, then 3 do not fit, 2 do, and none is left',
  );
});

t.test(
  'a full embedded store: Error-transient-network-problem, as for a full Redis; Ok again once its messages are delivered',
  async (t) => {
    // No Redis: the embedded store, holding at most 2 messages.
    const { smsc, gw, a, b } = await setup(t, {}, {}, { redis: {}, queue: { retryBaseMs: 50, retryMaxMs: 200, memoryMaxMessages: 2 } });
    t.equal(gw.store.backend, 'memory');
    t.equal((await a.post(sendReq([B], { transactionId: 'tx-full-1' }))).pdu?.responseStatus, 'Ok');
    t.equal((await a.post(sendReq([B], { transactionId: 'tx-full-2' }))).pdu?.responseStatus, 'Ok');
    const full = await a.post(sendReq([B], { transactionId: 'tx-full-3' }));
    t.equal(full.status, 200);
    t.equal(full.pdu?.responseStatus, 'Error-transient-network-problem', 'the third: a transient refusal (the handset retries)');
    t.equal(full.pdu?.transactionId, 'tx-full-3');
    t.equal(full.pdu?.messageId, undefined, 'no Message-ID');
    const old = await a.post({ ...sendReq([B], { transactionId: 'tx-full-4' }), mmsVersion: '1.0' });
    t.equal(old.pdu?.responseStatus, 'Error-network-problem', 'MMS 1.0: the code 1.0 handsets retry on');
    t.match(
      await gw.metrics.registry.getSingleMetricAsString('mmsc_store_messages'),
      /mmsc_store_messages\{[^\n]*\} 2/,
      'the fill level is exported',
    );

    // B retrieves and acknowledges both: delivered, reported to A; then the store has room again.
    const ns = await until('both notifications pushed to B', pushed(b, smsc, 'm-notification-ind', 2));
    for (const n of ns) {
      const conf = (await b.retrieve(n.contentLocation)).pdu!;
      t.equal(
        (await b.post({ messageType: 'm-acknowledge-ind', transactionId: conf.transactionId!, mmsVersion: '1.2' })).status,
        204,
        'acknowledged while full',
      );
    }
    await until('both delivery reports pushed to A', pushed(a, smsc, 'm-delivery-ind', 2));
    await until('nothing left to deliver', async () => {
      const s = await gw.store.queue.stats();
      return s.waiting === 0 && s.leased === 0;
    });
    t.equal((await a.post(sendReq([B], { transactionId: 'tx-full-5' }))).pdu?.responseStatus, 'Ok', 'accepted again');
  },
);

t.test('a subscriber over its submission limit gets Error-transient-failure; another subscriber is not held back', async (t) => {
  const { a, b } = await setup(t, { submitRate: 0.01, submitBurst: 3, submitMaxInFlight: 2, maxRecipients: 3 });
  const statuses: unknown[] = [];
  for (let i = 0; i < 5; i++) statuses.push((await a.post(sendReq([B], { transactionId: `tx-flood-${i}` }))).pdu?.responseStatus);
  t.same(statuses, ['Ok', 'Ok', 'Ok', 'Error-transient-failure', 'Error-transient-failure'], 'the burst of 3, then refused');
  const refused = await a.post(sendReq([B], { transactionId: 'tx-flood-5' }));
  t.equal(refused.pdu?.transactionId, 'tx-flood-5', 'the refusal names the transaction');
  t.match(refused.pdu?.responseText, /too many messages from this subscriber; retry in \d+ s/);
  const old = await a.post({ ...sendReq([B], { transactionId: 'tx-flood-10' }), mmsVersion: '1.0' });
  t.equal(old.pdu?.responseStatus, 'Error-network-problem', 'an MMS 1.0 handset gets the 1.0 code it retries on');
  t.equal((await b.post(sendReq([A], { transactionId: 'tx-b' }))).pdu?.responseStatus, 'Ok', 'B has its own limit');
});
