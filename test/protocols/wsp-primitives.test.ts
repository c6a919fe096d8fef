// WSP encoding primitives (WAP-230-WSP §8.1.2, §8.4.2, §8.5) against octets derived by hand from the ABNF.
// Every expected byte string below is a literal with its derivation in a comment; nothing is computed by the
// code under test.
import t from 'tap';
import type { Test } from 'tap';
import {
  PduError,
  Reader,
  Writer,
  readContentType,
  readEncodedString,
  readMultipart,
  writeContentType,
  writeEncodedString,
  writeMultipart,
} from '../../protocols/wsp/index.js';
import type { ContentType, EncodedStringValue, Part, PduErrorCode } from '../../protocols/wsp/index.js';

/** Octets from a hex literal; spaces are for readability. */
function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ''), 'hex');
}

function reader(s: string, pos = 0): Reader {
  return new Reader(hex(s), pos);
}

/** Hex of what `fn` writes to a fresh Writer. */
function written(fn: (w: Writer) => void): string {
  const w = new Writer(8); // small on purpose: growth is exercised too
  fn(w);
  return w.finish().toString('hex');
}

function expectPduError(tt: Test, fn: () => unknown, code: PduErrorCode, offset: number, what: string): void {
  try {
    fn();
  } catch (e) {
    tt.ok(e instanceof PduError, `${what}: throws a PduError`);
    if (!(e instanceof PduError)) {
      tt.comment(String(e));
      return;
    }
    tt.equal(e.code, code, `${what}: code ${code}`);
    tt.equal(e.offset, offset, `${what}: offset ${offset}`);
    return;
  }
  tt.fail(`${what}: expected PduError ${code} at ${offset}, nothing thrown`);
}

const ASCII_30 = '61'.repeat(30);

t.test('uintvar (WAP-230 §8.1.2)', async (t) => {
  // 7 bits per octet, most significant group first; every octet but the last has the continue bit 0x80.
  const cases: Array<[number, string, string]> = [
    [0, '00', '0 -> one octet 0000000'],
    [127, '7f', '127 = 1111111 -> one octet'],
    [128, '81 00', '128 = 0000001 0000000 -> 1|0000001, 0|0000000'],
    [0x3fff, 'ff 7f', '0x3FFF = 1111111 1111111 -> 1|1111111, 0|1111111'],
    [0x4000, '81 80 00', '0x4000 = 0000001 0000000 0000000'],
    [0xffffffff, '8f ff ff ff 7f', '2^32-1 = 1111 then 4x 1111111 -> 1|0001111, 1|1111111 x3, 0|1111111'],
  ];
  for (const [value, bytes, why] of cases) {
    const r = reader(bytes);
    t.equal(r.uintvar(), value, `read ${why}`);
    t.equal(r.pos, hex(bytes).length, `read ${value}: consumed ${hex(bytes).length} octets`);
    t.equal(
      written((w) => w.uintvar(value)),
      bytes.replace(/ /g, ''),
      `write ${value}`,
    );
  }
  // Not at the start of the buffer: an unrelated octet first.
  const r = reader('aa 81 00 ee', 1);
  t.equal(r.uintvar(), 128, 'read at an offset');
  t.equal(r.pos, 3, 'stops after the octet without the continue bit');

  // A sixth octet: five continue bits in a row is never a 32-bit value.
  expectPduError(t, () => reader('81 80 80 80 80 00').uintvar(), 'UINTVAR_TOO_LONG', 0, '6-octet uintvar');
  // 2^32 = 1 followed by 32 zero bits -> 0010000 0000000 x4 -> 90 80 80 80 00: five octets but above 2^32-1.
  expectPduError(t, () => reader('90 80 80 80 00').uintvar(), 'UINTVAR_TOO_LONG', 0, 'uintvar 2^32');
  // 0x8F is the largest legal first octet of a five-octet uintvar; 0xFF carries bits 35..32.
  expectPduError(t, () => reader('ff ff ff ff 7f').uintvar(), 'UINTVAR_TOO_LONG', 0, 'uintvar 2^35-1');
  expectPduError(t, () => reader('ee 90 80 80 80 00', 1).uintvar(), 'UINTVAR_TOO_LONG', 1, 'too long, offset is where it starts');
  // Truncated: the continue bit promises another octet that is not there.
  expectPduError(t, () => reader('').uintvar(), 'TRUNCATED', 0, 'empty input');
  expectPduError(t, () => reader('81').uintvar(), 'TRUNCATED', 1, 'one octet with the continue bit');
  expectPduError(t, () => reader('81 80').uintvar(), 'TRUNCATED', 2, 'two octets with the continue bit');

  for (const bad of [2 ** 32, -1, 1.5, Number.NaN]) {
    expectPduError(t, () => new Writer().uintvar(bad), 'ENCODE_INVALID', -1, `write uintvar ${bad}`);
  }
});

