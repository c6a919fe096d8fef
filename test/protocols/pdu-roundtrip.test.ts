// Round trips of MMS PDUs (OMA-TS-MMS_ENC-V1_3): hand-built models of every message type through
// encodePdu/decodePdu, exact octets derived by hand for small messages, and the public vectors re-encoded
// byte for byte (except the two documented non-canonical ones).
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import type { Test } from 'tap';
import { MANDATORY, MESSAGE_TYPES, PduError, decodePdu, encodePdu } from '../../protocols/mms/index.js';
import type {
  AcknowledgeInd,
  CancelConf,
  CancelReq,
  DeleteConf,
  DeleteReq,
  DeliveryInd,
  ForwardConf,
  ForwardReq,
  MboxDeleteConf,
  MboxDeleteReq,
  MboxDescr,
  MboxStoreConf,
  MboxStoreReq,
  MboxUploadConf,
  MboxUploadReq,
  MboxViewConf,
  MboxViewReq,
  MmsPdu,
  NotificationInd,
  NotifyRespInd,
  Part,
  ReadOrigInd,
  ReadRecInd,
  RetrieveConf,
  SendConf,
  SendReq,
} from '../../protocols/mms/index.js';
import { VECTORS } from '../helpers/paths.js';

const vectorDir = path.join(VECTORS, 'pdu');

function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ''), 'hex');
}

function describe(e: unknown): string {
  return e instanceof PduError ? `PduError ${e.code} at ${e.offset}: ${e.message}` : String(e);
}

// ---------------------------------------------------------------------------------------------------------
// Hand-built models
// ---------------------------------------------------------------------------------------------------------

const D1 = new Date('2024-03-01T12:00:00Z');
const D2 = new Date('2024-03-08T12:00:00Z');
const ME = '+15551230001/TYPE=PLMN';
const YOU = '+15551230002/TYPE=PLMN';
const LOC = 'http://mmsc.example.net/mms?id=42';
const CUSTOM = { name: 'X-Custom', value: 'v' };

// A multipart/alternative body, written by hand (WAP-230 §8.5):
//   nEntries 02
//   entry 1: HeadersLen 01, DataLen 05, text/plain (0x03 -> 83), "plain"
//   entry 2: HeadersLen 01, DataLen 08, text/html (0x02 -> 82), "<b>x</b>"
const ALT_BYTES = hex('02 01 05 83 706c61696e 01 08 82 3c623e783c2f623e');

function richParts(): Part[] {
  return [
    {
      contentType: { mediaType: 'application/smil' },
      contentId: '<smil>',
      contentLocation: 'smil.xml',
      data: Buffer.from('<smil><body><par dur="5s"><img src="photo.jpg"/><text src="hello.txt"/></par></body></smil>'),
    },
    {
      contentType: { mediaType: 'text/plain', params: { charset: 'utf-8', name: 'hello.txt' } },
      contentId: '<text1>',
      contentLocation: 'hello.txt',
      contentDisposition: { disposition: 'inline', params: { filename: 'hello.txt' } },
      data: Buffer.from('Grüße aus Köln 👋', 'utf8'),
    },
    {
      contentType: { mediaType: 'image/jpeg', params: { name: 'photo.jpg' } },
      contentId: '<img1>',
      contentLocation: 'photo.jpg',
      contentDisposition: { disposition: 'attachment', params: { filename: 'photo.jpg' } },
      // X-Part-Note (application header) and Content-Length (0x0D) with Short-integer 12 (0x8C)
      headers: [
        { name: 'X-Part-Note', value: 'thumb' },
        { code: 0x0d, value: hex('8c') },
      ],
      data: hex('ffd8ffe000104a464946ffd9'),
    },
    {
      contentType: { mediaType: 'multipart/alternative' },
      contentId: '<alt>',
      data: ALT_BYTES,
      parts: [
        { contentType: { mediaType: 'text/plain' }, data: Buffer.from('plain') },
        { contentType: { mediaType: 'text/html' }, data: Buffer.from('<b>x</b>') },
      ],
    },
  ];
}

const RELATED = {
  mediaType: 'application/vnd.wap.multipart.related',
  params: { type: 'application/smil', start: '<smil>' },
};

const sendReq: SendReq = {
  messageType: 'm-send-req',
  transactionId: 'T-send-0001',
  mmsVersion: '1.3',
  date: D1,
  from: ME,
  to: [YOU, { charset: 'utf-8', text: 'Zoë <zoe@example.com>' }],
  cc: ['bob@example.com'],
  bcc: ['+15551230003/TYPE=PLMN'],
  subject: { charset: 'utf-8', text: 'Grüße aus Köln' },
  messageClass: 'Personal',
  expiry: 86400,
  deliveryTime: D2,
  priority: 'High',
  senderVisibility: 'Show',
  deliveryReport: 'Yes',
  readReport: 'No',
  replyCharging: 'Requested',
  replyChargingDeadline: 172800,
  replyChargingSize: 4096,
  store: 'Yes',
  mmState: 'Sent',
  mmFlags: { action: 'Add', flag: 'Important' },
  applicId: 'com.example.app',
  replyApplicId: 'com.example.reply',
  auxApplicInfo: 'ref=7',
  contentClass: 'image-basic',
  drmContent: 'No',
  adaptationAllowed: 'Yes',
  extraHeaders: [CUSTOM],
  contentType: RELATED,
  parts: richParts(),
};

