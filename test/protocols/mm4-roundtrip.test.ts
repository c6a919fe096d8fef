// protocols/mm4: each of the six MM4 messages (TS 23.140 §8.4.1-§8.4.3) built then parsed gives its model back,
// and a built MM4_forward.REQ is byte for byte the text below, written by hand from the §8.4.1.1 field list in
// build.ts's documented order (not produced by the code).
import t from 'tap';
import { buildMm4, parseMm4 } from '../../protocols/mm4/index.js';
import type { Mm4ForwardReq, Mm4Message } from '../../protocols/mm4/index.js';

const HOME = 'mms.mnc001.mcc310.gprs';
const PEER = 'mms.mnc002.mcc310.gprs';
const forward: Mm4ForwardReq = {
  type: 'MM4_forward.REQ',
  mmsVersion: '6.10.0',
  transactionId: 'tx-1',
  messageId: 'msg-1@mms.example',
  originatorSystem: `system-user@${HOME}`,
  ackRequest: true,
  deliveryReport: true,
  readReply: false,
  expiry: { kind: 'relative', seconds: 600 },
  messageClass: 'Personal',
  priority: 'Normal',
  senderVisibility: 'Show',
  sender: `system-user@${HOME}`,
  from: { address: { kind: 'plmn', number: '+15551230001' }, domain: HOME },
  to: [{ address: { kind: 'plmn', number: '+15551230002' }, domain: PEER }],
  cc: [],
  date: Date.UTC(2026, 0, 2, 3, 4, 5),
  rfc822MessageId: 'msg-1@mms.example',
  subject: 'Grüße',
  content: {
    contentType: { type: 'multipart/related', params: { type: 'text/plain' } },
    parts: [{ contentType: { type: 'text/plain', params: { charset: 'utf-8' } }, contentId: 'text1', body: Buffer.from('hello') }],
  },
};

const EXPECTED = [
  'X-Mms-3GPP-MMS-Version: 6.10.0',
  'X-Mms-Message-Type: MM4_forward.REQ',
  'X-Mms-Transaction-ID: tx-1',
  'X-Mms-Message-ID: msg-1@mms.example',
  'X-Mms-Originator-System: system-user@mms.mnc001.mcc310.gprs',
  'X-Mms-Ack-Request: Yes',
  'X-Mms-Delivery-Report: Yes',
  'X-Mms-Read-Reply: No',
  'X-Mms-Expiry: 600',
  'X-Mms-Message-Class: Personal',
  'X-Mms-Priority: Normal',
  'X-Mms-Sender-Visibility: Show',
  'Sender: system-user@mms.mnc001.mcc310.gprs',
  'From: +15551230001/TYPE=PLMN@mms.mnc001.mcc310.gprs',
  'To: +15551230002/TYPE=PLMN@mms.mnc002.mcc310.gprs',
  'Date: Fri, 02 Jan 2026 03:04:05 +0000',
  'Message-ID: <msg-1@mms.example>',
  'Subject: =?UTF-8?B?R3LDvMOfZQ==?=',
  'MIME-Version: 1.0',
  'Content-Type: multipart/related; boundary=bnd0; type="text/plain"',
  '',
  '--bnd0',
  'Content-Type: text/plain; charset=utf-8',
  'Content-Transfer-Encoding: 8bit',
  'Content-ID: <text1>',
  '',
  'hello',
  '--bnd0--',
  '',
].join('\r\n');

t.test('MM4_forward.REQ: exact bytes against the hand-written text', async (t) => {
  const bytes = buildMm4(forward, { boundary: (d) => `bnd${d}` });
  t.equal(bytes.toString('utf8'), EXPECTED);
});