t.test('Short-integer (WAP-230 §8.4.2.1)', async (t) => {
  // Short-integer = OCTET with the high bit set; the value is the low 7 bits.
  t.equal(reader('80').shortInteger(), 0, '0x80 -> 0');
  t.equal(reader('85').shortInteger(), 5, '0x85 -> 5');
  t.equal(reader('ff').shortInteger(), 127, '0xFF -> 127');
  t.equal(
    written((w) => w.shortInteger(0)),
    '80',
  );
  t.equal(
    written((w) => w.shortInteger(5)),
    '85',
  );
  t.equal(
    written((w) => w.shortInteger(127)),
    'ff',
  );
  expectPduError(t, () => reader('7f').shortInteger(), 'BAD_VALUE', 0, '0x7F has no high bit');
  expectPduError(t, () => reader('aa 05', 1).shortInteger(), 'BAD_VALUE', 1, 'offset of the bad octet');
  expectPduError(t, () => reader('').shortInteger(), 'TRUNCATED', 0, 'empty');
  expectPduError(t, () => new Writer().shortInteger(128), 'ENCODE_INVALID', -1, 'write 128');
  expectPduError(t, () => new Writer().shortInteger(-1), 'ENCODE_INVALID', -1, 'write -1');
});

t.test('Long-integer (WAP-230 §8.4.2.1)', async (t) => {
  // Long-integer = Short-length Multi-octet-integer; big-endian; the writer uses the fewest octets (>= 1).
  const cases: Array<[number, string, string]> = [
    [0, '01 00', 'one octet 00'],
    [0xff, '01 ff', 'one octet'],
    [0x100, '02 01 00', 'two octets'],
    [0x12345678, '04 12 34 56 78', 'four octets'],
    [2 ** 32, '05 01 00 00 00 00', '2^32 needs five octets'],
    [Number.MAX_SAFE_INTEGER, '07 1f ff ff ff ff ff ff', '2^53-1 = 0x1F_FFFF_FFFF_FFFF, seven octets'],
  ];
  for (const [value, bytes, why] of cases) {
    const r = reader(bytes);
    t.equal(r.longInteger(), value, `read ${value} (${why})`);
    t.equal(r.pos, hex(bytes).length, `read ${value}: consumed the length octet and the value`);
    t.equal(
      written((w) => w.longInteger(value)),
      bytes.replace(/ /g, ''),
      `write ${value} in minimal octets`,
    );
  }
  t.equal(reader('03 00 00 01').longInteger(), 1, 'leading zero octets are still a valid Multi-octet-integer');

  expectPduError(t, () => reader('00').longInteger(), 'BAD_VALUE', 0, 'zero-length Long-integer');
  expectPduError(t, () => reader('07 20 00 00 00 00 00 00').longInteger(), 'INTEGER_TOO_LARGE', 0, '2^53 (not a safe integer)');
  expectPduError(t, () => reader('07 20 00 00 00 00 00 02').longInteger(), 'INTEGER_TOO_LARGE', 0, '2^53+2');
  expectPduError(t, () => reader('08 01 00 00 00 00 00 00 00').longInteger(), 'INTEGER_TOO_LARGE', 0, '2^56');
  expectPduError(t, () => reader('1e' + 'ff'.repeat(30)).longInteger(), 'INTEGER_TOO_LARGE', 0, '30 octets of 0xFF');
  // The length octet is a Short-length (0-30); 31 is the Length-quote, not allowed here.
  expectPduError(t, () => reader('1f 01 02').longInteger(), 'BAD_VALUE', 0, 'length octet 31');
  // A length octet promising more than the data holds.
  expectPduError(t, () => reader('1e 01 02').longInteger(), 'LENGTH_OVERFLOW', 0, 'length 30 with 2 octets');
  expectPduError(t, () => reader('ee 04 01 02', 1).longInteger(), 'LENGTH_OVERFLOW', 1, 'offset is the length octet');

  expectPduError(t, () => new Writer().longInteger(2 ** 53), 'ENCODE_INVALID', -1, 'write 2^53');
  expectPduError(t, () => new Writer().longInteger(-1), 'ENCODE_INVALID', -1, 'write -1');
});

