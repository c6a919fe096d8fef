// GSM 7-bit default alphabet and extension table (3GPP TS 23.038 §6.2.1, §6.2.1.1), septet packing
// (§6.1.2.1.1) and fill bits after a UDH (TS 23.040 §9.2.3.24). Expected values are written out by hand from
// the spec tables, never produced by the code under test.
import t from 'tap';
import type { Test } from 'tap';
import {
  SmsError,
  canEncodeGsm7,
  fillBitsAfterUdh,
  fromSeptets,
  gsm7Length,
  pack7,
  toSeptets,
  unpack7,
} from '../../protocols/sms/index.js';
import type { SmsErrorCode } from '../../protocols/sms/index.js';

function expectSmsError(tt: Test, fn: () => unknown, code: SmsErrorCode, offset?: number): void {
  try {
    fn();
  } catch (e) {
    tt.ok(e instanceof SmsError, `${code}: is an SmsError`);
    if (!(e instanceof SmsError)) return;
    tt.equal(e.code, code, `code ${code}`);
    if (offset !== undefined) tt.equal(e.offset, offset, `offset ${offset}`);
    return;
  }
  tt.fail(`expected SmsError ${code}`);
}

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// TS 23.038 §6.2.1, septet -> Unicode code point, in rows of 16; -1 at 0x1B (ESC).
const DEFAULT_TABLE: number[] = [
  0x0040, 0x00a3, 0x0024, 0x00a5, 0x00e8, 0x00e9, 0x00f9, 0x00ec, 0x00f2, 0x00c7, 0x000a, 0x00d8, 0x00f8, 0x000d, 0x00c5, 0x00e5, 0x0394,
  0x005f, 0x03a6, 0x0393, 0x039b, 0x03a9, 0x03a0, 0x03a8, 0x03a3, 0x0398, 0x039e, -1, 0x00c6, 0x00e6, 0x00df, 0x00c9, 0x0020, 0x0021,
  0x0022, 0x0023, 0x00a4, 0x0025, 0x0026, 0x0027, 0x0028, 0x0029, 0x002a, 0x002b, 0x002c, 0x002d, 0x002e, 0x002f, 0x0030, 0x0031, 0x0032,
  0x0033, 0x0034, 0x0035, 0x0036, 0x0037, 0x0038, 0x0039, 0x003a, 0x003b, 0x003c, 0x003d, 0x003e, 0x003f, 0x00a1, 0x0041, 0x0042, 0x0043,
  0x0044, 0x0045, 0x0046, 0x0047, 0x0048, 0x0049, 0x004a, 0x004b, 0x004c, 0x004d, 0x004e, 0x004f, 0x0050, 0x0051, 0x0052, 0x0053, 0x0054,
  0x0055, 0x0056, 0x0057, 0x0058, 0x0059, 0x005a, 0x00c4, 0x00d6, 0x00d1, 0x00dc, 0x00a7, 0x00bf, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065,
  0x0066, 0x0067, 0x0068, 0x0069, 0x006a, 0x006b, 0x006c, 0x006d, 0x006e, 0x006f, 0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076,
  0x0077, 0x0078, 0x0079, 0x007a, 0x00e4, 0x00f6, 0x00f1, 0x00fc, 0x00e0,
];

// TS 23.038 §6.2.1.1, septet after ESC -> code point.
const EXTENSION_TABLE: Array<[number, number]> = [
  [0x0a, 0x000c], // form feed (page break)
  [0x14, 0x005e], // ^
  [0x28, 0x007b], // {
  [0x29, 0x007d], // }
  [0x2f, 0x005c], // backslash
  [0x3c, 0x005b], // [
  [0x3d, 0x007e], // ~
  [0x3e, 0x005d], // ]
  [0x40, 0x007c], // |
  [0x65, 0x20ac], // €
];