const reports: Mm4Message[] = [
  {
    type: 'MM4_forward.RES',
    mmsVersion: '6.10.0',
    transactionId: '"tx-1@mms.example"',
    messageId: 'msg-1@mms.example',
    requestStatus: 'Ok',
    statusText: 'Accepted',
  },
  {
    type: 'MM4_delivery_report.REQ',
    mmsVersion: '6.10.0',
    transactionId: 'tx-2',
    messageId: 'msg-1@mms.example',
    originatorSystem: `system-user@${PEER}`,
    recipient: { address: { kind: 'plmn', number: '+15551230002' }, domain: PEER },
    originator: { address: { kind: 'plmn', number: '+15551230001' }, domain: HOME },
    ackRequest: true,
    mmStatus: 'Retrieved',
    statusText: 'Delivered',
    date: Date.UTC(2026, 0, 2, 3, 5, 0),
  },
  { type: 'MM4_delivery_report.RES', mmsVersion: '6.10.0', transactionId: 'tx-2', messageId: 'msg-1@mms.example', requestStatus: 'Ok' },
  {
    type: 'MM4_read_reply_report.REQ',
    mmsVersion: '5.10.0',
    transactionId: '<tx-3>',
    messageId: 'msg-1@mms.example',
    recipient: { address: { kind: 'plmn', number: '+15551230002' }, domain: PEER },
    originator: { address: { kind: 'plmn', number: '+15551230001' }, domain: HOME },
    readStatus: 'Deleted',
    rfc822MessageId: 'rr-3@mms.example',
  },
  {
    type: 'MM4_read_reply_report.RES',
    mmsVersion: '5.10.0',
    transactionId: '<tx-3>',
    requestStatus: 'Error-message-not-found',
    statusText: 'no such message',
  },
];

t.test('round trip of each of the six messages', async (t) => {
  t.strictSame(await parseMm4(buildMm4(forward)), forward, 'MM4_forward.REQ (default boundary)');
  t.strictSame(await parseMm4(Buffer.from(EXPECTED)), forward, 'MM4_forward.REQ from the hand-written text');
  for (const m of reports) t.strictSame(await parseMm4(buildMm4(m)), m, m.type);
});

t.test('round trip of a forward with Cc, an absolute expiry, binary and nested parts', async (t) => {
  const img = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff));
  const m: Mm4ForwardReq = {
    ...forward,
    to: [{ address: { kind: 'plmn', number: '+15551230002' }, domain: PEER }, { address: { kind: 'email', address: 'ann@example.org' } }],
    cc: [{ address: { kind: 'shortcode', code: '12345' }, domain: PEER }],
    expiry: { kind: 'absolute', epochMs: Date.UTC(2026, 0, 9, 0, 0, 0) },
    subject: 'plain ASCII subject',
    content: {
      contentType: { type: 'multipart/mixed', params: {} },
      parts: [
        {
          contentType: { type: 'multipart/related', params: { type: 'application/smil', start: '<smil>' } },
          contentId: 'rel',
          parts: [
            { contentType: { type: 'application/smil', params: {} }, contentId: 'smil', body: Buffer.from('<smil/>') },
            { contentType: { type: 'image/png', params: { name: 'a.png' } }, contentLocation: 'a.png', body: img },
          ],
        },
        {
          contentType: { type: 'text/plain', params: { charset: 'utf-8' } },
          headers: [{ name: 'Content-Disposition', value: 'inline' }],
          body: Buffer.from('ünïcode'),
        },
      ],
    },
  };
  const bytes = buildMm4(m);
  t.match(bytes.toString('latin1'), /\r\nContent-Transfer-Encoding: 8bit\r\n\r\n/, 'an 8bit part makes the message 8bit');
  t.strictSame(await parseMm4(bytes), m);
});

t.test('single-part forward, base64 when not text', async (t) => {
  const m: Mm4ForwardReq = { ...forward, content: { contentType: { type: 'image/gif', params: {} }, body: Buffer.from([0, 1, 2, 255]) } };
  const bytes = buildMm4(m);
  t.match(bytes.toString(), /Content-Type: image\/gif\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC\/w==$/);
  t.strictSame(await parseMm4(bytes), m);
});
