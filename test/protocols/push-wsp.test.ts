// The connectionless WSP Push PDU (WAP-230-WSP §8.2.4.1): byte-exact output written out by hand from the spec,
// the forms real PPGs send, hostile input (each rejected with a PushError whose code and offset are asserted,
// offsets counted by hand) and a small deterministic fuzz.
import t from 'tap';
import type { Test } from 'tap';
import { PushError, buildWspPush, parseWspPush } from '../../protocols/push/index.js';
import type { PushErrorCode, WspPush } from '../../protocols/push/index.js';
import { prng } from '../helpers/prng.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const ascii = (s: string): string => Buffer.from(s, 'latin1').toString('hex');
const MMS = 'application/vnd.wap.mms-message';

function expectPushError(tt: Test, fn: () => unknown, code: PushErrorCode, offset: number | undefined, what: string): void {
  try {
    fn();
  } catch (e) {
    tt.ok(e instanceof PushError, `${what}: throws a PushError`);
    if (!(e instanceof PushError)) {
      tt.comment(String(e));
      return;
    }
    tt.equal(e.code, code, `${what}: code ${code} (${e.message})`);
    if (offset !== undefined) tt.equal(e.offset, offset, `${what}: offset ${offset}`);
    return;
  }
  tt.fail(`${what}: expected PushError ${code}`);
}

t.test('build: the smallest MMS push, byte for byte', async (t) => {
  // TID 01, PDU type 06 (Push), HeadersLen 03, Content-Type BE (0x80|0x3E application/vnd.wap.mms-message),
  // X-Wap-Application-Id AF (0x80|0x2F) value 84 (Short-integer 4, x-wap-application:mms.ua), then the data.
  const pdu = buildWspPush({ tid: 1, contentType: { mediaType: MMS }, applicationId: 4, data: hex('8C 82') });
  t.same(pdu, hex('01 06 03 BE AF 84 8C 82'));
  const back = parseWspPush(pdu);
  t.same(back, { tid: 1, headersLength: 3, contentType: { mediaType: MMS }, applicationId: 4, data: hex('8C 82') });

  // TID 0xFF, no application id, no data.
  t.same(buildWspPush({ tid: 0xff, contentType: { mediaType: MMS }, data: Buffer.alloc(0) }), hex('FF 06 01 BE'));
  // An application id as URI (Uri-value, a Text-string), and one with a two-octet code (Long-integer 02 90 00).
  t.same(
    buildWspPush({ tid: 0, contentType: { mediaType: MMS }, applicationId: 'x-wap-application:mms.ua', data: Buffer.alloc(0) }),
    hex(`00 06 1B BE AF ${ascii('x-wap-application:mms.ua')} 00`),
  );
  t.same(
    buildWspPush({ tid: 0, contentType: { mediaType: MMS }, applicationId: 0x9000, data: Buffer.alloc(0) }),
    hex('00 06 05 BE AF 02 90 00'),
  );
  // A content type with a parameter takes the general form: Value-length 02, BE, 81 EA (charset=utf-8).
  t.same(
    buildWspPush({ tid: 2, contentType: { mediaType: MMS, params: { charset: 'utf-8' } }, applicationId: 4, data: Buffer.alloc(0) }),
    hex('02 06 06 03 BE 81 EA AF 84'),
  );
  // Extra headers go after X-Wap-Application-Id, in order: Content-Length (0x0D) 0xDD = 93; X-Foo: bar.
  t.same(
    buildWspPush({
      tid: 3,
      contentType: { mediaType: MMS },
      applicationId: 4,
      headers: [
        { code: 0x0d, value: hex('DD') },
        { name: 'X-Foo', value: 'bar' },
      ],
      data: Buffer.alloc(0),
    }),
    hex(`03 06 0F BE AF 84 8D DD ${ascii('X-Foo')} 00 ${ascii('bar')} 00`),
  );
});