t.test('default alphabet: every septet both ways (§6.2.1)', async (t) => {
  t.equal(DEFAULT_TABLE.length, 128);
  for (let septet = 0; septet < 128; septet++) {
    const cp = DEFAULT_TABLE[septet]!;
    if (cp < 0) continue;
    const ch = String.fromCodePoint(cp);
    const label = `septet 0x${septet.toString(16)} = U+${cp.toString(16)}`;
    t.same([...toSeptets(ch)], [septet], `encode ${label}`);
    t.equal(fromSeptets(Buffer.from([septet])), ch, `decode ${label}`);
    t.equal(gsm7Length(ch), 1, `one septet: ${label}`);
  }
  const all = DEFAULT_TABLE.filter((cp) => cp >= 0)
    .map((cp) => String.fromCodePoint(cp))
    .join('');
  t.equal(all.length, 127);
  t.equal(fromSeptets(toSeptets(all)), all, 'whole table round trip');
  t.same(
    [...toSeptets(all)],
    [...Array(128).keys()].filter((s) => s !== 0x1b),
    'whole table in septet order',
  );
});

t.test('extension table: ESC + septet, 2 septets each (§6.2.1.1)', async (t) => {
  for (const [septet, cp] of EXTENSION_TABLE) {
    const ch = String.fromCodePoint(cp);
    t.same([...toSeptets(ch)], [0x1b, septet], `encode U+${cp.toString(16)}`);
    t.equal(fromSeptets(Buffer.from([0x1b, septet])), ch, `decode U+${cp.toString(16)}`);
    t.equal(gsm7Length(ch), 2);
  }
  t.same([...toSeptets('€[]{}')], [0x1b, 0x65, 0x1b, 0x3c, 0x1b, 0x3e, 0x1b, 0x28, 0x1b, 0x29]);
  t.equal(gsm7Length('€[]{}'), 10, '€[]{} cost 2 septets each');
  t.equal(gsm7Length('^~|\\\f'), 10);
  t.equal(gsm7Length('a€b'), 4);
  const ext = '\f^{}\\[~]|€';
  t.equal(fromSeptets(toSeptets(ext)), ext, 'round trip');
});

t.test('nothing else in the BMP is GSM 7-bit', async (t) => {
  const allowed = new Set<number>([...DEFAULT_TABLE.filter((cp) => cp >= 0), ...EXTENSION_TABLE.map(([, cp]) => cp)]);
  t.equal(allowed.size, 137);
  let wrong = 0;
  for (let u = 0; u <= 0xffff; u++) {
    if (canEncodeGsm7(String.fromCharCode(u)) !== allowed.has(u)) {
      wrong++;
      if (wrong < 5) t.fail(`canEncodeGsm7(U+${u.toString(16)}) should be ${allowed.has(u)}`);
    }
  }
  t.equal(wrong, 0, 'canEncodeGsm7 matches the two tables exactly');
  t.equal(canEncodeGsm7(''), true);
  t.equal(canEncodeGsm7('Hello, World! @£$'), true);
  t.equal(canEncodeGsm7('ç'), false, 'ç is not in the table (0x09 is capital Ç)');
  t.equal(canEncodeGsm7('\u001b'), false, 'ESC is not a character');
  t.equal(canEncodeGsm7('😀'), false);
  t.equal(gsm7Length('aç'), undefined);
  expectSmsError(t, () => toSeptets('abcç'), 'NOT_GSM7', 3);
  expectSmsError(t, () => toSeptets('\u001b'), 'NOT_GSM7', 0);
});

t.test('escape edge cases when decoding (§6.2.1, §6.2.1.1)', async (t) => {
  t.equal(fromSeptets(Buffer.from([0x1b])), ' ', 'lone trailing ESC: a space');
  t.equal(fromSeptets(Buffer.from([0x41, 0x1b])), 'A ', 'trailing ESC after text: a space');
  t.equal(fromSeptets(Buffer.from([0x1b, 0x1b])), ' ', 'ESC ESC: one space');
  t.equal(fromSeptets(Buffer.from([0x1b, 0x1b, 0x41])), ' A');
  t.equal(fromSeptets(Buffer.from([0x1b, 0x41])), 'A', 'ESC + unknown: the default-table character');
  t.equal(fromSeptets(Buffer.from([0x1b, 0x00])), '@');
  t.equal(fromSeptets(Buffer.from([0x1b, 0x0d])), '\r', 'ESC + 0x0D (CR2, reserved): CR from the default table');
  t.equal(fromSeptets(Buffer.from([])), '');
  expectSmsError(t, () => fromSeptets(Buffer.from([0x41, 0x80])), 'BAD_CHAR', 1);
  expectSmsError(t, () => fromSeptets(Buffer.from([0x1b, 0xff])), 'BAD_CHAR', 1);
});

