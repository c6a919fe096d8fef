// parseMultipart / parseSinglePart (RFC 2046 §5.1): the liberal forms real MM7 senders use, and hostile input,
// which must end in a MimeError with the right code, quickly, without reading more than it must.
// Inputs are written by hand; expected bodies are read off the inputs.
import t from 'tap';
import type { Test } from 'tap';
import { MimeError, parseMultipart, parseSinglePart } from '../../protocols/mime/index.js';
import type { MimeEntity, MimeErrorCode, MimeLimits } from '../../protocols/mime/index.js';
import { VECTORS } from '../helpers/paths.js';
import { prng } from '../helpers/prng.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';

async function* once(b: Buffer | string): AsyncGenerator<Buffer> {
  yield Buffer.from(b);
}

/** An iterable that records how many chunks were pulled and whether it was closed. */
function counted(make: (i: number) => Buffer | undefined): { iter: AsyncIterable<Buffer>; pulled: () => number; closed: () => boolean } {
  let pulled = 0;
  let closed = false;
  const iter = (async function* () {
    try {
      for (let i = 0; ; i++) {
        const c = make(i);
        if (c === undefined) return;
        pulled++;
        yield c;
      }
    } finally {
      closed = true;
    }
  })();
  return { iter, pulled: () => pulled, closed: () => closed };
}

async function expectMimeError(tt: Test, p: Promise<unknown>, code: MimeErrorCode, what: string): Promise<void> {
  try {
    await p;
  } catch (e) {
    tt.ok(e instanceof MimeError, `${what}: a MimeError`);
    if (e instanceof MimeError) {
      tt.equal(e.code, code, `${what}: ${code}`);
      tt.equal(e.name, 'MimeError');
    } else tt.error(e);
    return;
  }
  tt.fail(`${what}: expected MimeError ${code}`);
}

const parse = (body: string | Buffer, ct = 'multipart/mixed; boundary=b', limits?: Partial<MimeLimits>): Promise<MimeEntity> =>
  parseMultipart(once(body), ct, limits);
const bodies = (e: MimeEntity): string[] => (e.parts ?? []).map((p) => p.body?.toString('latin1') ?? '<multipart>');

