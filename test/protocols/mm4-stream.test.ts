// parseMm4 over an async iterable (the MM4 listener's DATA as it arrives): the header block is found across
// any chunking, a forward's leaves go to the caller's sinks once its header fields are read, and an endless
// header block stops at maxHeaderBytes without reading on.
import t from 'tap';
import { Mm4Error, parseMm4, type Mm4ForwardHead } from '../../protocols/mm4/index.js';

const IMAGE = Buffer.from([0, 1, 2, 250, 251, 252, 255, 10, 13, 0x2d, 0x2d]);
const RAW = Buffer.from(
  [
    'X-Mms-3GPP-MMS-Version: 6.10.0',
    'X-Mms-Message-Type: MM4_forward.REQ',
    'X-Mms-Transaction-ID: tx-1',
    'X-Mms-Message-ID: "m-1@peer"',
    'From: +15559998888/TYPE=PLMN@peer.example',
    'To: +15550001111/TYPE=PLMN@mms.example,',
    ' +15550002222/TYPE=PLMN@mms.example',
    'Content-Type: multipart/mixed; boundary=zz',
    '',
    '--zz',
    'Content-Type: text/plain',
    '',
    'hello',
    '--zz',
    'Content-Type: image/png',
    'Content-Transfer-Encoding: base64',
    '',
    IMAGE.toString('base64'),
    '--zz--',
    '',
  ].join('\r\n'),
  'latin1',
);

async function* chunked(b: Buffer, size: number): AsyncIterable<Buffer> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

for (const size of [1, 2, 3, 7, 64, RAW.length]) {
  t.test(`in chunks of ${size} bytes`, async (t) => {
    const seen: Buffer[][] = [];
    let head: Mm4ForwardHead | undefined;
    const msg = await parseMm4(chunked(RAW, size), {
      content: async (h) => {
        head = h;
        return {
          leaf: () => {
            const pieces: Buffer[] = [];
            seen.push(pieces);
            return { write: (b) => pieces.push(Buffer.from(b)), end: () => undefined };
          },
        };
      },
    });
    t.equal(head?.messageId, '"m-1@peer"', 'the head is read before the body');
    t.equal(head?.to.length, 2, 'a folded To');
    t.equal(msg.type, 'MM4_forward.REQ');
    t.strictSame(
      seen.map((p) => Buffer.concat(p).toString('latin1')),
      ['hello', IMAGE.toString('latin1')],
      'each leaf decoded, to its sink',
    );
    if (msg.type !== 'MM4_forward.REQ' || !('parts' in msg.content)) throw new Error('not a multipart forward');
    t.strictSame(
      msg.content.parts.map((p) => ('parts' in p ? -1 : [p.body.length, p.streamedBytes])),
      [
        [0, 5],
        [0, IMAGE.length],
      ],
      'the parts keep their sizes, not their bodies',
    );
  });
}

t.test('a header block without end stops at maxHeaderBytes, the rest unread', async (t) => {
  let read = 0;
  async function* endless(): AsyncIterable<Buffer> {
    for (;;) {
      read++;
      yield Buffer.from('X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n');
    }
  }
  const err = await parseMm4(endless(), { limits: { maxHeaderBytes: 4096 } }).catch((e: unknown) => e);
  t.ok(err instanceof Mm4Error && err.code === 'HEADER_TOO_LARGE', 'HEADER_TOO_LARGE');
  t.ok(read < 100, `${read} chunks read for a 4 KiB limit`);
});

t.test('a report read from a stream leaves its body unread', async (t) => {
  const report = Buffer.from(
    'X-Mms-3GPP-MMS-Version: 6.10.0\r\nX-Mms-Message-Type: MM4_forward.RES\r\nX-Mms-Transaction-ID: tx-9\r\n' +
      'X-Mms-Request-Status-Code: Ok\r\n\r\nbody text\r\n',
    'latin1',
  );
  const msg = await parseMm4(chunked(report, 5));
  t.equal(msg.type, 'MM4_forward.RES');
  t.equal(msg.transactionId, 'tx-9');
});