const sendConf: SendConf = {
  messageType: 'm-send-conf',
  transactionId: 'T-send-0001',
  mmsVersion: '1.3',
  responseStatus: 'Ok',
  responseText: { charset: 'us-ascii', text: 'Message accepted' },
  messageId: 'MID-20240301-0001',
  contentLocation: 'http://mmsc.example.net/mbox/1',
  storeStatus: 'Success',
  storeStatusText: 'Stored in MMBox',
  extraHeaders: [CUSTOM],
};

const notificationInd: NotificationInd = {
  messageType: 'm-notification-ind',
  transactionId: 'T-notif-0001',
  mmsVersion: '1.3',
  from: ME,
  subject: 'Holiday photos',
  deliveryReport: 'No',
  messageClass: 'Informational',
  priority: 'Normal',
  messageSize: 30720,
  expiry: D2,
  replyCharging: 'Accepted',
  replyChargingDeadline: D2,
  replyChargingId: 'RC-0001',
  replyChargingSize: 2048,
  contentLocation: LOC,
  stored: 'No',
  distributionIndicator: 'Yes',
  elementDescriptor: { contentReference: LOC, params: { type: 'application/vnd.wap.multipart.related' } },
  applicId: 'com.example.app',
  replyApplicId: 'com.example.reply',
  auxApplicInfo: 'ref=7',
  contentClass: 'image-rich',
  drmContent: 'No',
  replaceId: 'MID-20240229-0007',
  recommendedRetrievalMode: 'Manual',
  recommendedRetrievalModeText: { charset: 'utf-8', text: 'Tippen zum Laden' },
  extraHeaders: [CUSTOM],
};

// The same type with a textual class (Token-text), a relative expiry and a UCS-2 subject.
const notificationInd2: NotificationInd = {
  messageType: 'm-notification-ind',
  transactionId: 'T-notif-0002',
  mmsVersion: '1.2',
  from: { charset: 'utf-8', text: 'Jörg <joerg@example.com>' },
  subject: { charset: 'iso-10646-ucs-2', text: 'Привет' },
  messageClass: 'carrier-promo',
  messageSize: 123456789,
  expiry: 259200,
  contentLocation: 'http://mmsc.example.net/mms?id=43',
  elementDescriptor: { contentReference: 'cid:photo1', params: { 'x-size': 'large' } },
};

const notifyRespInd: NotifyRespInd = {
  messageType: 'm-notifyresp-ind',
  transactionId: 'T-notif-0001',
  mmsVersion: '1.3',
  status: 'Deferred',
  reportAllowed: 'Yes',
  extraHeaders: [CUSTOM],
};

const retrieveConf: RetrieveConf = {
  messageType: 'm-retrieve-conf',
  transactionId: 'T-notif-0001',
  mmsVersion: '1.3',
  messageId: 'MID-20240301-0001',
  date: D1,
  from: ME,
  to: [YOU, { charset: 'utf-8', text: 'Zoë <zoe@example.com>' }],
  cc: ['bob@example.com', 'carol@example.com'],
  subject: { charset: 'utf-8', text: 'Grüße aus Köln' },
  messageClass: 'Personal',
  priority: 'High',
  deliveryReport: 'Yes',
  readReport: 'Yes',
  retrieveStatus: 'Ok',
  retrieveText: 'OK',
  previouslySentBy: [
    { count: 1, address: '+15551230009/TYPE=PLMN' },
    { count: 2, address: { charset: 'utf-8', text: 'Jörg <joerg@example.com>' } },
  ],
  previouslySentDate: [
    { count: 1, date: D1 },
    { count: 2, date: D2 },
  ],
  mmState: 'New',
  mmFlags: { action: 'Add', flag: { charset: 'utf-8', text: 'Wichtig' } },
  replyCharging: 'Accepted-text-only',
  replyChargingDeadline: 3600,
  replyChargingId: 'RC-0001',
  replyChargingSize: 512,
  applicId: 'com.example.app',
  contentClass: 'content-rich',
  drmContent: 'Yes',
  distributionIndicator: 'No',
  extraHeaders: [CUSTOM, { code: 0x40, value: hex('81') }], // an unassigned code (0xC0) with a Short-integer
  contentType: RELATED,
  parts: richParts(),
};

const acknowledgeInd: AcknowledgeInd = {
  messageType: 'm-acknowledge-ind',
  transactionId: 'T-notif-0001',
  mmsVersion: '1.3',
  reportAllowed: 'No',
  extraHeaders: [CUSTOM],
};

const deliveryInd: DeliveryInd = {
  messageType: 'm-delivery-ind',
  mmsVersion: '1.3',
  messageId: 'MID-20240301-0001',
  to: [YOU],
  date: D2,
  status: 'Retrieved',
  statusText: { charset: 'us-ascii', text: 'delivered' },
  applicId: 'com.example.app',
  replyApplicId: 'com.example.reply',
  auxApplicInfo: 'ref=7',
  extraHeaders: [CUSTOM],
};