t.test('build: HeadersLen is a uintvar (two octets from 128)', async (t) => {
  // Content-Type 1 octet + AF + URI of n chars + NUL = n + 3 octets of headers.
  const uri = 'x'.repeat(125); // 128 octets of headers: uintvar 81 00
  const pdu = buildWspPush({ tid: 0, contentType: { mediaType: MMS }, applicationId: uri, data: hex('AA') });
  t.same(pdu.subarray(0, 5), hex('00 06 81 00 BE'));
  t.equal(pdu.length, 2 + 2 + 128 + 1);
  t.same(parseWspPush(pdu).applicationId, uri);
  t.equal(parseWspPush(pdu).headersLength, 128);
});

t.test('build: models that cannot be encoded', async (t) => {
  const base: WspPush = { tid: 0, contentType: { mediaType: MMS }, data: Buffer.alloc(0) };
  expectPushError(t, () => buildWspPush({ ...base, tid: 256 }), 'ENCODE_INVALID', -1, 'TID 256');
  expectPushError(t, () => buildWspPush({ ...base, tid: -1 }), 'ENCODE_INVALID', -1, 'TID -1');
  expectPushError(t, () => buildWspPush({ ...base, tid: 1.5 }), 'ENCODE_INVALID', -1, 'TID 1.5');
  expectPushError(t, () => buildWspPush({ ...base, contentType: { mediaType: '' } }), 'ENCODE_INVALID', -1, 'empty media type');
  expectPushError(t, () => buildWspPush({ ...base, applicationId: -4 }), 'ENCODE_INVALID', -1, 'negative application id');
  expectPushError(t, () => buildWspPush({ ...base, applicationId: '' }), 'ENCODE_INVALID', -1, 'empty application id');
  expectPushError(t, () => buildWspPush({ ...base, applicationId: 'a\0b' }), 'ENCODE_INVALID', -1, 'NUL in application id');
  expectPushError(
    t,
    () => buildWspPush({ ...base, headers: [{ code: 0x80, value: hex('80') }] }),
    'ENCODE_INVALID',
    -1,
    'header code 0x80',
  );
  expectPushError(t, () => buildWspPush({ ...base, headers: [{ name: '', value: 'x' }] }), 'ENCODE_INVALID', -1, 'empty header name');
  expectPushError(
    t,
    () => buildWspPush({ ...base, headers: [{ name: '\x01x', value: 'x' }] }),
    'ENCODE_INVALID',
    -1,
    'header name starting with 0x01',
  );
  expectPushError(t, () => buildWspPush({ ...base, data: 'text' as unknown as Buffer }), 'ENCODE_INVALID', -1, 'data not a Buffer');
});

t.test('parse: the forms real PPGs send', async (t) => {
  // Kannel: Content-Type as a Text-string (Extension-media), then User-Agent, Accept, X-Wap-Application-Id,
  // Content-Length, Encoding-Version (see push-vectors.test.ts for the capture itself).
  const kannel = hex(`00 06 35 ${ascii(MMS)} 00 A9 ${ascii('curl/7.88.1')} 00 80 80 AF 84 8D DD C3 93 8C 82`);
  t.same(parseWspPush(kannel), {
    tid: 0,
    headersLength: 0x35,
    contentType: { mediaType: MMS },
    applicationId: 4,
    headers: [
      { code: 0x29, value: hex(`${ascii('curl/7.88.1')} 00`) },
      { code: 0x00, value: hex('80') },
      { code: 0x0d, value: hex('DD') },
      { code: 0x43, value: hex('93') },
    ],
    data: hex('8C 82'),
  });
  // Content-general-form with a textual media type: 1F 20 (Length-quote, 32) then the text and NUL, as in the
  // smpp-client trace.
  const general = parseWspPush(hex(`00 06 24 1F 20 ${ascii(MMS)} 00 AF 84`));
  t.equal(general.contentType.mediaType, MMS);
  t.equal(general.applicationId, 4);
  t.equal(general.headersLength, 36);
  // General form with the well-known code and a parameter.
  t.same(parseWspPush(hex('01 06 06 03 BE 81 EA AF 84')).contentType, { mediaType: MMS, params: { charset: 'utf-8' } });
  // The application id as a URI; a second X-Wap-Application-Id is kept as a header.
  const uri = parseWspPush(hex(`01 06 1D BE AF ${ascii('x-wap-application:mms.ua')} 00 AF 82`));
  t.equal(uri.applicationId, 'x-wap-application:mms.ua');
  t.same(uri.headers, [{ code: 0x2f, value: hex('82') }]);
  // No application id at all; an application header; a long-integer code.
  const none = parseWspPush(hex(`01 06 0B BE ${ascii('X-Foo')} 00 ${ascii('bar')} 00 CA FE`));
  t.equal(none.applicationId, undefined);
  t.same(none.headers, [{ name: 'X-Foo', value: 'bar' }]);
  t.same(none.data, hex('CA FE'));
  t.equal(parseWspPush(hex('01 06 05 BE AF 02 90 00')).applicationId, 0x9000);
  // Another content type (SI, 0xAE) parses too: the push layer does not judge the body.
  t.equal(parseWspPush(hex('01 06 01 AE')).contentType.mediaType, 'application/vnd.wap.sic');
  // data is a zero-copy slice.
  const buf = hex('01 06 03 BE AF 84 8C 82');
  t.equal(parseWspPush(buf).data.buffer, buf.buffer);
});