t.test('Integer-Value (WAP-230 §8.4.2.3)', async (t) => {
  // Integer-Value = Short-integer | Long-integer
  t.equal(reader('85').integerValue(), 5, 'short form 0x85');
  t.equal(reader('ff').integerValue(), 127, 'short form 0xFF');
  t.equal(reader('01 80').integerValue(), 128, 'long form 01 80');
  t.equal(reader('02 01 00').integerValue(), 256, 'long form 02 01 00');
  t.equal(reader('01 05').integerValue(), 5, 'a small value in the long form is accepted');
  t.equal(
    written((w) => w.integerValue(0)),
    '80',
    'write 0 as Short-integer',
  );
  t.equal(
    written((w) => w.integerValue(127)),
    'ff',
    'write 127 as Short-integer',
  );
  t.equal(
    written((w) => w.integerValue(128)),
    '0180',
    'write 128 as Long-integer',
  );
  t.equal(
    written((w) => w.integerValue(0x10000)),
    '03010000',
    'write 65536 as Long-integer',
  );
  expectPduError(t, () => reader('00').integerValue(), 'BAD_VALUE', 0, 'zero-length long form');
  expectPduError(t, () => reader('').integerValue(), 'TRUNCATED', 0, 'empty');
});

t.test('Date-value (WAP-230 §8.4.2.3)', async (t) => {
  // Date-value = Long-integer seconds since 1970-01-01T00:00:00Z.
  // 2003-01-01: 33 years incl. 8 leap days = 12053 days * 86400 = 1041379200 = 0x3E122F80.
  t.equal(reader('04 3e 12 2f 80').date().toISOString(), '2003-01-01T00:00:00.000Z');
  t.equal(reader('01 00').date().toISOString(), '1970-01-01T00:00:00.000Z');
  t.equal(
    written((w) => w.date(new Date('2003-01-01T00:00:00Z'))),
    '043e122f80',
  );
  t.equal(
    written((w) => w.date(new Date(1500))),
    '0101',
    'milliseconds are dropped (1.5 s -> 1)',
  );
  expectPduError(t, () => new Writer().date(new Date(Number.NaN)), 'ENCODE_INVALID', -1, 'invalid Date');
  expectPduError(t, () => new Writer().date(new Date(-1000)), 'ENCODE_INVALID', -1, 'before 1970');
});