t.test('liberal: the forms RFC 2046 allows and the ones senders use anyway', async (t) => {
  const crlf = await parse('--b\r\nContent-Type: text/plain\r\n\r\none\r\n--b\r\n\r\ntwo\r\n--b--\r\n');
  t.same(bodies(crlf), ['one', 'two'], 'CRLF');
  t.same(crlf.parts?.[1]?.contentType, { type: 'text/plain', params: { charset: 'us-ascii' } }, 'no Content-Type: RFC 2045 §5.2 default');
  t.same(bodies(await parse('--b\nContent-Type: text/plain\n\none\n--b\n\ntwo\n--b--\n')), ['one', 'two'], 'bare LF');
  t.same(bodies(await parse('--b \t\r\n\r\none\r\n--b  \r\n\r\ntwo\r\n--b-- \r\n')), ['one', 'two'], 'transport padding after boundaries');
  t.same(
    bodies(await parse('This is a preamble.\r\n--b not a delimiter\r\n--b\r\n\r\none\r\n--b--\r\nepilogue\r\n--b\r\nmore epilogue')),
    ['one'],
    'preamble (with a look-alike line) and epilogue (with a delimiter-like line) ignored',
  );
  t.same(bodies(await parse('--b\r\n\r\none\r\n--b--')), ['one'], 'no CRLF after the close delimiter');
  t.same(
    bodies(await parse('--b\r\n\r\none\r\n--bb\r\n--b-x\r\n--b--\r\n')),
    ['one\r\n--bb\r\n--b-x'],
    'lines that only start like a delimiter are body',
  );
  t.same(bodies(await parse('--b\r\n\r\n\r\n--b\r\n\r\n--b--\r\n')), ['', ''], 'empty bodies, with and without the line');
  t.same(bodies(await parse('--b\r\n\r\nline1\r\n\r\n--b--\r\n')), ['line1\r\n'], 'only the last line break belongs to the delimiter');
  t.same(bodies(await parse('--b\r\n\r\na\rb\r\r\n--b--\r\n')), ['a\rb\r'], 'bare CRs are data');
  const q = await parse('--a b\r\n\r\nx\r\n--a b--\r\n', 'Multipart/Mixed; BOUNDARY="a b"');
  t.same(bodies(q), ['x'], 'quoted boundary with a space, upper-case type and parameter name');
  t.equal(q.contentType.type, 'multipart/mixed');

  const h = await parse(
    '--b\r\ncontent-TYPE: text/xml;\r\n\tcharset="utf-8"\r\nContent-ID:<a@b>\r\nX-Folded: one\r\n two\r\n  three\r\nContent-Location : loc.xml\r\n\r\n<x/>\r\n--b--\r\n',
  );
  const p = h.parts?.[0] as MimeEntity;
  t.same(p.contentType, { type: 'text/xml', params: { charset: 'utf-8' } }, 'folded Content-Type, name in any case');
  t.equal(p.contentId, 'a@b', 'Content-ID without a space after the colon, <> removed');
  t.equal(p.headers.get('x-folded'), 'one two  three', 'unfolded: line breaks removed, white space kept');
  t.equal(p.contentLocation, 'loc.xml', 'white space before the colon');
  t.same(
    p.headers.entries().map((e) => e.name),
    ['content-TYPE', 'Content-ID', 'X-Folded', 'Content-Location'],
    'names as received',
  );
  t.same(bodies(await parse('--b\r\nContent-Type: text/plain\r\n--b--\r\n')), [''], 'a header block ended by a delimiter: empty body');
  const digest = await parse('--b\r\n\r\nFrom: x\r\n\r\nhi\r\n--b--\r\n', 'multipart/digest; boundary=b');
  t.equal(digest.parts?.[0]?.contentType.type, 'message/rfc822', 'RFC 2046 §5.1.5 default in a digest');
  t.equal(digest.parts?.[0]?.body?.toString(), 'From: x\r\n\r\nhi', 'message/rfc822 is kept as bytes');
  const bad = await parse('--b\r\nContent-Type: text/plain; charset="unterminated\r\n\r\nx\r\n--b--\r\n');
  t.same(
    bad.parts?.[0]?.contentType,
    { type: 'text/plain', params: { charset: 'us-ascii' } },
    'invalid part Content-Type: the default (RFC 2045 §5.2)',
  );
  const given = await parseMultipart(once('--b\r\n\r\nx\r\n--b--'), { type: 'multipart/related', params: { boundary: 'b', start: '<x>' } });
  t.same(given.contentType, { type: 'multipart/related', params: { boundary: 'b', start: '<x>' } }, 'parsed ContentType accepted');
});

