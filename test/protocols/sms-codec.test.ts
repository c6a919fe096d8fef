// Alphabet choice (TS 23.038), UCS-2, and decoding incoming short_message / message_payload by SMPP
// data_coding (SMPP v3.4 §5.2.19) with and without a UDH (TS 23.040 §9.2.3.24). Expected values by hand.
import t from 'tap';
import type { Test } from 'tap';
import { SmsError, alphabetOf, chooseAlphabet, decodeShortMessage, encodeText, fromUcs2, toUcs2 } from '../../protocols/sms/index.js';
import type { DecodeOptions, DecodedSms, SmsErrorCode } from '../../protocols/sms/index.js';

function expectSmsError(tt: Test, fn: () => unknown, code: SmsErrorCode, offset?: number): void {
  try {
    fn();
  } catch (e) {
    tt.ok(e instanceof SmsError, `${code}: is an SmsError`);
    if (!(e instanceof SmsError)) return;
    tt.equal(e.code, code, `code ${code}`);
    tt.equal(e.name, 'SmsError');
    if (offset !== undefined) tt.equal(e.offset, offset, `offset ${offset}`);
    return;
  }
  tt.fail(`expected SmsError ${code}`);
}

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const text = (d: DecodedSms): string | undefined => (d.kind === 'text' ? d.text : undefined);
const decode = (data: string, options: DecodeOptions): DecodedSms => decodeShortMessage(hex(data), options);

t.test('alphabet choice', async (t) => {
  t.equal(chooseAlphabet('Hello {world} €5'), 'gsm7');
  t.equal(chooseAlphabet('Grüße'), 'gsm7', 'ü (0x7E) and ß (0x1E) are in the default alphabet');
  t.equal(chooseAlphabet('Grüße, François'), 'ucs2', 'ç is not');
  t.equal(chooseAlphabet(''), 'gsm7');
  t.same(encodeText('Hello'), { alphabet: 'gsm7', dataCoding: 0x00, data: hex('48 65 6C 6C 6F') });
  t.same(encodeText('€'), { alphabet: 'gsm7', dataCoding: 0x00, data: hex('1B 65') });
  t.same(encodeText('@£'), { alphabet: 'gsm7', dataCoding: 0x00, data: hex('00 01') });
  t.same(encodeText('ç'), { alphabet: 'ucs2', dataCoding: 0x08, data: hex('00 E7') });
  t.same(encodeText('Привет'), { alphabet: 'ucs2', dataCoding: 0x08, data: hex('04 1F 04 40 04 38 04 32 04 35 04 42') });
  t.same(encodeText('hi', 'ucs2'), { alphabet: 'ucs2', dataCoding: 0x08, data: hex('00 68 00 69') });
  t.same(encodeText('hi', 'gsm7'), { alphabet: 'gsm7', dataCoding: 0x00, data: hex('68 69') });
  expectSmsError(t, () => encodeText('ok ç', 'gsm7'), 'NOT_GSM7', 3);
});

t.test('UCS-2 / UTF-16BE', async (t) => {
  t.same(toUcs2('Aé€😀'), hex('00 41 00 E9 20 AC D8 3D DE 00'), 'U+1F600 as the pair D83D DE00');
  t.equal(fromUcs2(hex('00 41 00 E9 20 AC D8 3D DE 00')), 'Aé€😀');
  t.equal(fromUcs2(hex('')), '');
  t.equal(fromUcs2(hex('D8 3D')), '\ud83d', 'a lone high surrogate is kept, for joining split segments');
  expectSmsError(t, () => toUcs2('\ud83d'), 'LONE_SURROGATE', 0);
  expectSmsError(t, () => toUcs2('a\ude00'), 'LONE_SURROGATE', 1);
  expectSmsError(t, () => toUcs2('ab\ude00\ud83d'), 'LONE_SURROGATE', 2);
  expectSmsError(t, () => fromUcs2(hex('00 41 00')), 'ODD_LENGTH', 2);
});