t.test('Value-length (WAP-230 §8.4.2.2)', async (t) => {
  // Value-length = Short-length (0-30) | Length-quote (31) Length (uintvar)
  let r = reader('05 aa bb cc dd ee');
  t.equal(r.valueLength(), 5, 'Short-length 5');
  t.equal(r.pos, 1, 'one octet consumed');
  r = reader('1e' + ASCII_30);
  t.equal(r.valueLength(), 30, 'Short-length 30, the largest');
  r = reader('1f 20' + 'aa'.repeat(32));
  t.equal(r.valueLength(), 32, 'Length-quote + uintvar 0x20');
  t.equal(r.pos, 2);
  r = reader('1f 81 00' + 'aa'.repeat(128));
  t.equal(r.valueLength(), 128, 'Length-quote + two-octet uintvar 81 00');
  t.equal(r.pos, 3);
  r = reader('1f 1e' + ASCII_30);
  t.equal(r.valueLength(), 30, 'Length-quote form of a length that fits a Short-length is still valid');

  expectPduError(t, () => reader('05 aa bb').valueLength(), 'LENGTH_OVERFLOW', 0, 'short length past the end');
  expectPduError(t, () => reader('1f 81 00' + 'aa'.repeat(127)).valueLength(), 'LENGTH_OVERFLOW', 0, 'quoted length one past the end');
  expectPduError(t, () => reader('1f 8f ff ff ff 7f 00').valueLength(), 'LENGTH_OVERFLOW', 0, 'quoted length 2^32-1');
  expectPduError(t, () => reader('ee 03 aa', 1).valueLength(), 'LENGTH_OVERFLOW', 1, 'offset of the length');
  expectPduError(t, () => reader('1f 81').valueLength(), 'TRUNCATED', 2, 'truncated uintvar after the Length-quote');
  expectPduError(t, () => reader('20 aa').valueLength(), 'BAD_VALUE', 0, '0x20 is not a Value-length');

  // Writer.withLength: one octet up to 30, else 31 + uintvar, the value moved right.
  t.equal(
    written((w) => w.withLength(() => undefined)),
    '00',
    'empty value',
  );
  t.equal(
    written((w) => w.withLength(() => w.bytes(hex('aabbcc')))),
    '03aabbcc',
    '3 octets',
  );
  t.equal(
    written((w) => w.withLength(() => w.bytes(hex(ASCII_30)))),
    '1e' + ASCII_30,
    '30 octets: Short-length',
  );
  t.equal(
    written((w) => w.withLength(() => w.bytes(hex('61'.repeat(31))))),
    '1f1f' + '61'.repeat(31),
    '31 octets: 1F 1F',
  );
  // 200 = 1*128 + 72 -> uintvar 81 48
  t.equal(
    written((w) => w.withLength(() => w.bytes(hex('62'.repeat(200))))),
    '1f8148' + '62'.repeat(200),
    '200 octets: 1F 81 48',
  );
  t.equal(
    written((w) => {
      w.byte(0xee);
      w.withLength(() => w.bytes(hex('63'.repeat(40))));
      w.byte(0xdd);
    }),
    'ee' + '1f28' + '63'.repeat(40) + 'dd',
    'inside other output: 40 = 0x28 after the Length-quote, what follows is not overwritten',
  );
  // openLength/closeLength nested, both long: inner 1F 28 + 40 octets = 42 = 0x2A octets for the outer.
  t.equal(
    written((w) => {
      const outer = w.openLength();
      const inner = w.openLength();
      w.bytes(hex('61'.repeat(40)));
      w.closeLength(inner);
      w.closeLength(outer);
      w.byte(0xdd);
    }),
    '1f2a' + '1f28' + '61'.repeat(40) + 'dd',
    'nested Value-lengths: the inner moves right first, the outer counts its Length-quote form',
  );
  // A vectored writer keeps runs of 4 octets or more by reference, but not inside a Value-length, whose
  // length is of octets written here: 06 + the 6 octets, in its own buffer; the run after it by reference.
  const vw = new Writer(8).vectored(4);
  const run = hex('a1a2a3a4a5');
  const lenAt = vw.openLength();
  vw.bytes(hex('b1b2b3b4b5b6'));
  vw.closeLength(lenAt);
  vw.bytes(run);
  const chunks = vw.finishChunks();
  t.equal(Buffer.concat(chunks).toString('hex'), '06b1b2b3b4b5b6a1a2a3a4a5', 'vectored: the octets in order');
  t.equal(chunks.length, 2, 'vectored: the Value-length written in place, the later run a chunk of its own');
  t.equal(chunks[1], run, 'vectored: the run outside the Value-length is the caller buffer');
});

t.test('Reader.bytes, Reader.within, Reader.skipValue', async (t) => {
  let r = reader('aa bb cc');
  t.equal(r.bytes(2).toString('hex'), 'aabb');
  t.equal(r.pos, 2);
  expectPduError(t, () => r.bytes(2), 'LENGTH_OVERFLOW', 2, 'bytes past the end');

  r = reader('aa bb cc dd');
  t.equal(
    r.within(2, (rr) => rr.byte()),
    0xaa,
    'within returns what fn returns',
  );
  t.equal(r.pos, 2, 'continues after the confined bytes whatever fn consumed');
  t.equal(r.end, 4, 'end restored');
  r = reader('aa bb cc dd');
  expectPduError(
    t,
    () =>
      r.within(2, (rr) => {
        rr.byte();
        rr.byte();
        return rr.byte();
      }),
    'TRUNCATED',
    2,
    'reading past the confined length',
  );
  t.equal(r.end, 4, 'end restored after a failure');
  // A Text-string whose NUL lies outside the window is truncated inside it.
  r = reader('61 62 63 00');
  expectPduError(t, () => r.within(2, (rr) => rr.textString()), 'TRUNCATED', 0, 'text-string NUL outside the window');

  // WAP-230 §8.4.1.2: 0-30 length follows; 31 uintvar length follows; 32-127 text to NUL; 128-255 one octet.
  r = reader('03 aa bb cc ee');
  t.equal(r.skipValue().toString('hex'), '03aabbcc', 'short length');
  t.equal(r.pos, 4);
  r = reader('1f 81 00' + 'aa'.repeat(128) + 'ee');
  t.equal(r.skipValue().length, 131, 'quoted length: 1 + 2 + 128');
  t.equal(r.pos, 131);
  r = reader('61 62 00 ee');
  t.equal(r.skipValue().toString('hex'), '616200', 'text up to and including NUL');
  r = reader('85 ee');
  t.equal(r.skipValue().toString('hex'), '85', 'one encoded octet');
  expectPduError(t, () => reader('05 aa').skipValue(), 'LENGTH_OVERFLOW', 1, 'skip a length past the end');
  // Text without its NUL: the offset must point into the unterminated value (octets 0..1); WAP-230 does not say
  // which octet, so either its first octet or the one after is accepted here.
  try {
    reader('61 62').skipValue();
    t.fail('skip text without NUL: expected TRUNCATED');
  } catch (e) {
    t.ok(e instanceof PduError && e.code === 'TRUNCATED', 'skip text without NUL: TRUNCATED');
    t.ok(e instanceof PduError && e.offset >= 0 && e.offset <= 1, 'skip text without NUL: offset inside the value');
  }
});

