// Issue 25, "Validation on every inbound path": an executable (ELF bytes) declared image/jpeg is refused on
// every edge of one gateway on real Redis, each in its own words from the refusal catalogue (MM7 2004, REST
// 422 content-type-mismatch for a form part and for a JSON message's media URL, MM1 m-send-conf
// Error-permanent-content-not-accepted, MM4 SMTP 554 5.6.1), counted in mmsc_content_refusals_total, and
// nothing of it is stored: no message, no content key, no stored value holding its bytes. The same messages
// with a real JPEG are accepted.
import { Redis } from 'ioredis';
import { createTransport } from 'nodemailer';
import { pino } from 'pino';
import t from 'tap';
import type { SendReq } from '../../protocols/mms/index.js';
import { Gateway } from '../../src/gateway.js';
import { ConfigSchema } from '../../src/ops/config.js';
import { Handset, httpRequest } from '../helpers/handset.js';
import { ELF, TINY_JPEG } from '../helpers/media.js';
import { mm7ReplaceReq, mm7SubmitReq } from '../helpers/mm7-request.js';
import { redisUrl, testPrefix } from '../helpers/redis.js';
import { basic, restCall } from '../helpers/rest-call.js';
import { mediaServer, serve } from '../rest/media-fixtures.js';

const DOMAIN = 'mms.mnc001.mcc001.gprs';
const A = '+15550000001';
const B = '+15550000002';
/** A number libphonenumber takes (the JSON body's numbers are checked); no route reaches it, which is not refused. */
const US = '+14155550100';
/** The executable as an attacker sends it: an ELF header, then code. */
const EXE = Buffer.concat([ELF, Buffer.alloc(6000, 0x90)]);
const ELF_MAGIC = ELF.subarray(0, 8);