const readRecInd: ReadRecInd = {
  messageType: 'm-read-rec-ind',
  mmsVersion: '1.3',
  messageId: 'MID-20240301-0001',
  to: [ME],
  from: YOU,
  date: D2,
  readStatus: 'Read',
  applicId: 'com.example.app',
  extraHeaders: [CUSTOM],
};

const readOrigInd: ReadOrigInd = {
  messageType: 'm-read-orig-ind',
  mmsVersion: '1.3',
  messageId: 'MID-20240301-0001',
  to: [ME],
  from: { charset: 'utf-8', text: 'Zoë <zoe@example.com>' },
  date: D2,
  readStatus: 'Deleted-without-being-read',
  auxApplicInfo: 'ref=7',
};

const forwardReq: ForwardReq = {
  messageType: 'm-forward-req',
  transactionId: 'T-fwd-0001',
  mmsVersion: '1.3',
  date: D1,
  from: { insertAddress: true },
  to: [YOU],
  cc: ['bob@example.com'],
  bcc: ['+15551230003/TYPE=PLMN'],
  expiry: 86400,
  deliveryTime: D2,
  reportAllowed: 'Yes',
  deliveryReport: 'Yes',
  readReport: 'No',
  store: 'Yes',
  mmState: 'Forwarded',
  mmFlags: { action: 'Remove', flag: 'Important' },
  contentLocation: LOC,
  replyCharging: 'Requested-text-only',
  replyChargingDeadline: D2,
  replyChargingSize: 1000,
  applicId: 'com.example.app',
  extraHeaders: [CUSTOM],
};

const forwardConf: ForwardConf = {
  messageType: 'm-forward-conf',
  transactionId: 'T-fwd-0001',
  mmsVersion: '1.3',
  responseStatus: 'Error-transient-network-problem',
  responseText: 'try again later',
  messageId: 'MID-20240301-0002',
  contentLocation: 'http://mmsc.example.net/mbox/2',
  storeStatus: 'Error-permanent-mmbox-full',
  storeStatusText: { charset: 'iso-8859-1', text: 'MMBox plein, réessayez' },
};

const mboxStoreReq: MboxStoreReq = {
  messageType: 'm-mbox-store-req',
  transactionId: 'T-store-0001',
  mmsVersion: '1.3',
  contentLocation: LOC,
  mmState: 'Retrieved',
  mmFlags: { action: 'Add', flag: 'Keep' },
  extraHeaders: [CUSTOM],
};

const mboxStoreConf: MboxStoreConf = {
  messageType: 'm-mbox-store-conf',
  transactionId: 'T-store-0001',
  mmsVersion: '1.3',
  contentLocation: 'http://mmsc.example.net/mbox/3',
  storeStatus: 'Success',
  storeStatusText: 'stored',
};

const mboxViewReq: MboxViewReq = {
  messageType: 'm-mbox-view-req',
  transactionId: 'T-view-0001',
  mmsVersion: '1.3',
  contentLocation: 'http://mmsc.example.net/mbox/',
  mmState: 'New',
  mmFlags: { action: 'Filter', flag: 'Important' },
  start: 0,
  limit: 200,
  attributes: ['subject', 'from', 'date', 'messageSize'],
  totals: 'Yes',
  quotas: 'Yes',
  extraHeaders: [CUSTOM],
};

// An m-mbox-descr carried as an entry of the view: 8C 93 (m-mbox-descr), 8D 93 (1.3), 8B "M1" NUL (Message-ID).
const DESCR_BYTES = hex('8c 93 8d 93 8b 4d 31 00');

const mboxViewConf: MboxViewConf = {
  messageType: 'm-mbox-view-conf',
  transactionId: 'T-view-0001',
  mmsVersion: '1.3',
  responseStatus: 'Ok',
  responseText: 'ok',
  contentLocation: 'http://mmsc.example.net/mbox/',
  mmState: 'New',
  mmFlags: { action: 'Filter', flag: 'Important' },
  start: 0,
  limit: 200,
  attributes: ['to', 'subject'],
  mboxTotals: { unit: 'messages', value: 12 },
  mboxQuotas: { unit: 'size', value: 1048576 },
  messageCount: 12,
  contentType: { mediaType: 'application/vnd.wap.multipart.mixed' },
  parts: [{ contentType: { mediaType: 'application/vnd.wap.mms-message' }, data: DESCR_BYTES }],
};

// The MM of an upload is an M-Send.req-like PDU (see the hand-derived m-send-req below).
const UPLOADED_MM = hex('8c 80 98 31 00 8d 92 89 01 81 97 61 40 62 2e 63 00 84 83 78');

const mboxUploadReq: MboxUploadReq = {
  messageType: 'm-mbox-upload-req',
  transactionId: 'T-up-0001',
  mmsVersion: '1.3',
  mmState: 'Draft',
  mmFlags: { action: 'Add', flag: 'Draft' },
  extraHeaders: [CUSTOM],
  contentType: { mediaType: 'application/vnd.wap.mms-message' },
  body: UPLOADED_MM,
};