t.test('parse: hostile input gives a PushError with the offset', async (t) => {
  const cases: Array<[string, string, PushErrorCode, number]> = [
    ['empty', '', 'TRUNCATED', 0],
    ['TID only', '01', 'TRUNCATED', 1],
    ['no HeadersLen', '01 06', 'TRUNCATED', 2],
    ['ConfirmedPush (0x07) is not connectionless', '01 07 03 BE AF 84', 'NOT_A_PUSH', 1],
    ['a Get PDU (0x40)', '01 40 00', 'NOT_A_PUSH', 1],
    ['HeadersLen ends mid-uintvar', '01 06 81', 'TRUNCATED', 3],
    ['uintvar of 6 octets', '01 06 81 81 81 81 81 01', 'UINTVAR_TOO_LONG', 2],
    ['uintvar above 2^32-1', '01 06 9F FF FF FF 7F', 'UINTVAR_TOO_LONG', 2],
    ['HeadersLen past the end', '01 06 05 BE AF', 'LENGTH_OVERFLOW', 2],
    ['HeadersLen 2^32-1', '01 06 8F FF FF FF 7F BE', 'LENGTH_OVERFLOW', 2],
    ['HeadersLen 0: no Content-Type', '01 06 00 8C 82', 'BAD_HEADER', 2],
    ['application id value cut by HeadersLen', '01 06 02 BE AF 84', 'TRUNCATED', 5],
    ['text Content-Type without its NUL inside HeadersLen', `01 06 04 ${ascii('abcd')} 00`, 'TRUNCATED', 3],
    ['general-form Content-Type longer than HeadersLen', `01 06 03 1F 20 61 ${ascii('pplication')}`, 'LENGTH_OVERFLOW', 3],
    ['Short-length value past HeadersLen', '01 06 04 BE 8D 05 01', 'LENGTH_OVERFLOW', 6],
    ['Shift-delimiter (code page shift)', '01 06 03 BE 7F 02', 'BAD_HEADER', 4],
    ['Short-cut-shift-delimiter', '01 06 02 BE 01', 'BAD_HEADER', 4],
    ['NUL where a header starts', '01 06 02 BE 00', 'BAD_HEADER', 4],
    ['application id Long-integer of zero octets', '01 06 03 BE AF 00', 'BAD_HEADER', 5],
    ['application id above 2^53', `01 06 0B BE AF 08 ${'FF'.repeat(8)}`, 'BAD_HEADER', 5],
    ['application header value without NUL', `01 06 06 BE ${ascii('X-A')} 00 62`, 'TRUNCATED', 8],
  ];
  for (const [what, bytes, code, offset] of cases) expectPushError(t, () => parseWspPush(hex(bytes)), code, offset, what);

  // Every prefix that ends inside the headers fails with a PushError; every longer one parses with less data.
  const whole = hex(`00 06 35 ${ascii(MMS)} 00 A9 ${ascii('curl/7.88.1')} 00 80 80 AF 84 8D DD C3 93 8C 82`);
  for (let n = 0; n < whole.length; n++) {
    const prefix = whole.subarray(0, n);
    if (n < 3 + 0x35) {
      try {
        parseWspPush(prefix);
        t.fail(`prefix of ${n} parsed`);
      } catch (e) {
        if (!(e instanceof PushError) || !['TRUNCATED', 'LENGTH_OVERFLOW'].includes(e.code)) t.fail(`prefix of ${n}: ${String(e)}`);
      }
    } else t.equal(parseWspPush(prefix).data.length, n - 3 - 0x35);
  }
  t.pass('every prefix');
});

