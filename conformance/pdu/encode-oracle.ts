/**
 * Our encoder against an independent decoder: one realistic message of every type Wireshark's MMSE dissector
 * knows (MMS 1.0-1.2 types, 0x80-0x93; the 1.3 m-delete-* and m-cancel-* it does not), encoded with encodePdu
 * and decoded by tshark, which must show the same values and no malformed packet.
 */
import { encodePdu, type ContentType, type MmsPdu, type Part } from '../../protocols/mms/index.js';
import { compareWithTshark, formatDiff, haveTshark, tsharkDecode, type Diff } from './tshark.js';

const ME = '+15551234567/TYPE=PLMN';
const YOU = '+15557654321/TYPE=PLMN';
const DATE = new Date('2024-03-14T09:26:53Z');
const URL = 'http://mmsc.example.net/mms/retrieve?id=9f3c2a';
const MESSAGE_ID = '20240314092653-9f3c2a@mmsc.example.net';

const DESCR: MmsPdu = {
  messageType: 'm-mbox-descr',
  mmsVersion: '1.3',
  messageId: MESSAGE_ID,
  contentLocation: 'http://mmsc.example.net/mbox/18',
  date: DATE,
  from: ME,
  to: [YOU],
  subject: { charset: 'utf-8', text: 'Entwurf: Rückruf' },
  messageSize: 212,
  mmState: 'Draft',
};

const SMIL = Buffer.from(
  '<smil><head><layout><root-layout width="320" height="480"/>' +
    '<region id="Image" top="0" height="70%"/><region id="Text" top="70%" height="30%"/></layout></head>' +
    '<body><par dur="5000ms"><img src="photo.jpg" region="Image"/><text src="text.txt" region="Text"/></par></body></smil>',
);
// JFIF start and end markers around a few octets: enough for a part, not an image (tshark's JFIF dissector is off).
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0xff, 0xd9]);

/** multipart/related: a SMIL presentation, a JPEG and UTF-8 text, as handsets send them. */
function relatedBody(): { contentType: ContentType; parts: Part[] } {
  return {
    contentType: { mediaType: 'application/vnd.wap.multipart.related', params: { type: 'application/smil', start: '<smil>' } },
    parts: [
      {
        contentType: { mediaType: 'application/smil', params: { charset: 'utf-8', name: 'smil.xml' } },
        contentId: '<smil>',
        contentLocation: 'smil.xml',
        data: SMIL,
      },
      {
        contentType: { mediaType: 'image/jpeg', params: { name: 'photo.jpg' } },
        contentId: '<photo>',
        contentLocation: 'photo.jpg',
        data: JPEG,
      },
      {
        contentType: { mediaType: 'text/plain', params: { charset: 'utf-8', name: 'text.txt' } },
        contentId: '<text>',
        contentLocation: 'text.txt',
        data: Buffer.from('Schöne Grüße aus München! 🎉', 'utf8'),
      },
    ],
  };
}