t.test('Text-string and Quoted-string (WAP-230 §8.4.2.1)', async (t) => {
  // Text-string = [Quote] *TEXT End-of-string; Quote (0x7F) is required when the first octet is >= 128.
  let r = reader('61 62 63 00 ee');
  t.equal(r.textString(), 'abc');
  t.equal(r.pos, 4, 'NUL consumed');
  t.equal(reader('00').textString(), '', 'empty string is a lone NUL');
  // "é" is U+00E9 = UTF-8 C3 A9: first octet >= 128, so 7F C3 A9 00.
  r = reader('7f c3 a9 00');
  t.equal(r.textString(), 'é', 'Quote stripped');
  t.equal(r.pos, 4);
  t.equal(reader('c3 a9 00').textString(), 'é', 'a missing Quote is tolerated on input');
  t.equal(
    written((w) => w.textString('abc')),
    '61626300',
  );
  t.equal(
    written((w) => w.textString('')),
    '00',
  );
  t.equal(
    written((w) => w.textString('é')),
    '7fc3a900',
    'Quote written before a first octet >= 128',
  );
  t.equal(
    written((w) => w.textString('aé')),
    '61c3a900',
    'no Quote when only a later octet is >= 128',
  );
  expectPduError(t, () => reader('61 62 63').textString(), 'TRUNCATED', 0, 'missing NUL');
  expectPduError(t, () => reader('7f 61 62').textString(), 'TRUNCATED', 1, 'missing NUL after a Quote');
  expectPduError(t, () => new Writer().textString('a\0b'), 'ENCODE_INVALID', -1, 'NUL inside the text');

  // Quoted-string = <Octet 34> *TEXT End-of-string
  r = reader('22 61 62 00 ee');
  t.equal(r.quotedString(), 'ab');
  t.equal(r.pos, 4);
  t.equal(reader('22 00').quotedString(), '', 'empty quoted string');
  t.equal(
    written((w) => w.quotedString('ab')),
    '22616200',
  );
  expectPduError(t, () => reader('22 61 62').quotedString(), 'TRUNCATED', 1, 'quoted string without NUL');
});

