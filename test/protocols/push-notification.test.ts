// The m-notification-ind push: encoded with protocols/mms, wrapped (WAP-230-WSP §8.2.4.1), segmented
// (WAP-259-WDP §6.5); the compact form drops optional display fields (OMA-TS-MMS_ENC-V1_3 §6.2 Table 5: From,
// Subject, ...) only when the whole notification needs more than one SMS.
import t from 'tap';
import type { Test } from 'tap';
import type { NotificationInd } from '../../protocols/mms/index.js';
import { PduError } from '../../protocols/mms/index.js';
import { COMPACT_DROPS, PushError, buildMmsPush, buildWspPush, parseMmsPush, segmentPush } from '../../protocols/push/index.js';
import type { PushErrorCode } from '../../protocols/push/index.js';
import { prng } from '../helpers/prng.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const ascii = (s: string): string => Buffer.from(s, 'latin1').toString('hex');

function expectPushError(tt: Test, fn: () => unknown, code: PushErrorCode, what: string): PushError | undefined {
  try {
    fn();
  } catch (e) {
    tt.ok(e instanceof PushError, `${what}: throws a PushError`);
    if (e instanceof PushError) {
      tt.equal(e.code, code, `${what}: code ${code} (${e.message})`);
      return e;
    }
    tt.comment(String(e));
    return undefined;
  }
  tt.fail(`${what}: expected PushError ${code}`);
  return undefined;
}

const SMALL: NotificationInd = {
  messageType: 'm-notification-ind',
  transactionId: 'T1',
  mmsVersion: '1.2',
  messageClass: 'Personal',
  messageSize: 1000,
  expiry: 3600,
  contentLocation: 'http://x/1',
};

const BASE: NotificationInd = {
  messageType: 'm-notification-ind',
  transactionId: 'T-notif-0002',
  mmsVersion: '1.3',
  from: '+15551234567/TYPE=PLMN',
  subject: 'Holiday pictures',
  messageClass: 'Personal',
  messageSize: 48213,
  expiry: 259200,
  contentLocation: 'http://mmsc.example.net/mms/retrieve?id=9f3c2a',
};

t.test('a small notification, byte for byte', async (t) => {
  const push = buildMmsPush(SMALL, { concatRef: 9 });
  const mms = hex(
    '8C 82' + // X-Mms-Message-Type m-notification-ind
      `98 ${ascii('T1')} 00` + // X-Mms-Transaction-ID
      '8D 92' + // X-Mms-MMS-Version 1.2
      '8A 80' + // X-Mms-Message-Class Personal
      '8E 02 03 E8' + // X-Mms-Message-Size 1000 (Long-integer)
      '88 04 81 02 0E 10' + // X-Mms-Expiry: Value-length 4, Relative-token, 3600 s
      `83 ${ascii('http://x/1')} 00`, // X-Mms-Content-Location
  );
  t.same(push.mms, mms);
  t.same(push.wsp, Buffer.concat([hex('00 06 03 BE AF 84'), mms]));
  t.equal(push.segments.length, 1);
  t.same(push.segments[0]!.shortMessage, Buffer.concat([hex('06 05 04 0B 84 23 F0 00 06 03 BE AF 84'), mms]));
  t.equal(push.segments[0]!.esmClass, 0x40);
  t.equal(push.segments[0]!.dataCoding, 0x04);
  t.same(push.dropped, []);
  t.same(push.notification, SMALL);
  t.same(buildMmsPush(SMALL, { concatRef: 9, tid: 0x7e }).wsp.subarray(0, 1), hex('7E'), 'the TID option');

  const back = parseMmsPush(push.segments.map((s) => s.shortMessage));
  t.same(back.notification, SMALL);
  t.equal(back.push.tid, 0);
  t.equal(back.push.applicationId, 4);
  t.same(back.ports, { destination: 2948, source: 9200 });
  t.equal(back.concat, undefined);
});