const mboxUploadConf: MboxUploadConf = {
  messageType: 'm-mbox-upload-conf',
  transactionId: 'T-up-0001',
  mmsVersion: '1.3',
  contentLocation: 'http://mmsc.example.net/mbox/4',
  storeStatus: 'Success',
  storeStatusText: 'uploaded',
};

const mboxDeleteReq: MboxDeleteReq = {
  messageType: 'm-mbox-delete-req',
  transactionId: 'T-mdel-0001',
  mmsVersion: '1.3',
  contentLocation: 'http://mmsc.example.net/mbox/1',
  extraHeaders: [CUSTOM],
};

// M-Mbox-Delete.conf / M-Delete.conf use the indexed forms (§7.3.10, §7.3.48, §7.3.49).
const mboxDeleteConf: MboxDeleteConf = {
  messageType: 'm-mbox-delete-conf',
  transactionId: 'T-mdel-0001',
  mmsVersion: '1.3',
  contentLocation: { index: 0, value: 'http://mmsc.example.net/mbox/1' },
  responseStatus: { index: 0, value: 'Error-permanent-message-not-found' },
  responseText: { index: 0, value: 'not found' },
};

const mboxDescr: MboxDescr = {
  messageType: 'm-mbox-descr',
  mmsVersion: '1.3',
  contentLocation: 'http://mmsc.example.net/mbox/1',
  messageId: 'MID-20240301-0001',
  mmState: 'Retrieved',
  mmFlags: { action: 'Add', flag: 'Important' },
  date: D1,
  from: ME,
  to: [YOU],
  cc: ['bob@example.com'],
  subject: { charset: 'utf-8', text: 'Grüße aus Köln' },
  messageClass: 'Auto',
  priority: 'Low',
  deliveryTime: D2,
  expiry: D2,
  deliveryReport: 'Yes',
  readReport: 'Yes',
  messageSize: 30720,
  previouslySentBy: [{ count: 1, address: ME }],
  previouslySentDate: [{ count: 1, date: D1 }],
  applicId: 'com.example.app',
  contentClass: 'text',
  drmContent: 'No',
  extraHeaders: [CUSTOM],
  contentType: { mediaType: 'application/vnd.wap.multipart.mixed' },
  parts: [{ contentType: { mediaType: 'text/plain', params: { charset: 'utf-8' } }, contentId: '<t>', data: Buffer.from('preview') }],
};

const deleteReq: DeleteReq = {
  messageType: 'm-delete-req',
  transactionId: 'T-del-0001',
  mmsVersion: '1.3',
  contentLocation: LOC,
};

const deleteConf: DeleteConf = {
  messageType: 'm-delete-conf',
  transactionId: 'T-del-0001',
  mmsVersion: '1.3',
  contentLocation: { index: 1, value: LOC },
  responseStatus: { index: 1, value: 'Ok' },
  responseText: { index: 1, value: { charset: 'utf-8', text: 'gelöscht' } },
  extraHeaders: [CUSTOM],
};

const cancelReq: CancelReq = {
  messageType: 'm-cancel-req',
  transactionId: 'T-cancel-0001',
  mmsVersion: '1.3',
  cancelId: 'MID-20240301-0001',
  extraHeaders: [CUSTOM],
};

const cancelConf: CancelConf = {
  messageType: 'm-cancel-conf',
  transactionId: 'T-cancel-0001',
  mmsVersion: '1.3',
  cancelStatus: 'Cancel-request-successfully-received',
};

const MODELS: MmsPdu[] = [
  sendReq,
  sendConf,
  notificationInd,
  notificationInd2,
  notifyRespInd,
  retrieveConf,
  acknowledgeInd,
  deliveryInd,
  readRecInd,
  readOrigInd,
  forwardReq,
  forwardConf,
  mboxStoreReq,
  mboxStoreConf,
  mboxViewReq,
  mboxViewConf,
  mboxUploadReq,
  mboxUploadConf,
  mboxDeleteReq,
  mboxDeleteConf,
  mboxDescr,
  deleteReq,
  deleteConf,
  cancelReq,
  cancelConf,
];

t.test('hand-built models of every message type round-trip', async (t) => {
  const covered = new Set(MODELS.map((m) => m.messageType));
  for (const [, type] of MESSAGE_TYPES) t.ok(covered.has(type), `a model for ${type}`);
  t.equal(MESSAGE_TYPES.length, 24, 'OMA-TS-MMS_ENC 1.3 defines 24 message types (0x80-0x97)');

  for (const m of MODELS) {
    const fields = m as unknown as Record<string, unknown>;
    // Guard the test data: every model has what §6 makes mandatory.
    const missing = MANDATORY[m.messageType].filter((k) => fields[k] === undefined);
    t.strictSame(missing, [], `${m.messageType}: model has its mandatory fields`);
    let encoded: Buffer;
    try {
      encoded = encodePdu(m);
    } catch (e) {
      t.fail(`${m.messageType}: encodePdu threw ${describe(e)}`);
      continue;
    }
    t.equal(encoded[0], 0x8c, `${m.messageType}: starts with X-Mms-Message-Type`);
    t.equal(encoded[1], MESSAGE_TYPES.find(([, ty]) => ty === m.messageType)![0], `${m.messageType}: type octet`);
    let decoded: MmsPdu;
    try {
      decoded = decodePdu(encoded);
    } catch (e) {
      t.fail(`${m.messageType}: decodePdu of the encoding threw ${describe(e)}; encoding ${encoded.toString('hex')}`);
      continue;
    }
    t.strictSame(decoded, m, `${m.messageType}: decodePdu(encodePdu(m)) is m`);
    t.ok(encodePdu(decoded).equals(encoded), `${m.messageType}: re-encoding gives the same octets`);
  }
});

