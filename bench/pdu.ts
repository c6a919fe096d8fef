/**
 * PDU codec benchmark (issue: >= 1,000,000 m-notification-ind decodes/s and encodes/s, >= 200,000
 * m-retrieve-conf decodes/s on one core). Prints ops/s and MB/s per case, and how many public vectors
 * decode. Run with `npm run bench`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodePdu, encodePdu, PduError, type MmsPdu, type Part } from '../protocols/mms/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const vectors = resolve(root, 'conformance', 'vectors');

interface Result {
  name: string;
  bytes: number;
  opsPerSec: number;
}

/** Run fn in batches until `seconds` have passed (after a warm-up); return operations per second. */
function measure(fn: () => unknown, seconds = 1.5): number {
  for (let i = 0; i < 20_000; i++) fn();
  let ops = 0;
  const start = process.hrtime.bigint();
  const limit = BigInt(Math.round(seconds * 1e9));
  let elapsed = 0n;
  while (elapsed < limit) {
    for (let i = 0; i < 10_000; i++) fn();
    ops += 10_000;
    elapsed = process.hrtime.bigint() - start;
  }
  return ops / (Number(elapsed) / 1e9);
}

function report(r: Result): void {
  const mbs = (r.opsPerSec * r.bytes) / 1e6;
  console.log(
    `${r.name.padEnd(40)} ${String(r.bytes).padStart(7)} B  ${Math.round(r.opsPerSec).toLocaleString('en').padStart(11)} ops/s  ${mbs.toFixed(1).padStart(8)} MB/s`,
  );
}

// A real operator notification (mms-engine vectors), ~120 bytes.
const notification = readFileSync(join(vectors, 'pdu/mms-engine/test_mms_codec__m-notification_1.ind'));
const notificationModel = decodePdu(notification);

// An m-send-req whose header set is ~1 KB: 36 recipients, charset subject, the usual flags, one text part.
const sendReq: MmsPdu = {
  messageType: 'm-send-req',
  transactionId: 'T0123456789abcdef0123',
  mmsVersion: '1.3',
  date: new Date('2026-11-25T10:00:00Z'),
  from: { insertAddress: true },
  to: Array.from({ length: 24 }, (_, i) => `+1555000${String(i).padStart(4, '0')}/TYPE=PLMN`),
  cc: Array.from({ length: 12 }, (_, i) => `user${i}@example.com`),
  subject: { charset: 'utf-8', text: 'Grüße aus dem Benchmark — ein ziemlich langer Betreff' },
  messageClass: 'Personal',
  expiry: 604800,
  deliveryReport: 'Yes',
  readReport: 'No',
  priority: 'Normal',
  senderVisibility: 'Show',
  contentType: { mediaType: 'application/vnd.wap.multipart.mixed' },
  parts: [
    { contentType: { mediaType: 'text/plain', params: { charset: 'utf-8' } }, contentLocation: 'text.txt', data: Buffer.from('hello') },
  ],
};
const sendReqBytes = encodePdu(sendReq);

// A 300 KB m-retrieve-conf: SMIL + JPEG + text in multipart/related.
const smil = Buffer.from(
  '<smil><head><layout><root-layout/><region id="Image" top="0" height="70%"/><region id="Text" top="70%" height="30%"/></layout></head>' +
    '<body><par dur="5s"><img src="cid:image" region="Image"/><text src="cid:text" region="Text"/></par></body></smil>',
);
const jpeg = Buffer.alloc(300 * 1024 - 600, 0x5a);
jpeg.set([0xff, 0xd8, 0xff, 0xe0], 0);
const parts: Part[] = [
  { contentType: { mediaType: 'application/smil', params: { name: 'smil.xml' } }, contentId: '<smil>', data: smil },
  {
    contentType: { mediaType: 'image/jpeg', params: { name: 'photo.jpg' } },
    contentId: '<image>',
    contentLocation: 'photo.jpg',
    data: jpeg,
  },
  {
    contentType: { mediaType: 'text/plain', params: { charset: 'utf-8', name: 'text.txt' } },
    contentId: '<text>',
    data: Buffer.from('Greetings from the benchmark'),
  },
];
const retrieveConf: MmsPdu = {
  messageType: 'm-retrieve-conf',
  transactionId: 'R0123456789',
  mmsVersion: '1.3',
  messageId: 'M-20261125-000001@mmsc.example.net',
  date: new Date('2026-11-25T10:00:00Z'),
  from: '+15551230000/TYPE=PLMN',
  to: ['+15551239999/TYPE=PLMN'],
  subject: 'Photo',
  messageClass: 'Personal',
  priority: 'Normal',
  contentType: { mediaType: 'application/vnd.wap.multipart.related', params: { type: 'application/smil', start: '<smil>' } },
  parts,
};
const retrieveBytes = encodePdu(retrieveConf);

console.log(`node ${process.version}, one core (this process), ${new Date().toISOString()}`);
report({ name: 'm-notification-ind decode', bytes: notification.length, opsPerSec: measure(() => decodePdu(notification)) });
report({ name: 'm-notification-ind encode', bytes: notification.length, opsPerSec: measure(() => encodePdu(notificationModel)) });
report({ name: 'm-send-req (~1 KB headers) decode', bytes: sendReqBytes.length, opsPerSec: measure(() => decodePdu(sendReqBytes)) });
report({ name: 'm-send-req (~1 KB headers) encode', bytes: sendReqBytes.length, opsPerSec: measure(() => encodePdu(sendReq)) });
report({ name: 'm-retrieve-conf 300 KB decode', bytes: retrieveBytes.length, opsPerSec: measure(() => decodePdu(retrieveBytes)) });
report({ name: 'm-retrieve-conf 300 KB encode', bytes: retrieveBytes.length, opsPerSec: measure(() => encodePdu(retrieveConf), 1) });

// Every public vector: positives must decode, negatives must be rejected with a PduError.
let decoded = 0;
let positives = 0;
let rejected = 0;
let negatives = 0;
for (const dir of readdirSync(join(vectors, 'pdu'))) {
  for (const f of readdirSync(join(vectors, 'pdu', dir))) {
    if (f.endsWith('.txt')) continue;
    const negative = /garbage|Unparsable|\.html$/.test(f);
    const buf = readFileSync(join(vectors, 'pdu', dir, f));
    if (negative) negatives++;
    else positives++;
    try {
      decodePdu(buf);
      if (!negative) decoded++;
    } catch (e) {
      if (!(e instanceof PduError)) throw e;
      if (negative) rejected++;
    }
  }
}
console.log(`public vectors: ${decoded}/${positives} decoded, ${rejected}/${negatives} negative inputs rejected`);