t.test("compact 'auto': whole when it fits one SMS, else drop Subject, then From", async (t) => {
  const whole = buildMmsPush(BASE, { concatRef: 1 });
  t.same(whole.dropped, [], 'fits: nothing dropped');
  t.equal(whole.segments.length, 1);
  t.same(parseMmsPush(whole.segments.map((s) => s.shortMessage)).notification, BASE);

  const longSubject = { ...BASE, subject: 'Pictures from the holiday in the mountains, with the whole family' };
  const a = buildMmsPush(longSubject, { concatRef: 1 });
  t.same(a.dropped, ['subject'], 'Subject goes first');
  t.equal(a.segments.length, 1);
  const aBack = parseMmsPush(a.segments.map((s) => s.shortMessage)).notification;
  t.equal(aBack.subject, undefined);
  t.equal(aBack.from, BASE.from, 'From stays when dropping Subject is enough');
  t.equal(longSubject.subject, 'Pictures from the holiday in the mountains, with the whole family', 'the input is not modified');

  const longBoth = { ...longSubject, from: 'a-rather-long-sender-address-for-a-notification@mail.example.com' };
  const b = buildMmsPush(longBoth, { concatRef: 1 });
  t.same(b.dropped, ['subject', 'from']);
  t.equal(b.segments.length, 1);
  const bBack = parseMmsPush(b.segments.map((s) => s.shortMessage)).notification;
  const { subject: _subject, from: _from, ...mandatory } = BASE;
  t.same(bBack, mandatory, 'the mandatory fields all there, as given');
  t.same(Object.keys(bBack), ['messageType', 'transactionId', 'mmsVersion', 'messageClass', 'messageSize', 'expiry', 'contentLocation']);

  // Optional fields that change what the handset does stay, even in compact form.
  const semantic: NotificationInd = { ...longBoth, deliveryReport: 'Yes', applicId: 'com.example.app', replaceId: 'old-id' };
  const c = buildMmsPush(semantic, { concatRef: 1, compact: true });
  const cBack = parseMmsPush(c.segments.map((s) => s.shortMessage)).notification;
  t.equal(cBack.deliveryReport, 'Yes');
  t.equal(cBack.applicId, 'com.example.app');
  t.equal(cBack.replaceId, 'old-id');
});

t.test('the one-SMS boundary: 133 octets of push stay whole, 134 are compacted', async (t) => {
  let n = 0;
  while (buildMmsPush({ ...BASE, subject: 'x'.repeat(n) }, { concatRef: 0, compact: false }).wsp.length < 133) n++;
  const at = buildMmsPush({ ...BASE, subject: 'x'.repeat(n) }, { concatRef: 0 });
  t.equal(at.wsp.length, 133);
  t.same(at.dropped, []);
  t.same(
    at.segments.map((s) => s.shortMessage.length),
    [140],
  );
  const over = buildMmsPush({ ...BASE, subject: 'x'.repeat(n + 1) }, { concatRef: 0 });
  t.same(over.dropped, ['subject']);
  t.equal(over.segments.length, 1);
  const kept = buildMmsPush({ ...BASE, subject: 'x'.repeat(n + 1) }, { concatRef: 0x33, compact: false });
  t.same(kept.dropped, []);
  t.same(
    kept.segments.map((s) => s.shortMessage.length),
    [140, 18],
    '134 octets whole: 128 + 6 behind 12-octet UDHs',
  );
  t.same(kept.segments[1]!.udh, hex('0B 05 04 0B 84 23 F0 00 03 33 02 02'));
  t.same(parseMmsPush(kept.segments.map((s) => s.shortMessage).reverse()).notification.subject, 'x'.repeat(n + 1));
});

t.test('compact true drops what is present even when it would fit; false never drops', async (t) => {
  const c = buildMmsPush(BASE, { concatRef: 0, compact: true });
  t.same(c.dropped, ['subject', 'from']);
  const onlyFrom = { ...BASE, subject: undefined } as unknown as NotificationInd;
  t.same(buildMmsPush(onlyFrom, { concatRef: 0, compact: true }).dropped, ['from'], 'absent fields are not reported');
  const extra: NotificationInd = {
    ...BASE,
    extraHeaders: [{ name: 'X-Operator', value: 'demo' }],
    recommendedRetrievalModeText: 'Tap to fetch',
  };
  t.same(buildMmsPush(extra, { concatRef: 0, compact: true }).dropped, ['extraHeaders', 'recommendedRetrievalModeText', 'subject', 'from']);
  t.same(
    COMPACT_DROPS.map(([k]) => k),
    ['extraHeaders', 'recommendedRetrievalModeText', 'subject', 'from'],
  );
  const long = { ...BASE, subject: 'y'.repeat(200) };
  const f = buildMmsPush(long, { concatRef: 5, compact: false });
  t.same(f.dropped, []);
  t.equal(f.segments.length, 3);
});

