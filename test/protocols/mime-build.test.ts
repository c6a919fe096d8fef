// buildMultipart: exact output for a small message (written by hand from RFC 2046 §5.1.1 and RFC 2045 §6.8),
// and buildMultipart -> parseMultipart round trips with binary and nested parts.
import t from 'tap';
import { buildMultipart, findPart, parseMultipart, startPart } from '../../protocols/mime/index.js';
import type { MimeEntity } from '../../protocols/mime/index.js';

async function* once(b: Buffer): AsyncGenerator<Buffer> {
  yield b;
}
const boundaries = (d: number): string => ['outer=_0', 'inner=_1'][d] ?? `b${d}`;

t.test('exact bytes', async (t) => {
  const out = buildMultipart(
    'multipart/related',
    { type: 'text/xml', start: '<soap>' },
    [
      { contentType: 'text/xml; charset=utf-8', contentId: 'soap', body: Buffer.from('<a>é</a>') },
      {
        contentType: { type: 'image/gif', params: {} },
        contentId: '<img>',
        contentLocation: 'i.gif',
        body: Buffer.from([0, 1, 2, 0xff]),
        headers: [{ name: 'X-Note', value: 'hi' }],
      },
    ],
    boundaries,
  );
  t.equal(out.contentType, 'multipart/related; boundary="outer=_0"; type="text/xml"; start="<soap>"');
  t.equal(
    out.body.toString('latin1'),
    Buffer.from(
      '--outer=_0\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\nContent-ID: <soap>\r\n\r\n<a>é</a>\r\n' +
        '--outer=_0\r\nContent-Type: image/gif\r\nContent-Transfer-Encoding: base64\r\nContent-ID: <img>\r\nContent-Location: i.gif\r\nX-Note: hi\r\n\r\nAAEC/w==\r\n' +
        '--outer=_0--\r\n',
    ).toString('latin1'),
  );
});

t.test('round trip: text, binary, nested multipart', async (t) => {
  const binary = Buffer.alloc(1000);
  for (let i = 0; i < binary.length; i++) binary[i] = (i * 37 + 11) & 0xff;
  const longLine = Buffer.from('x'.repeat(999));
  const withNul = Buffer.from('a\0b');
  const crlfEnd = Buffer.from('line\r\n\r\n');
  const out = buildMultipart(
    'multipart/related',
    { type: 'text/xml', start: '<soap@x>' },
    [
      {
        contentType: 'text/xml; charset=utf-8',
        contentId: 'soap@x',
        body: Buffer.from('<?xml version="1.0"?>\n<Envelope>\n</Envelope>\n'),
      },
      {
        contentType: 'multipart/related',
        contentId: 'content@x',
        multipart: {
          type: 'multipart/related',
          params: { type: 'application/smil', start: '<smil>' },
          parts: [
            { contentType: 'application/smil', contentId: 'smil', body: Buffer.from('<smil><body/></smil>') },
            { contentType: 'image/png', contentId: 'bin', contentLocation: 'bin.png', body: binary },
            { contentType: 'text/plain; charset=utf-8', contentId: 'long', body: longLine },
            { contentType: 'text/plain', contentId: 'nul', body: withNul },
            { contentType: 'text/plain', contentId: 'empty', body: Buffer.alloc(0) },
            { contentType: 'text/plain', contentId: 'crlf', body: crlfEnd },
          ],
        },
      },
    ],
    boundaries,
  );
  const root = await parseMultipart(once(out.body), out.contentType);
  t.equal(root.contentType.params['boundary'], 'outer=_0');
  t.equal(root.parts?.length, 2);
  const soap = startPart(root);
  t.equal(soap?.contentId, 'soap@x');
  t.equal(soap?.transferEncoding, '8bit');
  t.equal(soap?.body?.toString(), '<?xml version="1.0"?>\n<Envelope>\n</Envelope>\n');
  const content = findPart(root, 'cid:content@x');
  t.equal(content?.contentType.type, 'multipart/related');
  t.equal(content?.contentType.params['boundary'], 'inner=_1', 'depth 1 boundary');
  t.equal(content?.parts?.length, 6);
  t.equal(startPart(content as MimeEntity)?.contentId, 'smil');
  t.equal(findPart(root, 'cid:smil')?.transferEncoding, '8bit', 'application/smil is text');
  const bin = findPart(root, 'bin.png');
  t.equal(bin?.transferEncoding, 'base64');
  t.ok(bin?.body?.equals(binary), 'binary part byte-exact');
  t.ok(
    out.body
      .toString('latin1')
      .split('\r\n')
      .every((l) => l.length <= 998),
    'no line over 998',
  );
  t.equal(findPart(root, 'cid:long')?.transferEncoding, 'base64', '999-byte line: base64');
  t.ok(findPart(root, 'cid:long')?.body?.equals(longLine));
  t.equal(findPart(root, 'cid:nul')?.transferEncoding, 'base64', 'NUL: base64');
  t.ok(findPart(root, 'cid:nul')?.body?.equals(withNul));
  t.equal(findPart(root, 'cid:empty')?.body?.length, 0);
  t.ok(findPart(root, 'cid:crlf')?.body?.equals(crlfEnd), 'trailing line breaks survive');
  t.ok(/^--inner=_1\r\n/m.test(out.body.toString('latin1')), 'inner boundary on its own line');
});

t.test('refuses what it cannot write', async (t) => {
  const part = { contentType: 'text/plain', body: Buffer.from('x') };
  t.throws(() => buildMultipart('text/plain', {}, [part], boundaries), RangeError, 'not multipart');
  t.throws(() => buildMultipart('multipart/mixed', {}, [], boundaries), RangeError, 'no parts');
  t.throws(() => buildMultipart('multipart/mixed', {}, [part], () => ''), RangeError, 'empty boundary');
  t.throws(() => buildMultipart('multipart/mixed', {}, [part], () => 'x'.repeat(71)), RangeError, 'boundary over 70');
  t.throws(() => buildMultipart('multipart/mixed', {}, [part], () => 'ends '), RangeError, 'boundary ending in a space');
  t.throws(
    () => buildMultipart('multipart/mixed', {}, [{ ...part, body: Buffer.from('a\r\n--abc\r\n') }], () => 'abc'),
    RangeError,
    'boundary inside a part',
  );
  t.throws(
    () => buildMultipart('multipart/mixed', {}, [{ ...part, contentId: 'a\r\nX: y' }], boundaries),
    RangeError,
    'line break in Content-ID',
  );
  t.throws(
    () => buildMultipart('multipart/mixed', {}, [{ ...part, headers: [{ name: 'Content-Type', value: 'x/y' }] }], boundaries),
    RangeError,
    'own field in headers',
  );
  t.throws(
    () =>
      buildMultipart(
        'multipart/mixed',
        {},
        [{ contentType: 'multipart/mixed', multipart: { type: 'multipart/related', params: {}, parts: [part] } }],
        boundaries,
      ),
    RangeError,
    'nested type mismatch',
  );
  t.throws(
    () =>
      buildMultipart(
        'multipart/mixed',
        {},
        [{ contentType: 'multipart/mixed', multipart: { type: 'multipart/mixed', params: {}, parts: [part] } }],
        () => 'same',
      ),
    RangeError,
    'nested boundary equal to the outer one',
  );
});