t.test('Encoded-string-value (WAP-230 §8.4.2.1, MMS_ENC §7.2.9)', async (t) => {
  // Encoded-string-value = Text-string | Value-length Char-set Text-string
  // Char-set = Well-known-charset = Any-charset | Integer-value (IANA MIBenum)
  const cases: Array<[string, EncodedStringValue, string]> = [
    ['48 69 00', 'Hi', 'plain Text-string'],
    ['00', '', 'lone NUL: empty Text-string, not a zero Value-length'],
    // utf-8 = MIBenum 106 = 0x6A -> Short-integer 0xEA; body EA 48 69 00 = 4 octets
    ['04 ea 48 69 00', { charset: 'utf-8', text: 'Hi' }, 'utf-8, ASCII text'],
    // "été" = C3 A9 74 C3 A9, first octet >= 128 -> Quote; body EA 7F C3 A9 74 C3 A9 00 = 8 octets
    ['08 ea 7f c3 a9 74 c3 a9 00', { charset: 'utf-8', text: 'été' }, 'utf-8 with a Quote'],
    // us-ascii = MIBenum 3 -> 0x83
    ['04 83 48 69 00', { charset: 'us-ascii', text: 'Hi' }, 'us-ascii'],
    // iso-8859-1 = MIBenum 4 -> 0x84; "café" = 63 61 66 E9
    ['06 84 63 61 66 e9 00', { charset: 'iso-8859-1', text: 'café' }, 'iso-8859-1'],
    // UCS-2 = MIBenum 1000 = 0x03E8 -> Long-integer 02 03 E8; "Hi" big-endian 00 48 00 69, End-of-string 00
    ['08 02 03 e8 00 48 00 69 00', { charset: 'iso-10646-ucs-2', text: 'Hi' }, 'UCS-2 Latin'],
    // "Ж" = U+0416 -> 04 16; body 02 03 E8 04 16 00 = 6 octets
    ['06 02 03 e8 04 16 00', { charset: 'iso-10646-ucs-2', text: 'Ж' }, 'UCS-2 Cyrillic'],
    // 40 ASCII letters in utf-8: body EA + 40 + NUL = 42 = 0x2A > 30 -> Length-quote 1F 2A
    ['1f 2a ea' + '61'.repeat(40) + '00', { charset: 'utf-8', text: 'a'.repeat(40) }, 'Length-quote form'],
    // A control character first: no Quote in the charset form (Quote is for a first octet >= 128); body
    // EA 01 41 00 = 4 octets
    ['04 ea 01 41 00', { charset: 'utf-8', text: '\x01A' }, 'utf-8, control character first'],
    // ASCII text in iso-8859-1 (84), then text with one Latin-1 letter after ASCII: "ab" E9 -> body 84 61 62 E9 00
    ['04 84 61 62 00', { charset: 'iso-8859-1', text: 'ab' }, 'iso-8859-1, ASCII text'],
    ['05 84 61 62 e9 00', { charset: 'iso-8859-1', text: 'ab\u00e9' }, 'iso-8859-1, ASCII then a Latin-1 letter'],
    // "aé" in utf-8: 61 C3 A9, first octet ASCII so no Quote; body EA 61 C3 A9 00 = 5 octets
    ['05 ea 61 c3 a9 00', { charset: 'utf-8', text: 'a\u00e9' }, 'utf-8, ASCII then a two-octet letter'],
  ];
  for (const [bytes, model, why] of cases) {
    const r = reader(bytes + ' ee');
    t.strictSame(readEncodedString(r), model, `read ${why}`);
    t.equal(r.pos, hex(bytes).length, `read ${why}: stops before the next octet`);
    t.equal(
      written((w) => writeEncodedString(w, model)),
      bytes.replace(/ /g, ''),
      `write ${why}`,
    );
  }

  // An unknown MIBenum (2000 = 0x07D0 -> 02 07 D0): kept as a number with the raw octets; re-encodes identically.
  const unknown = '06 02 07 d0 41 42 00';
  const v = readEncodedString(reader(unknown));
  t.ok(typeof v === 'object', 'charset form');
  if (typeof v === 'object') {
    t.equal(v.charset, 2000, 'charset kept as its MIBenum');
    t.equal(v.text, 'AB', 'text decoded on a best-effort basis');
    t.ok(Buffer.isBuffer(v.raw), 'raw octets kept');
    t.equal(v.raw?.subarray(0, 2).toString('hex'), '4142', 'raw starts with the text octets');
  }
  t.equal(
    written((w) => writeEncodedString(w, v)),
    unknown.replace(/ /g, ''),
    'unknown charset re-encodes to the same octets',
  );

  // A charset name in capitals is the same charset (names are case-insensitive, RFC 2978 §2.3).
  t.equal(
    written((w) => writeEncodedString(w, { charset: 'UTF-8' as 'utf-8', text: 'Hi' })),
    '04ea486900',
    'charset name in capitals',
  );

  // Charset we cannot encode to, without raw bytes.
  expectPduError(t, () => writeEncodedString(new Writer(), { charset: 'shift_jis', text: 'x' }), 'BAD_CHARSET', -1, 'encode to shift_jis');
  expectPduError(
    t,
    () => writeEncodedString(new Writer(), { charset: 'x-klingon' as unknown as 'utf-8', text: 'x' }),
    'BAD_CHARSET',
    -1,
    'encode to an unknown charset name',
  );
  // Value-length past the end of the data.
  expectPduError(t, () => readEncodedString(reader('0a ea 41 00')), 'LENGTH_OVERFLOW', 0, 'value-length 10 with 3 octets');
});