t.test('transfer encodings', async (t) => {
  const r = await parse(
    '--b\r\nContent-Transfer-Encoding: base64\r\n\r\nSGVs$bG8g\r\nd29y bGQ=\r\n--b\r\nContent-Transfer-Encoding: Base64\r\n\r\nSGk=SGk=\r\n' +
      '--b\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9 =\r\nsoft  \r\nx=3d=3D=ZZ\r\n--b\r\nContent-Transfer-Encoding: 8BIT\r\n\r\n\xe9\r\n--b--\r\n',
  );
  // Documented choice: invalid base64 is decoded leniently (RFC 2045 §6.8: characters outside the alphabet are ignored).
  t.equal(r.parts?.[0]?.body?.toString(), 'Hello world', 'non-alphabet characters ignored');
  t.equal(r.parts?.[1]?.body?.toString(), 'HiHi', 'decoding continues after padding');
  t.equal(r.parts?.[2]?.body?.toString('utf8'), 'café soft\r\nx===ZZ', 'quoted-printable: =XX, soft break, trailing space, bad "=" kept');
  t.equal(r.parts?.[3]?.transferEncoding, '8bit');
  t.same([...(r.parts?.[3]?.body ?? [])], [0xc3, 0xa9], '8bit bytes untouched (the string was UTF-8 encoded)');
  await expectMimeError(t, parse('--b\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nx\r\n--b--\r\n'), 'BAD_ENCODING', 'unknown encoding');
  await expectMimeError(
    t,
    parse(
      '--b\r\nContent-Type: multipart/mixed; boundary=c\r\nContent-Transfer-Encoding: base64\r\n\r\n--c\r\n\r\nx\r\n--c--\r\n--b--\r\n',
    ),
    'BAD_ENCODING',
    'base64 multipart (RFC 2045 §6.4)',
  );
  const single = await parseSinglePart(once('PHg+PC94Pg=='), 'text/xml; charset=utf-8', 'BASE64');
  t.equal(single.body?.toString(), '<x></x>');
  t.same(single.contentType, { type: 'text/xml', params: { charset: 'utf-8' } });
  t.equal(single.transferEncoding, 'base64');
  t.equal((await parseSinglePart(once('<a/>'), 'text/xml')).body?.toString(), '<a/>', 'default 7bit');
  await expectMimeError(t, parseSinglePart(once('x'), 'text/xml', 'gzip'), 'BAD_ENCODING', 'single part, unknown encoding');
  await expectMimeError(t, parseSinglePart(once('x'), 'text', '7bit'), 'BAD_CONTENT_TYPE', 'single part, bad type');
});

t.test('structure errors', async (t) => {
  await expectMimeError(t, parse('--b\r\n\r\none\r\n'), 'MALFORMED', 'no closing boundary');
  await expectMimeError(t, parse('--b\r\n\r\none\r\n--b\r\n'), 'MALFORMED', 'ends after a delimiter');
  await expectMimeError(t, parse(''), 'MALFORMED', 'empty body');
  await expectMimeError(t, parse('just text\r\n'), 'MALFORMED', 'no opening boundary');
  await expectMimeError(t, parse('--c\r\n\r\nx\r\n--c--\r\n'), 'MALFORMED', 'another boundary');
  await expectMimeError(t, parse('--b--\r\n'), 'MALFORMED', 'close delimiter before any part');
  await expectMimeError(t, parse('--b\r\n<?xml version="1.0"?>\r\n\r\nx\r\n--b--\r\n'), 'MALFORMED', 'garbage where headers should be');
  await expectMimeError(t, parse('--b\r\n continued\r\n\r\nx\r\n--b--\r\n'), 'MALFORMED', 'header block starts with a continuation');
  await expectMimeError(
    t,
    parse('--b\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\n\r\nx\r\n--b--\r\n'),
    'MALFORMED',
    'inner multipart never closed (its last part swallows the outer close)',
  );
  await expectMimeError(
    t,
    parse('--b\r\nContent-Type: multipart/mixed; boundary=c\r\n--b--\r\n'),
    'MALFORMED',
    'multipart part without a body',
  );
  await expectMimeError(
    t,
    parse('--b\r\nContent-Type: multipart/mixed\r\n\r\nx\r\n--b--\r\n'),
    'NO_BOUNDARY',
    'nested multipart without boundary',
  );
  await expectMimeError(t, parse('--b--', 'multipart/related'), 'NO_BOUNDARY', 'root without boundary');
  await expectMimeError(t, parse('--b--', 'multipart/related; boundary=""'), 'NO_BOUNDARY', 'empty boundary');
  await expectMimeError(t, parse('x', 'text/xml'), 'BAD_CONTENT_TYPE', 'not multipart');
  await expectMimeError(t, parse('x', 'multipart'), 'BAD_CONTENT_TYPE', 'no subtype');
  await expectMimeError(
    t,
    parse('x', 'multipart/mixed; boundary="' + 'x'.repeat(1000) + '"'),
    'BAD_CONTENT_TYPE',
    'boundary of 1000 characters',
  );
});