t.test('data_coding table (SMPP v3.4 §5.2.19, GSM groups per TS 23.038 §4)', async (t) => {
  const expected: Array<[number, string | undefined]> = [
    [0x00, 'smsc-default'],
    [0x01, 'ascii'],
    [0x02, 'binary'],
    [0x03, 'latin1'],
    [0x04, 'binary'],
    [0x05, undefined],
    [0x06, undefined],
    [0x07, undefined],
    [0x08, 'ucs2'],
    [0x09, undefined],
    [0x0a, undefined],
    [0x0b, undefined],
    [0x0c, undefined],
    [0x0d, undefined],
    [0x0e, undefined],
    [0x0f, undefined],
    [0x10, undefined],
    [0x18, undefined],
    [0xbf, undefined],
    [0xc0, 'gsm7'],
    [0xcf, 'gsm7'],
    [0xd0, 'gsm7'],
    [0xd8, 'gsm7'],
    [0xe0, undefined],
    [0xe8, undefined],
    [0xf0, 'gsm7'],
    [0xf1, 'gsm7'],
    [0xf3, 'gsm7'],
    [0xf4, 'binary'],
    [0xf5, 'binary'],
    [0xf7, 'binary'],
    [0xfb, 'gsm7'],
    [0x100, undefined],
    [-1, undefined],
    [1.5, undefined],
    [Number.NaN, undefined],
  ];
  for (const [dc, alphabet] of expected) t.equal(alphabetOf(dc), alphabet, `data_coding ${dc}`);
});

t.test('decode data_coding 0x00 (GSM, one septet per octet)', async (t) => {
  const d = decode('48 65 6C 6C 6F 1B 65', { dataCoding: 0x00, udhi: false });
  t.same(d, { dataCoding: 0, alphabet: 'gsm7', udh: [], kind: 'text', text: 'Hello€' });
  const u = decode('05 00 03 2A 02 01 48 69', { dataCoding: 0x00, udhi: true });
  t.equal(text(u), 'Hi');
  t.same(u.concat, { ref: 0x2a, total: 2, seq: 1, refBits: 8 });
  t.same(u.udh, [{ kind: 'concat', refBits: 8, ref: 0x2a, total: 2, seq: 1 }]);
  t.equal(text(decode('00 01 02 03 11 24', { dataCoding: 0x00, udhi: false })), '@£$¥_¤');
  t.equal(text(decode('48 69', { dataCoding: 0xf0, udhi: false })), 'Hi', '0xF0: GSM class 0');
  t.equal(text(decode('', { dataCoding: 0x00, udhi: false })), '');
  t.equal(text(decode('41 1B', { dataCoding: 0x00, udhi: false })), 'A ', 'trailing ESC: a space');
  expectSmsError(t, () => decode('41 C1', { dataCoding: 0x00, udhi: false }), 'BAD_CHAR', 1);
  expectSmsError(t, () => decode('05 00 03 2A 02 01 41 C1', { dataCoding: 0x00, udhi: true }), 'BAD_CHAR', 7);
});

t.test('decode data_coding 0x00 packed', async (t) => {
  t.equal(text(decode('E8 32 9B FD 06', { dataCoding: 0x00, udhi: false, gsm7Packed: true })), 'hello');
  const d = decode('05 00 03 2A 02 02 D0 65 36 FB 8D 2E B3 D9 6F', { dataCoding: 0x00, udhi: true, gsm7Packed: true });
  t.equal(text(d), 'hellohello', '1 fill bit after the 6-octet UDH');
  t.same(d.concat, { ref: 0x2a, total: 2, seq: 2, refBits: 8 });
  const e = decode('06 08 04 01 02 02 02 E8 32 9B FD 46 97 D9 EC 37', { dataCoding: 0x00, udhi: true, gsm7Packed: true });
  t.equal(text(e), 'hellohello', 'no fill bit after the 7-octet UDH');
  // 7 zero octets: 8 '@' or 7 '@' and 7 zero pad bits; without a septet count the last is read as padding.
  t.equal(text(decode('00 00 00 00 00 00 00', { dataCoding: 0x00, udhi: false, gsm7Packed: true })), '@'.repeat(7));
  t.equal(text(decode('00 00 00 00 00 00', { dataCoding: 0x00, udhi: false, gsm7Packed: true })), '@'.repeat(6));
});

t.test('decode data_coding 0x08 (UCS-2)', async (t) => {
  t.same(decode('00 48 00 E9 20 AC', { dataCoding: 0x08, udhi: false }), {
    dataCoding: 8,
    alphabet: 'ucs2',
    udh: [],
    kind: 'text',
    text: 'Hé€',
  });
  const u = decode('06 08 04 12 34 03 02 04 16 D8 3D DE 00', { dataCoding: 0x08, udhi: true });
  t.equal(text(u), 'Ж😀');
  t.same(u.concat, { ref: 0x1234, total: 3, seq: 2, refBits: 16 });
  expectSmsError(t, () => decode('00 48 00', { dataCoding: 0x08, udhi: false }), 'ODD_LENGTH', 2);
  expectSmsError(t, () => decode('05 00 03 01 02 01 00 48 00', { dataCoding: 0x08, udhi: true }), 'ODD_LENGTH', 8);
});