t.test('when even the compact form needs several SMS', async (t) => {
  const longUrl: NotificationInd = { ...BASE, contentLocation: `http://mmsc.example.net/mms/retrieve?id=${'9f3c2a'.repeat(25)}` };
  const p = buildMmsPush(longUrl, { concatRef: 0x10 });
  t.same(p.dropped, ['subject', 'from'], "'auto' still drops all it may: fewer segments");
  t.equal(p.segments.length, 2);
  t.same(parseMmsPush(p.segments.map((s) => s.shortMessage)).notification.contentLocation, longUrl.contentLocation);

  const e = expectPushError(t, () => buildMmsPush(longUrl, { concatRef: 0x10, maxSegments: 1 }), 'DOES_NOT_FIT', 'maxSegments 1');
  t.match(e?.message ?? '', /notification without subject, from: a \d+-octet push needs 2 segments, more than the 1 allowed/);
  t.ok(e?.cause instanceof PushError);
  const w = expectPushError(
    t,
    () => buildMmsPush({ ...BASE, subject: 'z'.repeat(100) }, { concatRef: 0, compact: false, maxSegments: 1 }),
    'DOES_NOT_FIT',
    'compact false',
  );
  t.match(w?.message ?? '', /notification whole: a \d+-octet push needs 2 segments, more than the 1 allowed/);
  t.equal(buildMmsPush(longUrl, { concatRef: 0x10, maxSegments: 2 }).segments.length, 2);
});

t.test('what cannot be built', async (t) => {
  const noLocation = { ...SMALL, contentLocation: undefined } as unknown as NotificationInd;
  const e = expectPushError(t, () => buildMmsPush(noLocation, { concatRef: 0 }), 'ENCODE_INVALID', 'no Content-Location');
  t.ok(e?.cause instanceof PduError, 'the PduError is the cause');
  const sendConf = {
    messageType: 'm-send-conf',
    transactionId: 'x',
    mmsVersion: '1.2',
    responseStatus: 'Ok',
  } as unknown as NotificationInd;
  expectPushError(t, () => buildMmsPush(sendConf, { concatRef: 0 }), 'ENCODE_INVALID', 'another message type');
  expectPushError(t, () => buildMmsPush(SMALL, { concatRef: 0, tid: 256 }), 'ENCODE_INVALID', 'TID 256');
  expectPushError(t, () => buildMmsPush(SMALL, { concatRef: 300 }), 'ENCODE_INVALID', 'concatRef 300');
  expectPushError(t, () => buildMmsPush(SMALL, { concatRef: 0, maxSegments: 0 }), 'ENCODE_INVALID', 'maxSegments 0');
  expectPushError(t, () => buildMmsPush(SMALL, { concatRef: 0, compact: 'yes' as unknown as boolean }), 'ENCODE_INVALID', "compact 'yes'");
});

