// encodePduChunks (the retrieval's zero-copy encoding): its chunks concatenated are encodePdu's octets for
// every public vector, large part data go out as the caller's own buffers, and a Value-length never spans one.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { decodePdu, encodePdu, encodePduChunks, type RetrieveConf } from '../../protocols/mms/index.js';

const vectorDir = path.join(import.meta.dirname, '../../conformance/vectors/pdu');

t.test('chunks concatenate to encodePdu for every public vector', async (t) => {
  let n = 0;
  let referenced = 0;
  for (const sub of ['mmsd', 'mms-engine']) {
    for (const f of fs.readdirSync(path.join(vectorDir, sub)).sort()) {
      if (f.endsWith('.txt') || /garbage|UnparsableResp|\.html$/.test(f)) continue;
      let pdu: ReturnType<typeof decodePdu>;
      try {
        pdu = decodePdu(fs.readFileSync(path.join(vectorDir, sub, f)));
      } catch {
        continue;
      }
      const chunks = encodePduChunks(pdu);
      t.same(Buffer.concat(chunks), encodePdu(pdu), `${sub}/${f}`);
      for (const p of pdu.parts ?? []) if (p.data.length >= 2048 && chunks.includes(p.data)) referenced++;
      n++;
    }
  }
  t.ok(n > 50, `${n} vectors`);
  t.ok(referenced >= 4, `${referenced} part data sent by reference`);
});

t.test('a 100 KB part is one chunk, not a copy; small parts are copied', async (t) => {
  const big = Buffer.alloc(100_000, 0xab);
  const small = Buffer.from('hello');
  const pdu: RetrieveConf = {
    messageType: 'm-retrieve-conf',
    transactionId: 'T1',
    mmsVersion: '1.2',
    date: new Date(1_700_000_000_000),
    contentType: { mediaType: 'application/vnd.wap.multipart.mixed' },
    parts: [
      { contentType: { mediaType: 'text/plain' }, data: small },
      { contentType: { mediaType: 'image/jpeg' }, data: big },
    ],
  };
  const chunks = encodePduChunks(pdu);
  t.equal(chunks.length, 2, 'headers and small part, then the big part');
  t.equal(chunks[1], big, 'the caller buffer itself');
  t.notOk(chunks.includes(small), 'the small part copied');
  t.same(Buffer.concat(chunks), encodePdu(pdu));
});

t.test('raw charset text of 3,000 octets inside a Value-length is written in place', async (t) => {
  const raw = Buffer.alloc(3000, 0x41);
  const pdu: RetrieveConf = {
    messageType: 'm-retrieve-conf',
    mmsVersion: '1.2',
    date: new Date(1_700_000_000_000),
    subject: { charset: 'utf-8', text: 'x', raw },
    contentType: { mediaType: 'text/plain' },
    body: Buffer.alloc(4096, 0x42),
  };
  const chunks = encodePduChunks(pdu);
  t.equal(chunks.length, 2, 'headers with the subject, then the body');
  t.same(Buffer.concat(chunks), encodePdu(pdu));
  t.equal(decodePdu(Buffer.concat(chunks)).subject && typeof decodePdu(Buffer.concat(chunks)).subject, 'object');
});