t.test('an executable declared image/jpeg is refused on MM7, REST (form and JSON), MM1 and MM4, and never stored', async (t) => {
  const url = await redisUrl(t);
  const prefix = testPrefix();
  const media = await mediaServer(t);
  media.route('/photo.jpg', serve(EXE, 'image/jpeg'));
  media.route('/real.jpg', serve(TINY_JPEG, 'image/jpeg'));
  const config = ConfigSchema.parse({
    redis: { url },
    queue: { prefix },
    ops: { port: 0 },
    mm1: { enabled: true, port: 0, localPrefixes: ['+1555'], tokenSecret: 'x'.repeat(32), push: 'pap', papUrl: 'http://127.0.0.1:1/pap' },
    mm7: {
      port: 0,
      vasps: [{ id: 'shop', username: 'shop', password: 'pw-shop', senders: ['7050'], mediaUrlAllow: ['127.0.0.1/32'] }],
    },
    mm4: { enabled: true, port: 0, domains: [DOMAIN], peers: [{ id: 'carrier-b', allow: ['127.0.0.1/32'] }] },
  });
  const gw = new Gateway(config, pino({ level: process.env.TEST_LOG ?? 'silent' }));
  const listeners = await gw.start();
  t.teardown(() => gw.stop());
  await gw.whenReady();
  const redis = new Redis(url);
  t.teardown(() => redis.quit());
  const at = (iface: string) => listeners.find((l) => l.iface === iface)!.address;
  const auth = basic('shop', 'pw-shop');

  /** Messages and content keys in the store, and any stored string holding the executable's header. */
  const stored = async () => {
    const keys = await redis.keys(`${prefix}*`);
    const messages = keys.filter((k) => /:(m|c):/.test(k));
    let elf = 0;
    for (const k of keys) {
      if ((await redis.type(k)) !== 'string') continue;
      const v = await redis.getBuffer(k);
      if (v?.includes(ELF_MAGIC)) elf++;
    }
    return { messages: messages.length, elf };
  };

  // MM7 SubmitReq: StatusCode 2004 (3GPP TS 23.140 §8.7.4 "Unsupported content").
  const mm7 = (body: Buffer) =>
    mm7SubmitReq({
      vasp: 'shop',
      shortCode: '7050',
      to: [B],
      parts: [
        { type: 'text/plain', name: 't.txt', body: Buffer.from('hi') },
        { type: 'image/jpeg', name: 'photo.jpg', body },
      ],
    });
  const evil7 = mm7(EXE);
  const r7 = await httpRequest(at('mm7'), {
    method: 'POST',
    body: evil7.body,
    headers: { 'content-type': evil7.contentType, authorization: auth },
  });
  const soap = r7.body.toString('utf8');
  t.match(soap, /<(?:\w+:)?StatusCode>2004</, 'MM7: 2004');
  t.match(
    soap,
    /part 2 \(photo\.jpg\): declared image\/jpeg, but the bytes are application\/x-elf/,
    'MM7: the StatusText names the part and both types',
  );

  // REST form: the file part declared image/jpeg.
  const form = new FormData();
  form.append('to', B);
  form.append('from', '7050');
  form.append('file', new Blob([EXE], { type: 'image/jpeg' }), 'photo.jpg');
  const rForm = await restCall(at('mm7'), 'POST', '/v1/messages', { auth, body: form });
  t.equal(rForm.status, 422, 'REST form: 422');
  t.equal(rForm.body.error?.refusal, 'content-type-mismatch');

  // REST JSON: the media URL's server says image/jpeg, the bytes are an executable.
  const rJson = await restCall(at('mm7'), 'POST', '/v1/messages', {
    auth,
    json: { to: [US], from: '7050', media: [`${media.base}/photo.jpg`] },
  });
  t.equal(rJson.status, 422, 'REST JSON: 422');
  t.equal(rJson.body.error?.refusal, 'content-type-mismatch');

  // MM1 m-send-req from handset A.
  const a = new Handset(A, at('mm1'));
  const sendReq = (data: Buffer): SendReq => ({
    messageType: 'm-send-req',
    transactionId: 'tx-1',
    mmsVersion: '1.2',
    from: { insertAddress: true },
    to: [`${B}/TYPE=PLMN`],
    contentType: { mediaType: 'application/vnd.wap.multipart.mixed' },
    parts: [{ contentType: { mediaType: 'image/jpeg' }, contentLocation: 'photo.jpg', data }],
  });
  const r1 = await a.post(sendReq(EXE));
  t.equal(r1.pdu?.messageType, 'm-send-conf');
  t.equal(r1.pdu?.responseStatus, 'Error-permanent-content-not-accepted', 'MM1: content not accepted');

  // MM4_forward.REQ from the peer carrier: SMTP 554 5.6.1 at the end of DATA.
  const port = Number(new URL(at('mm4')).port);
  const mailer = createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  t.teardown(() => mailer.close());
  const forward = (id: string, jpeg: Buffer) =>
    [
      'X-Mms-3GPP-MMS-Version: 6.10.0',
      'X-Mms-Message-Type: MM4_forward.REQ',
      `X-Mms-Transaction-ID: tx-${id}`,
      `X-Mms-Message-ID: ${id}@mms.mnc002.mcc001.gprs`,
      'X-Mms-Originator-System: system-user@mms.mnc002.mcc001.gprs',
      'From: +15559998888/TYPE=PLMN@mms.mnc002.mcc001.gprs',
      `To: ${B}/TYPE=PLMN@${DOMAIN}`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: image/jpeg',
      'Content-Location: photo.jpg',
      'Content-Transfer-Encoding: base64',
      '',
      jpeg.toString('base64').replace(/.{76}/g, '$&\r\n'),
      '--b1--',
      '',
    ].join('\r\n');
  const envelope = { from: '+15559998888/TYPE=PLMN@mms.mnc002.mcc001.gprs', to: [`${B}/TYPE=PLMN@${DOMAIN}`] };
  const r4 = await mailer.sendMail({ envelope, raw: forward('evil-1', EXE) }).then(
    (info) => `accepted ${info.response}`,
    (err: { responseCode?: number; response?: string }) => `${err.responseCode} ${err.response}`,
  );
  t.match(r4, /^554 554 5\.6\.1 /, 'MM4: 554 5.6.1');

  t.same(await stored(), { messages: 0, elf: 0 }, 'nothing stored: no message, no content, no copy of the executable');
  const counted = (await gw.metrics.content.refusals.get()).values.map((v) => `${v.labels.iface}:${v.labels.reason}=${v.value}`).sort();
  // The JSON message's media is refused by the media fetcher before any message is built (its own metric).
  t.same(counted, ['mm1:type-mismatch=1', 'mm4:type-mismatch=1', 'mm7:type-mismatch=1', 'rest:type-mismatch=1'], 'counted per interface');

  // The same with a real JPEG: accepted everywhere.
  const good7 = mm7(TINY_JPEG);
  const g7 = await httpRequest(at('mm7'), {
    method: 'POST',
    body: good7.body,
    headers: { 'content-type': good7.contentType, authorization: auth },
  });
  t.match(g7.body.toString('utf8'), /<(?:\w+:)?StatusCode>1000</, 'MM7: a real JPEG is accepted');
  // A ReplaceReq's new content is checked as a submission's: refused 2004, the original content kept.
  const id7 = /<(?:\w+:)?MessageID>([^<]+)</.exec(g7.body.toString('utf8'))![1]!;
  const swap = mm7ReplaceReq({ vasp: 'shop', messageId: id7, parts: [{ type: 'image/jpeg', name: 'photo.jpg', body: EXE }] });
  const rr = await httpRequest(at('mm7'), {
    method: 'POST',
    body: swap.body,
    headers: { 'content-type': swap.contentType, authorization: auth },
  });
  t.match(rr.body.toString('utf8'), /<(?:\w+:)?StatusCode>2004</, 'MM7 ReplaceReq: 2004');
  t.ok((await gw.store.queue.content(id7))?.[1]?.equals(TINY_JPEG), 'the original JPEG is kept');
  const goodForm = new FormData();
  goodForm.append('to', B);
  goodForm.append('from', '7050');
  goodForm.append('file', new Blob([new Uint8Array(TINY_JPEG)], { type: 'image/jpeg' }), 'photo.jpg');
  t.equal((await restCall(at('mm7'), 'POST', '/v1/messages', { auth, body: goodForm })).status, 202, 'REST form: accepted');
  const gJson = await restCall(at('mm7'), 'POST', '/v1/messages', {
    auth,
    json: { to: [US], from: '7050', media: [`${media.base}/real.jpg`] },
  });
  t.equal(gJson.status, 202, 'REST JSON: accepted');
  // X-Mms-Adaptation-Allowed: No (OMA-TS-MMS_ENC §7.3.1) is kept as the message's allowAdaptations=false.
  const g1 = await a.post({ ...sendReq(TINY_JPEG), transactionId: 'tx-2', adaptationAllowed: 'No' });
  t.equal(g1.pdu?.responseStatus, 'Ok', 'MM1: accepted');
  const id1 = (g1.pdu as { messageId?: string }).messageId!;
  t.same((await gw.store.queue.message(id1))?.service, { allowAdaptations: false }, 'MM1: adaptation forbidden by the handset');
  const g4 = await mailer.sendMail({ envelope, raw: forward('good-1', TINY_JPEG) });
  t.match(g4.response, /^250 /, 'MM4: accepted');
  t.same(await stored(), { messages: 10, elf: 0 }, 'five messages stored, each with its content; no executable');
});