t.test('parseMmsPush: pushes that are not MMS notifications', async (t) => {
  const ud = (wsp: Buffer): Buffer[] => segmentPush(wsp, { concatRef: 0 }).map((s) => s.shortMessage);
  const mms = buildMmsPush(SMALL, { concatRef: 0 }).mms;
  // Service Indication content type.
  expectPushError(
    t,
    () => parseMmsPush(ud(buildWspPush({ tid: 0, contentType: { mediaType: 'application/vnd.wap.sic' }, applicationId: 1, data: mms }))),
    'BAD_NOTIFICATION',
    'SI content type',
  );
  expectPushError(
    t,
    () =>
      parseMmsPush(
        ud(buildWspPush({ tid: 0, contentType: { mediaType: 'application/vnd.wap.mms-message' }, applicationId: 2, data: mms })),
      ),
    'BAD_NOTIFICATION',
    'application id wml.ua',
  );
  expectPushError(
    t,
    () =>
      parseMmsPush(
        ud(
          buildWspPush({
            tid: 0,
            contentType: { mediaType: 'application/vnd.wap.mms-message' },
            applicationId: 'x-wap-application:wml.ua',
            data: mms,
          }),
        ),
      ),
    'BAD_NOTIFICATION',
    'application id URI wml.ua',
  );
  const e = expectPushError(
    t,
    () =>
      parseMmsPush(
        ud(
          buildWspPush({ tid: 0, contentType: { mediaType: 'application/vnd.wap.mms-message' }, applicationId: 4, data: hex('01 02 03') }),
        ),
      ),
    'BAD_NOTIFICATION',
    'not a PDU',
  );
  t.ok(e?.cause instanceof PduError);
  expectPushError(
    t,
    () =>
      parseMmsPush(
        ud(
          buildWspPush({
            tid: 0,
            contentType: { mediaType: 'application/vnd.wap.mms-message' },
            applicationId: 4,
            data: hex(`8C 81 98 ${ascii('x')} 00 8D 92 92 80`),
          }),
        ),
      ),
    'BAD_NOTIFICATION',
    'm-send-conf',
  );
  // Accepted: the application id as its URI (any case), or absent; the content type as text.
  const uri = parseMmsPush(
    ud(
      buildWspPush({
        tid: 0,
        contentType: { mediaType: 'application/vnd.wap.mms-message' },
        applicationId: 'X-WAP-Application:mms.ua',
        data: mms,
      }),
    ),
  );
  t.same(uri.notification, SMALL);
  t.same(parseMmsPush(ud(Buffer.concat([hex(`00 06 20 ${ascii('application/vnd.wap.mms-message')} 00`), mms]))).notification, SMALL);
  expectPushError(t, () => parseMmsPush(ud(hex('00 07 01 BE'))), 'NOT_A_PUSH', 'ConfirmedPush');
});

t.test('fuzz: random notifications build, fit the limits, and parse back to what was sent', async (t) => {
  const rnd = prng(0x2948);
  const word = (max: number): string => {
    const n = 1 + Math.floor(rnd() * max);
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(0x61 + Math.floor(rnd() * 26));
    return s;
  };
  const classes = ['Personal', 'Advertisement', 'Informational', 'Auto'] as const;
  for (let i = 0; i < 300; i++) {
    const n: NotificationInd = {
      messageType: 'm-notification-ind',
      transactionId: word(30),
      mmsVersion: rnd() < 0.5 ? '1.2' : '1.3',
      messageClass: classes[Math.floor(rnd() * 4)]!,
      messageSize: Math.floor(rnd() * 2 ** 31),
      expiry: rnd() < 0.5 ? Math.floor(rnd() * 10 ** 7) : new Date(Date.UTC(2030, 0, 1) + Math.floor(rnd() * 1e9) * 1000),
      contentLocation: `http://${word(20)}.example/${word(rnd() < 0.2 ? 300 : 60)}`,
    };
    if (rnd() < 0.7) n.from = `+${Math.floor(rnd() * 1e12)}/TYPE=PLMN`;
    if (rnd() < 0.7) n.subject = word(80);
    const compact = ([true, false, 'auto'] as const)[i % 3]!;
    const push = buildMmsPush(n, { concatRef: i & 0xff, tid: i & 0xff, compact });
    const count = push.segments.length;
    if (push.segments.some((s) => s.shortMessage.length > 140)) t.fail(`case ${i}: a short message over 140 octets`);
    if (compact === 'auto' && push.dropped.length > 0 && buildMmsPush(n, { concatRef: 0, compact: false }).segments.length === 1)
      t.fail(`case ${i}: dropped though it fit`);
    if (compact === false && push.dropped.length > 0) t.fail(`case ${i}: compact false dropped fields`);
    const back = parseMmsPush(push.segments.map((s) => s.shortMessage).reverse());
    if (
      JSON.stringify(back.notification) !== JSON.stringify(push.notification) ||
      back.push.tid !== (i & 0xff) ||
      count > 1 !== (back.concat !== undefined)
    ) {
      t.fail(`case ${i}: ${JSON.stringify(push.notification)} came back as ${JSON.stringify(back.notification)}`);
      return;
    }
  }
  t.pass('300 notifications');
});