// ---------------------------------------------------------------------------------------------------------
// Exact octets, derived by hand from OMA-TS-MMS_ENC §7 (field codes of Table 25 with the high bit set,
// value tokens of §7.3) and WAP-230 §8.4 (strings, integers, lengths).
// ---------------------------------------------------------------------------------------------------------

function exact(t: Test, m: MmsPdu, bytes: string, what: string): void {
  const want = hex(bytes);
  let got: Buffer | undefined;
  try {
    got = encodePdu(m);
  } catch (e) {
    t.fail(`${what}: encodePdu threw ${describe(e)}`);
  }
  if (got) t.equal(got.toString('hex'), want.toString('hex'), `${what}: encodePdu gives the hand-derived octets`);
  try {
    t.strictSame(decodePdu(want), m, `${what}: decodePdu of the hand-derived octets gives the model`);
  } catch (e) {
    t.fail(`${what}: decodePdu threw ${describe(e)}`);
  }
}

t.test('exact octets of small PDUs', async (t) => {
  // 8C 83          X-Mms-Message-Type (0x0C) m-notifyresp-ind (0x83)
  // 98 54 31 00    X-Mms-Transaction-ID (0x18) "T1"
  // 8D 93          X-Mms-MMS-Version (0x0D) 1.3 = major 1 in bits 6-4, minor 3 in bits 3-0 -> 0x13 | 0x80
  // 95 81          X-Mms-Status (0x15) Retrieved (0x81)
  // 91 81          X-Mms-Report-Allowed (0x11) No (0x81)
  exact(
    t,
    { messageType: 'm-notifyresp-ind', transactionId: 'T1', mmsVersion: '1.3', status: 'Retrieved', reportAllowed: 'No' },
    '8c 83 98 54 31 00 8d 93 95 81 91 81',
    'm-notifyresp-ind',
  );

  // MMS-Version at the ends of its range (§7.3.34: major in bits 6-4, minor in bits 3-0): 7.15 = 0x7F -> FF,
  // 1.15 = 0x1F -> 9F, 0.0 -> 80.
  for (const [version, octet] of [
    ['7.15', 'ff'],
    ['1.15', '9f'],
    ['0.0', '80'],
  ] as const) {
    exact(
      t,
      { messageType: 'm-acknowledge-ind', transactionId: 'T2', mmsVersion: version },
      `8c 85 98 54 32 00 8d ${octet}`,
      `version ${version}`,
    );
  }
  // Versions the field cannot carry, or not in the model's "major.minor" form.
  for (const version of ['8.0', '1.16', '1.02', '01.2', ' 1.2', '1.2 ', '1', '']) {
    t.throws(
      () => encodePdu({ messageType: 'm-acknowledge-ind', transactionId: 'T2', mmsVersion: version }),
      { code: 'ENCODE_INVALID' },
      `version ${JSON.stringify(version)} refused`,
    );
  }

  // 8C 85 | 98 "T2" 00 | 8D 92 (1.2) | 91 80 (Report-Allowed Yes)
  exact(
    t,
    { messageType: 'm-acknowledge-ind', transactionId: 'T2', mmsVersion: '1.2', reportAllowed: 'Yes' },
    '8c 85 98 54 32 00 8d 92 91 80',
    'm-acknowledge-ind',
  );

  // 8C 81 | 98 "abc" 00 | 8D 90 (1.0) | 92 E1 (Response-Status Error-permanent-service-denied) | 93 "Denied" 00
  exact(
    t,
    {
      messageType: 'm-send-conf',
      transactionId: 'abc',
      mmsVersion: '1.0',
      responseStatus: 'Error-permanent-service-denied',
      responseText: 'Denied',
    },
    '8c 81 98 61 62 63 00 8d 90 92 e1 93 44 65 6e 69 65 64 00',
    'm-send-conf',
  );

  // 8C 82 | 98 "tx" 00 | 8D 93
  // 89 10 80 "+123/TYPE=PLMN" 00   From: Value-length 16 = Address-present-token (0x80) + 14 chars + NUL
  // 96 05 EA 48 C3 A9 00           Subject: Value-length 5, utf-8 (0xEA), "Hé" = 48 C3 A9, NUL
  // 8A 80                          Message-Class Personal
  // 8E 02 78 00                    Message-Size 30720 = 0x7800 as Long-integer
  // 88 05 81 03 01 51 80           Expiry: Value-length 5, Relative-token 0x81, 86400 s = 0x015180 (Long-integer)
  // 83 "http://m/1" 00             X-Mms-Content-Location
  exact(
    t,
    {
      messageType: 'm-notification-ind',
      transactionId: 'tx',
      mmsVersion: '1.3',
      from: '+123/TYPE=PLMN',
      subject: { charset: 'utf-8', text: 'Hé' },
      messageClass: 'Personal',
      messageSize: 30720,
      expiry: 86400,
      contentLocation: 'http://m/1',
    },
    '8c 82 98 74 78 00 8d 93' +
      '89 10 80 2b 31 32 33 2f 54 59 50 45 3d 50 4c 4d 4e 00' +
      '96 05 ea 48 c3 a9 00' +
      '8a 80' +
      '8e 02 78 00' +
      '88 05 81 03 01 51 80' +
      '83 68 74 74 70 3a 2f 2f 6d 2f 31 00',
    'm-notification-ind',
  );

  // Absolute expiry and a textual class: 88 06 80 04 3E 12 2F 80 (Value-length 6, Absolute-token, Date-value
  // 2003-01-01 = 0x3E122F80); 8A "promo" 00 (Token-text)
  exact(
    t,
    {
      messageType: 'm-notification-ind',
      transactionId: 'tx',
      mmsVersion: '1.3',
      messageClass: 'promo',
      messageSize: 1,
      expiry: new Date('2003-01-01T00:00:00Z'),
      contentLocation: 'u',
    },
    '8c 82 98 74 78 00 8d 93 8a 70 72 6f 6d 6f 00 8e 01 01 88 06 80 04 3e 12 2f 80 83 75 00',
    'm-notification-ind, absolute expiry, textual class',
  );

  // 8C 86 | 8D 93 (no Transaction-ID in this type) | 8B "id1" 00 (Message-ID) | 97 "+1/TYPE=PLMN" 00 (To)
  // 85 04 3E 12 2F 80 (Date 2003-01-01) | 95 82 (Status Rejected)
  exact(
    t,
    {
      messageType: 'm-delivery-ind',
      mmsVersion: '1.3',
      messageId: 'id1',
      to: ['+1/TYPE=PLMN'],
      date: new Date('2003-01-01T00:00:00Z'),
      status: 'Rejected',
    },
    '8c 86 8d 93 8b 69 64 31 00 97 2b 31 2f 54 59 50 45 3d 50 4c 4d 4e 00 85 04 3e 12 2f 80 95 82',
    'm-delivery-ind',
  );

  // 8C 84 | 8D 93 | 85 04 3E 12 2F 80 | 84 A3 (Content-Type multipart.mixed, 0x23)
  // multipart: 01 entry; HeadersLen 04, DataLen 02; 03 83 81 EA (text/plain; charset=utf-8); "Hi"
  exact(
    t,
    {
      messageType: 'm-retrieve-conf',
      mmsVersion: '1.3',
      date: new Date('2003-01-01T00:00:00Z'),
      contentType: { mediaType: 'application/vnd.wap.multipart.mixed' },
      parts: [{ contentType: { mediaType: 'text/plain', params: { charset: 'utf-8' } }, data: Buffer.from('Hi') }],
    },
    '8c 84 8d 93 85 04 3e 12 2f 80 84 a3 01 04 02 03 83 81 ea 48 69',
    'm-retrieve-conf',
  );

  // 8C 80 | 98 "1" 00 | 8D 92 | 89 01 81 (From: Value-length 1, Insert-address-token) | 97 "a@b.c" 00
  // 84 83 (Content-Type text/plain) | "x" (body)
  exact(
    t,
    {
      messageType: 'm-send-req',
      transactionId: '1',
      mmsVersion: '1.2',
      from: { insertAddress: true },
      to: ['a@b.c'],
      contentType: { mediaType: 'text/plain' },
      body: Buffer.from('x'),
    },
    '8c 80 98 31 00 8d 92 89 01 81 97 61 40 62 2e 63 00 84 83 78',
    'm-send-req',
  );

  // 8C 95 | 98 "D" 00 | 8D 93
  // 83 03 81 75 00   Content-location-Del-value: Value-length 3, Status-count-value 1 (0x81), "u" NUL
  // 92 02 81 80      Response-Status-Del-value: Value-length 2, index 1, Ok (0x80)
  exact(
    t,
    {
      messageType: 'm-delete-conf',
      transactionId: 'D',
      mmsVersion: '1.3',
      contentLocation: { index: 1, value: 'u' },
      responseStatus: { index: 1, value: 'Ok' },
    },
    '8c 95 98 44 00 8d 93 83 03 81 75 00 92 02 81 80',
    'm-delete-conf',
  );

  // 8C 8D | 98 "V" 00 | 8D 93
  // A8 96 | A8 85    X-Mms-Attributes (0x28): Subject (0x16), Date (0x05) as Short-integers
  // A9 80            X-Mms-Totals Yes
  // AF 80            X-Mms-Start 0 (Integer-Value, short form)
  // B3 01 C8         X-Mms-Limit 200 (Long-integer)
  // AA 04 80 02 01 F4  X-Mms-Mbox-Totals (0x2A): Value-length 4, Message-total-token (0x80), 500 = 02 01 F4
  exact(
    t,
    {
      messageType: 'm-mbox-view-req',
      transactionId: 'V',
      mmsVersion: '1.3',
      attributes: ['subject', 'date'],
      totals: 'Yes',
      start: 0,
      limit: 200,
      mboxTotals: { unit: 'messages', value: 500 },
    },
    '8c 8d 98 56 00 8d 93 a8 96 a8 85 a9 80 af 80 b3 01 c8 aa 04 80 02 01 f4',
    'm-mbox-view-req',
  );

  // 8C 97 | 98 "C" 00 | 8D 93 | BF 81 (X-Mms-Cancel-Status 0x3F: Cancel-request-corrupted)
  exact(
    t,
    { messageType: 'm-cancel-conf', transactionId: 'C', mmsVersion: '1.3', cancelStatus: 'Cancel-request-corrupted' },
    '8c 97 98 43 00 8d 93 bf 81',
    'm-cancel-conf',
  );

  // 8C 8A | 98 "F" 00 | 8D 93 | 92 C3 (Error-transient-network-problem)
  // A0 04 81 2B 31 00        Previously-Sent-By (0x20): Value-length 4, Forwarded-count 1 (0x81), "+1" NUL
  // A1 06 81 04 3E 12 2F 80   Previously-Sent-Date (0x21): Value-length 6, count 1, Date-value 2003-01-01
  // A4 03 80 4B 00            MM-Flags (0x24): Value-length 3, Add-token (0x80), "K" NUL
  exact(
    t,
    {
      messageType: 'm-forward-conf',
      transactionId: 'F',
      mmsVersion: '1.3',
      responseStatus: 'Error-transient-network-problem',
      previouslySentBy: [{ count: 1, address: '+1' }],
      previouslySentDate: [{ count: 1, date: new Date('2003-01-01T00:00:00Z') }],
      mmFlags: { action: 'Add', flag: 'K' },
    },
    '8c 8a 98 46 00 8d 93 92 c3 a0 04 81 2b 31 00 a1 06 81 04 3e 12 2f 80 a4 03 80 4b 00',
    'm-forward-conf with Previously-Sent-By/Date and MM-Flags',
  );
});