t.test('truncated at every offset: only MimeError MALFORMED, success only once the close delimiter is complete', async (t) => {
  const file = readFileSync(path.join(VECTORS, 'mm7', 'instantcom-mm7', 'deliver-req2.txt'));
  const ct = 'multipart/related; boundary="NextPart_000_0125_01C19839.7237929064"';
  const closeEnd = file.lastIndexOf('--NextPart_000_0125_01C19839.7237929064--') + '--NextPart_000_0125_01C19839.7237929064--'.length;
  const codes = new Map<string, number>();
  let ok = 0;
  let wrong = 0;
  for (let n = 0; n <= file.length; n++) {
    try {
      const r = await parseMultipart(once(file.subarray(0, n)), ct);
      if (n >= closeEnd && r.parts?.length === 2) ok++;
      else wrong++;
    } catch (e) {
      const code = e instanceof MimeError ? e.code : `not a MimeError: ${String(e)}`;
      codes.set(code, (codes.get(code) ?? 0) + 1);
    }
  }
  t.same([...codes], [['MALFORMED', closeEnd]], `every cut before byte ${closeEnd} is MALFORMED`);
  t.equal(ok, file.length - closeEnd + 1, 'every cut after the close delimiter parses');
  t.equal(wrong, 0);
});

t.test('mutated samples: anything but a MimeError is a bug', async (t) => {
  const file = readFileSync(path.join(VECTORS, 'mm7', 'instantcom-mm7', 'deliver-req3.txt'));
  const ct = 'multipart/related; boundary=Nokia-mm-messageHandler-BoUnDaRy-=_-735647067';
  const rnd = prng(2046);
  const bytes = [0x0a, 0x0d, 0x2d, 0x3a, 0x20, 0x3d, 0x00, 0xff, 0x3b, 0x22];
  let others = 0;
  for (let i = 0; i < 400; i++) {
    const m = Buffer.from(file);
    for (let k = 0; k < 1 + Math.floor(rnd() * 8); k++) m[Math.floor(rnd() * m.length)] = bytes[Math.floor(rnd() * bytes.length)] as number;
    try {
      await parseMultipart(once(m), ct, { maxParts: 10 });
    } catch (e) {
      if (!(e instanceof MimeError)) {
        others++;
        t.error(e, `mutation ${i}`);
      }
    }
  }
  t.equal(others, 0, 'no other error type');
});