t.test('Content-type-value (WAP-230 §8.4.2.24)', async (t) => {
  // Content-type-value = Constrained-media | Content-general-form
  // Content-general-form = Value-length Media-type; Media-type = (Well-known-media | Extension-Media) *(Parameter)
  const smil = '6170706c69636174696f6e2f736d696c'; // "application/smil", 16 octets, not in Table 40
  const cases: Array<[string, ContentType, string]> = [
    // image/jpeg = 0x1E (Table 40) -> Short-integer 0x9E
    ['9e', { mediaType: 'image/jpeg' }, 'constrained short form image/jpeg'],
    ['83', { mediaType: 'text/plain' }, 'constrained short form text/plain (0x03)'],
    // Extension-media = *TEXT End-of-string
    [smil + '00', { mediaType: 'application/smil' }, 'constrained text form'],
    // text/plain (0x83) + charset (0x01 -> 0x81) utf-8 (106 -> 0xEA): 3 octets
    ['03 83 81 ea', { mediaType: 'text/plain', params: { charset: 'utf-8' } }, 'general form with charset'],
    // multipart.related = 0x33 -> B3; type (0x09 -> 89) "application/smil\0" (17); start (0x0A -> 8A) "<0000>\0" (7)
    // length = 1 + 1 + 17 + 1 + 7 = 27 = 0x1B
    [
      '1b b3 89' + smil + '00 8a 3c303030303e00',
      { mediaType: 'application/vnd.wap.multipart.related', params: { type: 'application/smil', start: '<0000>' } },
      'multipart/related with type and start',
    ],
    // same with start "<presentation-part>\0" (20): 1 + 1 + 17 + 1 + 20 = 40 = 0x28 -> Length-quote 1F 28
    [
      '1f 28 b3 89' + smil + '00 8a 3c70726573656e746174696f6e2d706172743e00',
      {
        mediaType: 'application/vnd.wap.multipart.related',
        params: { type: 'application/smil', start: '<presentation-part>' },
      },
      'multipart/related in the Length-quote form',
    ],
    // type as a well-known media: text/plain -> Constrained-encoding 0x83
    ['03 b3 89 83', { mediaType: 'application/vnd.wap.multipart.related', params: { type: 'text/plain' } }, 'type param short form'],
    // image/jpeg; name (0x05 -> 85) "a.jpg\0": 1 + 1 + 6 = 8
    ['08 9e 85 612e6a706700', { mediaType: 'image/jpeg', params: { name: 'a.jpg' } }, 'name param'],
    // text/vnd.wap.wml (0x08 -> 88); level (0x02 -> 82) Version-value 1.2 = Short-integer 0x12 -> 92: 3 octets
    ['03 88 82 92', { mediaType: 'text/vnd.wap.wml', params: { level: '1.2' } }, 'level param, short form'],
    // 7.15 = 0x7F -> FF, the largest short form
    ['03 88 82 ff', { mediaType: 'text/vnd.wap.wml', params: { level: '7.15' } }, 'level param 7.15'],
    // "1.16" has no short form (minor above 15): Text-string "1.16\0": 1 + 1 + 5 = 7
    ['07 88 82 312e313600', { mediaType: 'text/vnd.wap.wml', params: { level: '1.16' } }, 'level param, text form'],
    // Untyped-parameter = Token-text Untyped-value: "format\0" "flowed\0": 1 + 7 + 7 = 15
    ['0f 83 666f726d617400 666c6f77656400', { mediaType: 'text/plain', params: { format: 'flowed' } }, 'untyped param'],
    // general form without parameters: valid though not the shortest; kept so re-encoding is identical
    ['01 9e', { mediaType: 'image/jpeg', generalForm: true }, 'general form without parameters'],
  ];
  for (const [bytes, model, why] of cases) {
    const r = reader(bytes + ' ee');
    t.strictSame(readContentType(r), model, `read ${why}`);
    t.equal(r.pos, hex(bytes).length, `read ${why}: consumed exactly the value`);
    t.equal(
      written((w) => writeContentType(w, model)),
      bytes.replace(/ /g, ''),
      `write ${why}`,
    );
  }
  // An unknown well-known parameter (0x04 is unassigned in Table 38).
  expectPduError(t, () => readContentType(reader('02 83 84')), 'BAD_VALUE', 2, 'unassigned parameter 0x04');
  expectPduError(t, () => readContentType(reader('05 83 81')), 'LENGTH_OVERFLOW', 0, 'general form past the end');
});