// ---------------------------------------------------------------------------------------------------------
// decode -> encode -> decode on inputs the fuzzer found unstable (each is a minimal, valid-enough PDU)
// ---------------------------------------------------------------------------------------------------------

/**
 * What the encoder writes must decode to what it was given. Refusing is acceptable (a PduError from decodePdu
 * of the input, or from encodePdu); writing octets that decode differently, or not at all, is not.
 */
function stable(t: Test, input: Buffer, what: string): void {
  let first: MmsPdu;
  try {
    first = decodePdu(input);
  } catch (e) {
    t.ok(e instanceof PduError, `${what}: input rejected (${describe(e)})`);
    return;
  }
  roundTrips(t, first, what);
}

function roundTrips(t: Test, m: MmsPdu, what: string): void {
  let encoded: Buffer;
  try {
    encoded = encodePdu(m);
  } catch (e) {
    t.ok(e instanceof PduError, `${what}: the encoder refuses the model (${describe(e)})`);
    return;
  }
  try {
    t.strictSame(decodePdu(encoded), m, `${what}: decoding the encoding gives the model back`);
  } catch (e) {
    t.fail(`${what}: the encoding ${encoded.toString('hex')} does not decode: ${describe(e)}`);
  }
}

t.test('re-encoding keeps what was decoded', async (t) => {
  // m-notifyresp-ind (8C 83 98 41 00 8D 93 95 81) + Subject 96 7F 01 41 00: a Text-string with the Quote
  // before an octet < 0x20. Written back without the Quote, 01 would be read as a Value-length.
  stable(t, hex('8c 83 98 41 00 8d 93 95 81 96 7f 01 41 00'), 'quoted Text-string starting with 0x01');
  // The same from a model a caller builds.
  roundTrips(
    t,
    { messageType: 'm-notifyresp-ind', transactionId: 'A', mmsVersion: '1.3', status: 'Retrieved', subject: '\u0001A' },
    'subject starting with U+0001',
  );
  // Content-Type as a Text-string after the Quote, starting with 0x01 (84 7F 01 "x/y" 00).
  stable(t, hex('8c 84 8d 93 85 04 3e 12 2f 80 84 7f 01 78 2f 79 00'), 'quoted media type starting with 0x01');

  // A single-valued field repeated (X-Mms-Status Retrieved, then Rejected) after an application header
  // ("X-A: 1"): the first Status is the one that counts, and must still be the first after re-encoding.
  const repeated = hex('8c 83 98 41 00 8d 93 58 2d 41 00 31 00 95 81 95 82');
  stable(t, repeated, 'repeated Status after an application header');
  try {
    t.equal(decodePdu(encodePdu(decodePdu(repeated))).status, 'Retrieved', 'the effective Status stays Retrieved');
  } catch (e) {
    t.fail(`repeated Status: ${describe(e)}`);
  }

  // m-retrieve-conf (8C 84 8D 93 85 04 3E122F80 84 A3), one entry of type multipart.mixed (A3) whose 4 data
  // octets are 00 41 42 43: a multipart of zero entries followed by "ABC". Nothing here is non-canonical,
  // so re-encoding must give the same octets (and keep "ABC").
  const zeroEntries = hex('8c 84 8d 93 85 04 3e 12 2f 80 84 a3 01 01 04 a3 00 41 42 43');
  t.equal(encodePdu(decodePdu(zeroEntries)).toString('hex'), zeroEntries.toString('hex'), 'nested multipart data kept');
  stable(t, zeroEntries, 'nested multipart with octets after its entries');
  // The same with one real nested entry (01 01 01 83 78 = text/plain "x") followed by "ZZ".
  const trailing = hex('8c 84 8d 93 85 04 3e 12 2f 80 84 a3 01 01 07 a3 01 01 01 83 78 5a 5a');
  t.equal(encodePdu(decodePdu(trailing)).toString('hex'), trailing.toString('hex'), 'octets after nested entries kept');

  // An empty Content-Location in M-Mbox-Store.req: Content-location-value = Uri-value = Text-string, so 83 00
  // is "" (the indexed form exists only in M-Mbox-Delete.conf and M-Delete.conf, §7.3.10).
  // 8C 8B | 98 "T" 00 | 8D 93 | 83 00
  const emptyLocation: MboxStoreReq = { messageType: 'm-mbox-store-req', transactionId: 'T', mmsVersion: '1.3', contentLocation: '' };
  try {
    t.strictSame(decodePdu(hex('8c 8b 98 54 00 8d 93 83 00')), emptyLocation, 'empty Content-Location decodes');
  } catch (e) {
    t.fail(`empty Content-Location (8c8b9854008d938300): ${describe(e)}`);
  }
  roundTrips(t, emptyLocation, 'empty Content-Location');
  // A plain empty Response-Text in M-Delete.conf: refusing it is fine, writing 93 00 that then fails is not.
  roundTrips(
    t,
    { messageType: 'm-delete-conf', transactionId: 'T', mmsVersion: '1.3', responseText: '' },
    'empty Response-Text in m-delete-conf',
  );
});