/**
 * The model without the length field, for comparing a parse with a rebuild. Media types compare without case
 * (RFC 2045 §5.1): the builder writes a well-known type as its code whatever its case.
 */
function model(p: ReturnType<typeof parseWspPush>): WspPush {
  const { headersLength: _, ...rest } = p;
  const mediaType = p.contentType.mediaType;
  return { ...rest, contentType: { ...p.contentType, mediaType: typeof mediaType === 'string' ? mediaType.toLowerCase() : mediaType } };
}

t.test('fuzz: random and mutated input never throws anything but PushError; what parses rebuilds to the same model', async (t) => {
  const rnd = prng(0x9a5e);
  const seeds = [
    hex('01 06 03 BE AF 84 8C 82 98 41 00'),
    hex(`00 06 35 ${ascii(MMS)} 00 A9 ${ascii('curl/7.88.1')} 00 80 80 AF 84 8D DD C3 93 8C 82`),
    hex(`00 06 24 1F 20 ${ascii(MMS)} 00 AF 84 8C 82`),
    hex('01 06 06 03 BE 81 EA AF 84'),
    hex(`01 06 0B BE ${ascii('X-Foo')} 00 ${ascii('bar')} 00 CA FE`),
  ];
  let parsed = 0;
  let rejected = 0;
  for (let i = 0; i < 4000; i++) {
    let input: Buffer;
    if (i % 4 === 0) {
      input = Buffer.alloc(Math.floor(rnd() * 24));
      for (let j = 0; j < input.length; j++) input[j] = Math.floor(rnd() * 256);
      if (input.length > 1 && rnd() < 0.7) input[1] = 0x06;
    } else {
      input = Buffer.from(seeds[i % seeds.length]!);
      const flips = 1 + Math.floor(rnd() * 3);
      for (let f = 0; f < flips; f++) input[Math.floor(rnd() * input.length)] = Math.floor(rnd() * 256);
      if (rnd() < 0.2) input = input.subarray(0, Math.floor(rnd() * input.length));
    }
    let p: ReturnType<typeof parseWspPush>;
    try {
      p = parseWspPush(input);
    } catch (e) {
      if (!(e instanceof PushError)) {
        t.fail(`input ${input.toString('hex')}: ${String(e)}`);
        return;
      }
      if (e.offset < 0 || e.offset > input.length) t.fail(`input ${input.toString('hex')}: offset ${e.offset}`);
      rejected++;
      continue;
    }
    parsed++;
    let rebuilt: Buffer;
    try {
      rebuilt = buildWspPush(p);
    } catch (e) {
      if (!(e instanceof PushError)) t.fail(`rebuild of ${input.toString('hex')}: ${String(e)}`);
      continue;
    }
    const again = parseWspPush(rebuilt);
    if (JSON.stringify(model(again)) !== JSON.stringify(model(p))) {
      t.fail(`${input.toString('hex')} -> ${rebuilt.toString('hex')}: ${JSON.stringify(model(p))} vs ${JSON.stringify(model(again))}`);
      return;
    }
  }
  t.ok(parsed > 200, `${parsed} inputs parsed`);
  t.ok(rejected > 200, `${rejected} inputs rejected`);
});