t.test('limits', async (t) => {
  // 10^5 empty parts: stops at part 257, within the first of 100 chunks.
  const parts = Buffer.from('--b\r\n\r\n'.repeat(1000));
  const many = counted((i) => (i < 100 ? parts : i === 100 ? Buffer.from('--b--\r\n') : undefined));
  const t0 = Date.now();
  await expectMimeError(t, parseMultipart(many.iter, 'multipart/mixed; boundary=b'), 'TOO_MANY_PARTS', '10^5 parts');
  t.equal(many.pulled(), 1, 'one chunk read');
  t.ok(Date.now() - t0 < 2000, 'fast');
  t.same(bodies(await parse('--b\r\n\r\n'.repeat(3) + '--b--', undefined, { maxParts: 3 })), ['', '', ''], 'exactly maxParts is fine');
  await expectMimeError(
    t,
    parse('--b\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\n\r\n--c\r\n\r\n--c--\r\n--b--\r\n', undefined, { maxParts: 2 }),
    'TOO_MANY_PARTS',
    'nested parts count',
  );

  // Nesting 1000 deep.
  const deep = (n: number): string =>
    Array.from({ length: n }, (_, i) => `--b${i}\r\nContent-Type: multipart/mixed; boundary=b${i + 1}\r\n\r\n`).join('') +
    `--b${n}\r\n\r\nleaf\r\n--b${n}--\r\n` +
    Array.from({ length: n }, (_, i) => `--b${n - 1 - i}--\r\n`).join('');
  await expectMimeError(t, parse(deep(1000), 'multipart/mixed; boundary=b0'), 'TOO_DEEP', '1000 deep');
  await expectMimeError(t, parse(deep(8), 'multipart/mixed; boundary=b0'), 'TOO_DEEP', '9 levels with maxDepth 8');
  const eight = await parse(deep(7), 'multipart/mixed; boundary=b0');
  let e: MimeEntity | undefined = eight;
  let levels = 0;
  while (e?.parts) {
    levels++;
    e = e.parts[0];
  }
  t.equal(levels, 8, '8 levels (the root included) with maxDepth 8');
  t.equal(e?.body?.toString(), 'leaf');
  const thousand = await parse(deep(1000), 'multipart/mixed; boundary=b0', { maxDepth: 2000, maxParts: 2000 });
  levels = 0;
  for (e = thousand; e?.parts; e = e.parts[0]) levels++;
  t.equal(levels, 1001, 'no recursion: 1001 levels parse when the limit allows');

  // A 10 MB header line fails within the first chunks.
  const line = counted((i) => (i === 0 ? Buffer.from('--b\r\nX-Long: ') : i < 160 ? Buffer.alloc(65536, 0x61) : undefined));
  await expectMimeError(t, parseMultipart(line.iter, 'multipart/mixed; boundary=b'), 'HEADER_TOO_LARGE', '10 MB header line');
  t.equal(line.pulled(), 2, 'stopped in the first 64 KiB of the line');
  const header = 'X-H: v\r\n';
  await expectMimeError(t, parse(`--b\r\n${header.repeat(101)}\r\nx\r\n--b--\r\n`), 'HEADER_TOO_LARGE', '101 header lines');
  t.equal(
    (await parse(`--b\r\n${header.repeat(100)}\r\nx\r\n--b--\r\n`)).parts?.[0]?.headers.getAll('x-h').length,
    100,
    '100 lines are fine',
  );
  await expectMimeError(
    t,
    parse(`--b\r\nX: ${'a'.repeat(100)}\r\n\r\nx\r\n--b--\r\n`, undefined, { maxHeaderBytes: 100 }),
    'HEADER_TOO_LARGE',
    'block over maxHeaderBytes',
  );
  t.equal(
    (await parse(`--b\r\nX: ${'a'.repeat(95)}\r\n\r\nx\r\n--b--\r\n`, undefined, { maxHeaderBytes: 100 })).parts?.length,
    1,
    '100-byte block with maxHeaderBytes 100',
  );

  // Over maxBytes: stop reading at once, leave the rest of the iterable unread.
  const big = counted((i) => (i === 0 ? Buffer.from('--b\r\n\r\n') : i < 100 ? Buffer.alloc(1024, 0x78) : undefined));
  await expectMimeError(t, parseMultipart(big.iter, 'multipart/mixed; boundary=b', { maxBytes: 10 * 1024 }), 'TOO_LARGE', 'over maxBytes');
  t.equal(big.pulled(), 11, 'the chunk that crossed the limit is the last one read');
  t.ok(big.closed(), 'the iterable was closed (return() called)');
  const single = counted((i) => (i < 100 ? Buffer.alloc(1024) : undefined));
  await expectMimeError(t, parseSinglePart(single.iter, 'text/xml', '7bit', { maxBytes: 4096 }), 'TOO_LARGE', 'single part over maxBytes');
  t.equal(single.pulled(), 5);
  t.equal((await parse('--b\r\n\r\nx\r\n--b--', undefined, { maxBytes: 16 })).parts?.length, 1, 'exactly maxBytes is fine');

  // A long body line without line breaks, fed in small chunks, is not held as a pending line.
  const blob = Buffer.alloc(1 << 20, 0x41);
  const long = counted((i) =>
    i === 0
      ? Buffer.from('--b\r\n\r\n')
      : i <= 1024
        ? blob.subarray((i - 1) * 1024, i * 1024)
        : i === 1025
          ? Buffer.from('\r\n--b--')
          : undefined,
  );
  const r = await parseMultipart(long.iter, 'multipart/mixed; boundary=b');
  t.equal(r.parts?.[0]?.body?.length, 1 << 20);
  t.ok(r.parts?.[0]?.body?.equals(blob));
});

t.test('errors of the iterable itself pass through unchanged', async (t) => {
  const boom = new Error('client went away');
  const failing = (async function* () {
    yield Buffer.from('--b\r\n\r\nx');
    throw boom;
  })();
  await t.rejects(parseMultipart(failing, 'multipart/mixed; boundary=b'), boom);
});