// ---------------------------------------------------------------------------------------------------------
// Public vectors
// ---------------------------------------------------------------------------------------------------------

const NON_CANONICAL = [
  'mms-engine/test_retrieve__Success2__m-notification.ind', // a NUL after the last header (padding)
  'mmsd/rc-mms-1-3-con-211.mms', // Subject Value-length 30 written as Length-quote 1F 1E
];

t.test('public vectors re-encode to the same octets', async (t) => {
  if (!fs.existsSync(vectorDir)) {
    t.fail(`vector directory missing: ${vectorDir}`);
    return;
  }
  const names: string[] = [];
  for (const sub of ['mmsd', 'mms-engine']) {
    for (const f of fs.readdirSync(path.join(vectorDir, sub)).sort()) {
      if (f.endsWith('.txt') || /garbage|UnparsableResp|\.html$/.test(f)) continue;
      names.push(`${sub}/${f}`);
    }
  }
  t.ok(names.length > 50, `${names.length} positive vectors`);
  for (const n of NON_CANONICAL) t.ok(names.includes(n), `${n} is present`);

  const differing: string[] = [];
  for (const name of names) {
    const b = fs.readFileSync(path.join(vectorDir, name));
    let model: MmsPdu;
    let encoded: Buffer;
    try {
      model = decodePdu(b);
      encoded = encodePdu(model);
    } catch (e) {
      t.fail(`${name}: ${describe(e)}`);
      differing.push(name);
      continue;
    }
    if (!encoded.equals(b)) {
      differing.push(name);
      if (!NON_CANONICAL.includes(name)) {
        let i = 0;
        while (i < b.length && b[i] === encoded[i]) i++;
        t.fail(`${name}: re-encoding differs from offset ${i} (${b.length} -> ${encoded.length} octets)`);
      }
    }
    // Whatever the octets, the model survives another round.
    try {
      t.strictSame(decodePdu(encoded), model, `${name}: decode -> encode -> decode gives the same model`);
    } catch (e) {
      t.fail(`${name}: re-encoding does not decode: ${describe(e)}`);
    }
  }
  t.strictSame(differing.sort(), [...NON_CANONICAL].sort(), 'only the two documented vectors re-encode differently');

  // What exactly changes in those two.
  const pad = fs.readFileSync(path.join(vectorDir, NON_CANONICAL[0]!));
  t.equal(pad[pad.length - 1], 0x00, 'Success2 notification: ends with a NUL after the Bcc NUL');
  t.equal(pad[pad.length - 2], 0x00, 'Success2 notification: (the Bcc Text-string terminator)');
  t.equal(
    encodePdu(decodePdu(pad)).toString('hex'),
    pad.subarray(0, pad.length - 1).toString('hex'),
    'Success2 notification: re-encoded without the padding NUL',
  );
  const quoted = fs.readFileSync(path.join(vectorDir, NON_CANONICAL[1]!));
  // Offset 0x17 Subject (96), 0x18 Length-quote (1F), 0x19 uintvar 30 (1E): a Short-length 1E suffices.
  t.equal(quoted.subarray(0x17, 0x1a).toString('hex'), '961f1e', 'rc-211: Subject with Length-quote 1F 1E');
  t.equal(
    encodePdu(decodePdu(quoted)).toString('hex'),
    Buffer.concat([quoted.subarray(0, 0x18), quoted.subarray(0x19)]).toString('hex'),
    'rc-211: re-encoded with the Short-length 1E',
  );
});