t.test('decode data_coding 0x03 (Latin-1) and 0x01 (IA5)', async (t) => {
  t.same(decode('48 E9 FF', { dataCoding: 0x03, udhi: false }), {
    dataCoding: 3,
    alphabet: 'latin1',
    udh: [],
    kind: 'text',
    text: 'Hé\u00ff',
  });
  const u = decode('05 00 03 01 02 02 A9 20 32 30 32 34', { dataCoding: 0x03, udhi: true });
  t.equal(text(u), '© 2024');
  t.same(u.concat, { ref: 1, total: 2, seq: 2, refBits: 8 });
  t.equal(text(decode('48 69 7E', { dataCoding: 0x01, udhi: false })), 'Hi~');
  expectSmsError(t, () => decode('48 80', { dataCoding: 0x01, udhi: false }), 'BAD_CHAR', 1);
  t.equal(text(decode('E9', { dataCoding: 0x00, udhi: false, smscDefaultAlphabet: 'latin1' })), 'é', 'SMSC default = Latin-1');
  t.equal(decode('E9', { dataCoding: 0x00, udhi: false, smscDefaultAlphabet: 'latin1' }).alphabet, 'latin1');
  t.equal(text(decode('7B', { dataCoding: 0x00, udhi: false, smscDefaultAlphabet: 'ascii' })), '{', 'SMSC default = ASCII');
  t.equal(text(decode('7B', { dataCoding: 0x00, udhi: false })), 'ä', 'GSM 0x7B is ä');
});

t.test('decode binary (0x04, 0x02, 0xF4) and ports', async (t) => {
  const d = decode('06 05 04 0B 84 23 F0 01 06 03 BE AF', { dataCoding: 0x04, udhi: true });
  t.equal(d.kind, 'binary');
  if (d.kind === 'binary') t.same(d.data, hex('01 06 03 BE AF'));
  t.same(d.ports, { destination: 2948, source: 9200 });
  t.equal(d.concat, undefined);
  const e = decode('0B 05 04 0B 84 23 F0 00 03 07 02 01 FF', { dataCoding: 0xf5, udhi: true });
  t.same(e.ports, { destination: 2948, source: 9200 });
  t.same(e.concat, { ref: 7, total: 2, seq: 1, refBits: 8 });
  if (e.kind === 'binary') t.same(e.data, hex('FF'));
  else t.fail('0xF5 is binary');
  const input = hex('80 81');
  const f = decodeShortMessage(input, { dataCoding: 0x02, udhi: false });
  input[0] = 0;
  if (f.kind === 'binary') t.same(f.data, hex('80 81'), 'a copy, not a view of the input');
  else t.fail('0x02 is binary');
});

t.test('concat elements the spec says to ignore (TS 23.040 §9.2.3.24.1)', async (t) => {
  const zero = decode('05 00 03 01 00 00 41', { dataCoding: 0x00, udhi: true });
  t.equal(zero.concat, undefined, 'total 0');
  t.same(zero.udh, [{ kind: 'concat', refBits: 8, ref: 1, total: 0, seq: 0 }], 'still listed in udh');
  t.equal(decode('05 00 03 01 02 03 41', { dataCoding: 0x00, udhi: true }).concat, undefined, 'seq above total');
  t.equal(decode('05 00 03 01 02 00 41', { dataCoding: 0x00, udhi: true }).concat, undefined, 'seq 0');
  t.same(decode('03 24 01 01 41', { dataCoding: 0x00, udhi: true }).udh, [{ kind: 'other', iei: 0x24, data: hex('01') }]);
});

t.test('typed errors for bad input', async (t) => {
  for (const dc of [0x05, 0x06, 0x07, 0x09, 0x0a, 0x0b, 0x0d, 0x0e, 0x0f, 0x10, 0x18, 0x80, 0xe0, 0x100, -1]) {
    expectSmsError(t, () => decode('41', { dataCoding: dc, udhi: false }), 'UNSUPPORTED_DATA_CODING');
  }
  const badOption = { dataCoding: 0x00, udhi: false, smscDefaultAlphabet: 'utf8' } as unknown as DecodeOptions;
  expectSmsError(t, () => decode('41', badOption), 'BAD_ARGUMENT');
  expectSmsError(t, () => decode('', { dataCoding: 0x00, udhi: true }), 'BAD_UDH', 0);
  expectSmsError(t, () => decode('05 00 03', { dataCoding: 0x00, udhi: true }), 'BAD_UDH');
  expectSmsError(t, () => decode('03 00 03 01', { dataCoding: 0x08, udhi: true }), 'BAD_UDH');
  try {
    decode('05 00 03', { dataCoding: 0x00, udhi: true });
  } catch (e) {
    t.ok(e instanceof SmsError && e.cause instanceof Error && e.cause.name === 'UdhError', 'the UdhError is the cause');
  }
});