t.test('pack7 / unpack7 (§6.1.2.1.1)', async (t) => {
  t.same(pack7(toSeptets('hellohello')), hex('E8 32 9B FD 46 97 D9 EC 37'), '"hellohello", the well-known vector');
  t.same(pack7(toSeptets('hello')), hex('E8 32 9B FD 06'));
  t.same(pack7(Buffer.alloc(0)), Buffer.alloc(0));
  t.same(pack7(Buffer.alloc(8, 0x7f)), hex('FF FF FF FF FF FF FF'), '8 septets fill 7 octets');
  // 1 fill bit (after a 6-octet UDH): the 72-bit little-endian stream above shifted left by one bit, by hand:
  // E8<<1=D0 (carry 1); 32<<1|1=65; 9B<<1=36 (carry 1); FD<<1|1=FB (c1); 46<<1|1=8D; 97<<1=2E (c1);
  // D9<<1|1=B3 (c1); EC<<1|1=D9 (c1); 37<<1|1=6F.
  t.same(pack7(toSeptets('hellohello'), 1), hex('D0 65 36 FB 8D 2E B3 D9 6F'), 'with 1 fill bit');
  t.same(pack7(Buffer.from([0x61]), 1), hex('C2'), "'a' after one fill bit: 0 then 1000011 LSB first");
  t.same(pack7(Buffer.from([0x7f]), 6), hex('C0 1F'), '6 fill bits push the septet across an octet');

  t.same(unpack7(hex('E8 32 9B FD 46 97 D9 EC 37')), toSeptets('hellohello'));
  t.equal(fromSeptets(unpack7(hex('E8 32 9B FD 46 97 D9 EC 37'), 10)), 'hellohello');
  t.same(unpack7(hex('D0 65 36 FB 8D 2E B3 D9 6F'), undefined, 1), toSeptets('hellohello'));
  t.same(unpack7(hex('D0 65 36 FB 8D 2E B3 D9 6F'), 10, 1), toSeptets('hellohello'));
  t.same(unpack7(hex('E8 32 9B FD 06')), toSeptets('hello'));
  t.same(unpack7(hex('C0 1F'), 1, 6), Buffer.from([0x7f]));
  t.same(unpack7(hex('FF FF FF FF FF FF FF')), Buffer.alloc(8, 0x7f), 'a final non-zero septet is kept');
  // 7 zero octets: 7 '@' and 7 zero pad bits, or 8 '@'. Without a count the final '@' is taken for padding.
  t.same(unpack7(Buffer.alloc(7)), Buffer.alloc(7), 'trailing 7 zero bits dropped as padding');
  t.same(unpack7(Buffer.alloc(7), 8), Buffer.alloc(8), 'kept when the count says so');
  t.same(unpack7(Buffer.alloc(0)), Buffer.alloc(0));
  expectSmsError(t, () => unpack7(hex('E8'), 2), 'TRUNCATED');
  expectSmsError(t, () => unpack7(hex('E8 32'), 3, 1), 'TRUNCATED');
  expectSmsError(t, () => unpack7(hex('E8'), -1), 'BAD_ARGUMENT');
  expectSmsError(t, () => pack7(Buffer.from([0x41]), 7), 'BAD_ARGUMENT');
  expectSmsError(t, () => pack7(Buffer.from([0x41]), -1), 'BAD_ARGUMENT');
  expectSmsError(t, () => pack7(Buffer.from([0x41]), 0.5), 'BAD_ARGUMENT');
  expectSmsError(t, () => pack7(Buffer.from([0x41, 0x80])), 'BAD_ARGUMENT', 1);
  expectSmsError(t, () => unpack7(hex('E8'), undefined, 7), 'BAD_ARGUMENT');
});

t.test('fill bits after a UDH (TS 23.040 §9.2.3.24)', async (t) => {
  t.equal(fillBitsAfterUdh(0), 0);
  t.equal(fillBitsAfterUdh(1), 6, '8 bits -> next septet boundary at 14');
  t.equal(fillBitsAfterUdh(6), 1, '8-bit concat UDH: 48 bits -> 49');
  t.equal(fillBitsAfterUdh(7), 0, '16-bit concat UDH: 56 bits, already a boundary');
  t.equal(fillBitsAfterUdh(12), 2, '96 bits -> 98');
});