t.test('Multipart (WAP-230 §8.5)', async (t) => {
  // Multipart = nEntries *(HeadersLen DataLen ContentType Headers Data), lengths as uintvar.
  // Entry 1: text/plain; charset=utf-8 (03 83 81 EA) + Content-ID (0x40 -> C0) <"> "<t1>" NUL (22 3C 74 31 3E 00)
  //          HeadersLen = 4 + 7 = 11 = 0x0B, DataLen 2, data "Hi" (48 69)
  // Entry 2: image/jpeg (9E) + Content-Location (0x0E -> 8E) "a.jpg" NUL (61 2E 6A 70 67 00)
  //          HeadersLen = 1 + 7 = 8, DataLen 4, data FF D8 FF D9
  const bytes = hex(
    '02' + //
      '0b 02 03 83 81 ea c0 22 3c 74 31 3e 00 48 69' +
      '08 04 9e 8e 61 2e 6a 70 67 00 ff d8 ff d9',
  );
  const parts: Part[] = [
    { contentType: { mediaType: 'text/plain', params: { charset: 'utf-8' } }, contentId: '<t1>', data: hex('4869') },
    { contentType: { mediaType: 'image/jpeg' }, contentLocation: 'a.jpg', data: hex('ffd8ffd9') },
  ];
  const r = new Reader(bytes);
  t.strictSame(readMultipart(r), parts, 'read the two entries');
  t.equal(r.pos, bytes.length, 'consumed the whole multipart');
  t.equal(
    written((w) => writeMultipart(w, parts)),
    bytes.toString('hex'),
    'write gives the same octets',
  );

  // Entry data are zero-copy views of the input.
  const decoded = readMultipart(new Reader(bytes));
  t.equal(decoded[1]!.data.buffer, bytes.buffer, 'data shares the input memory');

  // Content-Disposition (0x2E -> AE): Value-length, attachment (0x81), filename (0x06 -> 86) "a.txt\0": 1 + 1 + 6 = 8
  // Entry: text/plain (83) + AE 08 81 86 612e74787400 -> HeadersLen 1 + 10 = 11, DataLen 1, data "x"
  const withDisposition = hex('01 0b 01 83 ae 08 81 86 61 2e 74 78 74 00 78');
  const dparts: Part[] = [
    {
      contentType: { mediaType: 'text/plain' },
      contentDisposition: { disposition: 'attachment', params: { filename: 'a.txt' } },
      data: hex('78'),
    },
  ];
  t.strictSame(readMultipart(new Reader(withDisposition)), dparts, 'read Content-Disposition');
  t.equal(
    written((w) => writeMultipart(w, dparts)),
    withDisposition.toString('hex'),
    'write Content-Disposition',
  );

  // HeadersLen at the one-octet limit and past it. Entry headers: text/plain (83), Content-Location (8E), the
  // text, NUL: 3 + n octets. n = 124: 127 = 7F, one octet. n = 125: 128 = uintvar 81 00, and the headers
  // come one octet further right. DataLen 1, data "x".
  for (const [n, headersLen] of [
    [124, '7f'],
    [125, '8100'],
    [300, '822f'], // 303 = 2*128 + 47 -> 82 2F
  ] as const) {
    const long: Part[] = [{ contentType: { mediaType: 'text/plain' }, contentLocation: 'l'.repeat(n), data: hex('78') }];
    const octets = `01${headersLen}01838e${'6c'.repeat(n)}0078`;
    t.equal(
      written((w) => writeMultipart(w, long)),
      octets,
      `entry headers of ${n + 3} octets: HeadersLen ${headersLen}`,
    );
    t.strictSame(readMultipart(new Reader(hex(octets))), long, `entry headers of ${n + 3} octets read back`);
  }

  expectPduError(t, () => readMultipart(new Reader(bytes), { maxParts: 1, maxDepth: 8 }), 'TOO_MANY_PARTS', 0, 'maxParts 1');
  // HeadersLen 0: an entry must at least have its content type.
  expectPduError(t, () => readMultipart(new Reader(hex('01 00 00 00'))), 'BAD_VALUE', 1, 'entry without content type');
  // Entry claiming 5 data octets with 1 left.
  expectPduError(t, () => readMultipart(new Reader(hex('01 01 05 83 78'))), 'LENGTH_OVERFLOW', 1, 'entry data past the end');
});