t.test('leaf sinks get the decoded bodies as they arrive, whatever the chunking (base64 carried across pieces)', async (t) => {
  const raw = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 31) % 256));
  const b64 = raw.toString('base64').replace(/.{76}/g, '$&\r\n'); // lines of 76, as mailers write them
  const body = Buffer.from(
    `--b\r\nContent-Type: text/xml\r\n\r\n<x/>\r\n--b\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64}\r\n` +
      `--b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9 =\r\nau lait\r\n--b--\r\n`,
  );
  for (const size of [1, 3, 7, 64, 1000, body.length]) {
    const got: Record<string, Buffer[]> = {};
    let drains = 0;
    const root = await parseMultipart(chunks(body, size), 'multipart/related; boundary=b', undefined, {
      leaf: (part, ancestors) => {
        t.equal(ancestors.length, 1, 'one ancestor: the root');
        if (part.contentType.type === 'text/xml') return undefined; // kept in memory
        const pieces: Buffer[] = (got[part.contentType.type] = []);
        return { write: (b) => pieces.push(Buffer.from(b)), end: () => pieces.push(Buffer.from('|END')) };
      },
      drain: async () => void drains++,
    });
    t.equal(root.parts?.[0]?.body?.toString(), '<x/>', `chunks of ${size}: the kept part has its body`);
    t.ok(
      Buffer.concat(got['image/png'] ?? []).equals(Buffer.concat([raw, Buffer.from('|END')])),
      `chunks of ${size}: base64 decoded in pieces, then end`,
    );
    t.equal(Buffer.concat(got['text/plain'] ?? []).toString('utf8'), 'café au lait|END', `chunks of ${size}: quoted-printable`);
    t.equal(root.parts?.[1]?.body, undefined, 'a streamed leaf keeps no body');
    t.equal(root.parts?.[1]?.streamedBytes, raw.length, 'but its size');
    t.equal(drains, Math.ceil(body.length / size), 'drain awaited after every chunk');
  }
});

/** `b` in chunks of `size` bytes. */
async function* chunks(b: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < b.length; at += size) yield b.subarray(at, at + size);
}