const MESSAGES: MmsPdu[] = [
  {
    messageType: 'm-send-req',
    transactionId: 'T-send-0001',
    mmsVersion: '1.3',
    date: DATE,
    from: { insertAddress: true },
    to: [YOU, 'alice@example.com'],
    cc: ['+15550001111/TYPE=PLMN'],
    bcc: ['bob@example.org'],
    subject: { charset: 'utf-8', text: 'Grüße aus München – 東京' },
    messageClass: 'Personal',
    expiry: 604800,
    deliveryReport: 'Yes',
    readReport: 'No',
    priority: 'High',
    ...relatedBody(),
  },
  { messageType: 'm-send-conf', transactionId: 'T-send-0001', mmsVersion: '1.3', responseStatus: 'Ok', messageId: MESSAGE_ID },
  {
    messageType: 'm-notification-ind',
    transactionId: 'T-notif-0002',
    mmsVersion: '1.3',
    from: ME,
    subject: 'Holiday pictures',
    messageClass: 'Personal',
    messageSize: 48213,
    expiry: 259200,
    contentLocation: URL,
    deliveryReport: 'No',
  },
  { messageType: 'm-notifyresp-ind', transactionId: 'T-notif-0002', mmsVersion: '1.3', status: 'Retrieved', reportAllowed: 'Yes' },
  {
    messageType: 'm-retrieve-conf',
    transactionId: 'T-notif-0002',
    mmsVersion: '1.3',
    messageId: MESSAGE_ID,
    date: DATE,
    from: ME,
    to: [YOU, '+15552223333/TYPE=PLMN'],
    cc: ['carol@example.com'],
    subject: { charset: 'utf-8', text: 'Ça va? Привет 👋' },
    messageClass: 'Personal',
    priority: 'Normal',
    retrieveStatus: 'Ok',
    retrieveText: 'Message retrieved',
    ...relatedBody(),
  },
  { messageType: 'm-acknowledge-ind', transactionId: 'T-notif-0002', mmsVersion: '1.3', reportAllowed: 'No' },
  { messageType: 'm-delivery-ind', mmsVersion: '1.3', messageId: MESSAGE_ID, to: [YOU], date: DATE, status: 'Retrieved' },
  { messageType: 'm-read-rec-ind', mmsVersion: '1.3', messageId: MESSAGE_ID, to: [ME], from: YOU, date: DATE, readStatus: 'Read' },
  {
    messageType: 'm-read-orig-ind',
    mmsVersion: '1.3',
    messageId: MESSAGE_ID,
    to: [ME],
    from: YOU,
    date: DATE,
    readStatus: 'Deleted-without-being-read',
  },
  {
    messageType: 'm-forward-req',
    transactionId: 'T-fwd-0003',
    mmsVersion: '1.3',
    from: { insertAddress: true },
    to: ['+15554445555/TYPE=PLMN'],
    expiry: new Date('2024-03-21T09:26:53Z'),
    deliveryReport: 'Yes',
    contentLocation: URL,
  },
  {
    messageType: 'm-forward-conf',
    transactionId: 'T-fwd-0003',
    mmsVersion: '1.3',
    responseStatus: 'Error-transient-failure',
    messageId: MESSAGE_ID,
  },
  { messageType: 'm-mbox-store-req', transactionId: 'T-mbox-0004', mmsVersion: '1.3', contentLocation: URL, mmState: 'Retrieved' },
  {
    messageType: 'm-mbox-store-conf',
    transactionId: 'T-mbox-0004',
    mmsVersion: '1.3',
    contentLocation: 'http://mmsc.example.net/mbox/17',
    storeStatus: 'Success',
  },
  { messageType: 'm-mbox-view-req', transactionId: 'T-mbox-0005', mmsVersion: '1.3', mmState: 'New', totals: 'Yes', limit: 10 },
  {
    // The view carries each selected message's description as an M-Mbox-Descr PDU.
    messageType: 'm-mbox-view-conf',
    transactionId: 'T-mbox-0005',
    mmsVersion: '1.3',
    responseStatus: 'Ok',
    messageCount: 1,
    contentType: { mediaType: 'application/vnd.wap.multipart.mixed' },
    parts: [{ contentType: { mediaType: 'application/vnd.wap.mms-message' }, data: encodePdu(DESCR) }],
  },
  {
    messageType: 'm-mbox-upload-req',
    transactionId: 'T-mbox-0006',
    mmsVersion: '1.3',
    mmState: 'Draft',
    contentType: { mediaType: 'application/vnd.wap.mms-message' },
    body: encodePdu(DESCR),
  },
  {
    messageType: 'm-mbox-upload-conf',
    transactionId: 'T-mbox-0006',
    mmsVersion: '1.3',
    contentLocation: 'http://mmsc.example.net/mbox/18',
    storeStatus: 'Success',
  },
  { messageType: 'm-mbox-delete-req', transactionId: 'T-mbox-0007', mmsVersion: '1.3', contentLocation: 'http://mmsc.example.net/mbox/17' },
  {
    // Content-Location and Response-Status take their indexed form (§7.3.10, §7.3.48) in this PDU only.
    messageType: 'm-mbox-delete-conf',
    transactionId: 'T-mbox-0007',
    mmsVersion: '1.3',
    contentLocation: { index: 0, value: 'http://mmsc.example.net/mbox/17' },
    responseStatus: { index: 0, value: 'Ok' },
  },
  DESCR,
];

/** Where tshark cannot show what we sent; anything else that differs is an encoder bug. */
const EXCEPTIONS: Array<{ type: string; field: string; reason: string }> = [
  {
    type: 'm-mbox-delete-conf',
    field: 'tshark.contentLocation',
    reason: 'tshark prints "<Undecoded value for m-mbox-delete-conf>" for the indexed Content-Location',
  },
  {
    type: 'm-mbox-delete-conf',
    field: 'tshark.responseStatus',
    reason: 'tshark reads the indexed Response-Status as one octet (its Value-length), then the index as a header',
  },
];

interface Verdict {
  status: 'ok' | 'FAIL' | 'known:';
  detail?: string;
}

function check(pdu: MmsPdu): Verdict {
  let bytes: Buffer;
  try {
    bytes = encodePdu(pdu);
  } catch (e) {
    return { status: 'FAIL', detail: `encodePdu threw ${String(e)}` };
  }
  const diffs: Diff[] = compareWithTshark(pdu, tsharkDecode(bytes).record);
  const mine = EXCEPTIONS.filter((x) => x.type === pdu.messageType);
  const problems = [
    ...diffs.filter((d) => !mine.some((x) => x.field === d.field)).map((d) => formatDiff(d, 'tshark')),
    ...mine.filter((x) => !diffs.some((d) => d.field === x.field)).map((x) => `${x.field}: listed in EXCEPTIONS but agrees now`),
  ];
  if (problems.length > 0) return { status: 'FAIL', detail: problems.join('; ') };
  return mine.length > 0 ? { status: 'known:', detail: mine.map((x) => x.reason).join('; ') } : { status: 'ok' };
}

function main(): number {
  if (!haveTshark()) {
    console.log('FAIL tshark is not installed (conformance/pdu/run.sh installs it)');
    console.log('0 passed, 1 failed');
    return 1;
  }
  let passed = 0;
  let failed = 0;
  for (const pdu of MESSAGES) {
    const v = check(pdu);
    console.log(`${v.status} ${pdu.messageType}${v.detail ? ` (${v.detail})` : ''}`);
    if (v.status === 'FAIL') failed++;
    else passed++;
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

process.exitCode = main();