t.test('bodies are the same whatever the chunking: delimiter look-alikes, bare CR/LF, binary with "\\n--" inside', async (t) => {
  const rnd = prng(5046);
  // Binary bytes drawn mostly from the bytes that matter to a delimiter scan, so that "\n--b" prefixes,
  // "\r\n--bx" and lines of "-" occur often; none completes a delimiter line of "b" or "c" (checked below).
  const alphabet = [0x0a, 0x0d, 0x2d, 0x62, 0x63, 0x20, 0x09, 0x00, 0xff, 0x78];
  const binary = (n: number): Buffer =>
    Buffer.from(Array.from({ length: n }, () => alphabet[Math.floor(rnd() * alphabet.length)] as number));
  const isDelimiterLine = (line: string, b: string): boolean => new RegExp(`^--${b}(--)?[ \\t]*\\r?$`).test(line);
  const safe = (buf: Buffer): Buffer => {
    // Rewrites lines that would be delimiters: "--b" becomes "-xb" (the body must not contain its boundary).
    const lines = buf.toString('latin1').split('\n');
    return Buffer.from(lines.map((l) => (isDelimiterLine(l, 'b') || isDelimiterLine(l, 'c') ? `-x${l.slice(2)}` : l)).join('\n'), 'latin1');
  };
  const leaves = [
    Buffer.from('-\r\n--\r\n--bb\r\n--b-x\r\n --b\r\n--c \r\n\r\n-'), // look-alikes (in the inner part, "--c " is escaped below)
    Buffer.from('a\rb\r\r\n\n\n\r'),
    safe(binary(5000)),
    safe(binary(300)),
    Buffer.from('x'.repeat(3000)),
    Buffer.alloc(0),
  ];
  const inner = [safe(Buffer.concat([leaves[0] as Buffer])), leaves[3] as Buffer];
  const body = Buffer.concat([
    Buffer.from('preamble\r\n--b\r\nContent-Type: application/octet-stream\r\n\r\n'),
    leaves[2] as Buffer,
    Buffer.from('\r\n--b\r\n\r\n'),
    leaves[1] as Buffer,
    Buffer.from('\r\n--b\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\n\r\n'),
    inner[0] as Buffer,
    Buffer.from('\r\n--c\n\n'),
    inner[1] as Buffer,
    Buffer.from('\r\n--c--\r\n--b\r\n\r\n'),
    leaves[4] as Buffer,
    Buffer.from('\n--b\r\n\r\n'), // bare LF before a delimiter
    leaves[5] as Buffer,
    Buffer.from('\r\n--b--\r\nepilogue'),
  ]);
  const expected = [leaves[2], leaves[1], [inner[0], inner[1]], leaves[4], leaves[5]].map((x) =>
    Array.isArray(x) ? x.map((b) => (b as Buffer).toString('latin1')) : (x as Buffer).toString('latin1'),
  );
  const shape = (e: MimeEntity): unknown[] =>
    (e.parts ?? []).map((p) => (p.parts ? (p.parts ?? []).map((q) => q.body?.toString('latin1')) : p.body?.toString('latin1')));
  t.same(shape(await parse(body)), expected, 'one chunk');
  let mismatches = 0;
  for (const size of [1, 2, 3, 5, 8, 13, 64, 100, 511, 512, 4096]) {
    if (!t.same(shape(await parseMultipart(chunks(body, size), 'multipart/mixed; boundary=b')), expected, `chunks of ${size}`))
      mismatches++;
  }
  for (let run = 0; run < 50; run++) {
    const cuts: Buffer[] = [];
    for (let at = 0; at < body.length; ) {
      const n = 1 + Math.floor(rnd() * (rnd() < 0.5 ? 8 : 2000));
      cuts.push(body.subarray(at, at + n));
      at += n;
    }
    const got = shape(
      await parseMultipart(
        (async function* () {
          yield* cuts;
        })(),
        'multipart/mixed; boundary=b',
      ),
    );
    if (!t.same(got, expected, `random chunking ${run}`)) mismatches++;
  }
  t.equal(mismatches, 0);
});

t.test('piece decoders give what decoding the whole gives, wherever the pieces are cut', async (t) => {
  const { decodeTransfer, pieceDecoder } = await import('../../protocols/mime/transfer-encoding.js');
  const rnd = prng(2045);
  // Bytes that matter to quoted-printable: "=", hex digits, white space, line breaks, and others.
  const alphabet = [0x3d, 0x41, 0x66, 0x33, 0x20, 0x09, 0x0d, 0x0a, 0x78, 0xc3, 0x2b, 0x2f];
  const inputs: Buffer[] = [];
  for (let i = 0; i < 60; i++)
    inputs.push(
      Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 400) }, () => alphabet[Math.floor(rnd() * alphabet.length)] as number)),
    );
  // One line longer than the decoder's carry (64 KiB) with "=XX" and white space all along: cut inside the line.
  inputs.push(Buffer.from('ab=C3=A9 \t='.repeat(9000) + 'end'));
  let mismatches = 0;
  for (const encoding of ['quoted-printable', 'base64']) {
    for (const [n, input] of inputs.entries()) {
      const whole = decodeTransfer(input, encoding);
      for (let run = 0; run < 5; run++) {
        const d = pieceDecoder(encoding);
        const out: Buffer[] = [];
        for (let at = 0; at < input.length; ) {
          const k = 1 + Math.floor(rnd() * (run === 4 ? 20_000 : 40));
          const piece = d.push(Buffer.from(input.subarray(at, at + k)));
          if (piece) out.push(Buffer.from(piece));
          at += k;
        }
        const last = d.finish();
        if (last) out.push(last);
        if (!Buffer.concat(out).equals(whole)) {
          mismatches++;
          t.fail(`${encoding} input ${n} run ${run}: pieces decode differently`);
        }
      }
    }
  }
  t.equal(mismatches, 0, 'every cut decodes as the whole');
});
