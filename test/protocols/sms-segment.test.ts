// Segmentation for SMPP (TS 23.040 §9.2.3.24.1 / .8 concatenation; 140-octet user data, §9.2.3.16).
// Sizes and UDH bytes written out by hand: 160/153/152 septets, 70/67/66 UCS-2 code units,
// 05 00 03 ref n k and 06 08 04 refH refL n k.
import t from 'tap';
import type { Test } from 'tap';
import { SmsError, decodeShortMessage, segmentText, toSeptets, unitsPerSegment, userData } from '../../protocols/sms/index.js';
import type { SegmentedText, SmsErrorCode } from '../../protocols/sms/index.js';

function expectSmsError(tt: Test, fn: () => unknown, code: SmsErrorCode): void {
  try {
    fn();
  } catch (e) {
    tt.ok(e instanceof SmsError, `${code}: is an SmsError`);
    if (e instanceof SmsError) tt.equal(e.code, code, `code ${code}`);
    return;
  }
  tt.fail(`expected SmsError ${code}`);
}

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const sizes = (r: SegmentedText): number[] => r.segments.map((s) => s.payload.length);
const ZHE = '\u0416'; // Ж, UCS-2 04 16

t.test('limits per segment', async (t) => {
  t.equal(unitsPerSegment('gsm7', 0), 160);
  t.equal(unitsPerSegment('gsm7', 6), 153);
  t.equal(unitsPerSegment('gsm7', 7), 152);
  t.equal(unitsPerSegment('ucs2', 0), 70);
  t.equal(unitsPerSegment('ucs2', 6), 67);
  t.equal(unitsPerSegment('ucs2', 7), 66);
});

t.test('GSM 7-bit boundaries: 160 = 1 segment, 161 = 153 + 8', async (t) => {
  const one = segmentText('a'.repeat(160), { reference: 1 });
  t.equal(one.alphabet, 'gsm7');
  t.equal(one.dataCoding, 0x00);
  t.equal(one.messagePayload, false);
  t.equal(one.segments.length, 1);
  t.equal(one.segments[0]!.udh, undefined, 'no UDH on a single segment');
  t.equal(one.segments[0]!.esmClassUdhi, false);
  t.same(one.segments[0]!.payload, Buffer.alloc(160, 0x61));

  const two = segmentText('a'.repeat(161), { reference: 0x2a });
  t.same(sizes(two), [153, 8]);
  t.same(two.segments[0]!.udh, hex('05 00 03 2A 02 01'));
  t.same(two.segments[1]!.udh, hex('05 00 03 2A 02 02'));
  t.equal(two.segments[0]!.esmClassUdhi, true);
  t.equal(two.segments[1]!.esmClassUdhi, true);
  t.same(userData(two.segments[1]!), hex('05 00 03 2A 02 02 61 61 61 61 61 61 61 61'));
  t.same(userData(one.segments[0]!), Buffer.alloc(160, 0x61), 'userData without UDH is the payload');

  const three = segmentText('a'.repeat(153 * 3), { reference: 0xa7 });
  t.same(sizes(three), [153, 153, 153]);
  t.same(
    three.segments.map((s) => s.udh),
    [hex('05 00 03 A7 03 01'), hex('05 00 03 A7 03 02'), hex('05 00 03 A7 03 03')],
  );

  t.same(sizes(segmentText('€'.repeat(80), { reference: 1 })), [160], '80 euros = 160 septets = 1 segment');
  t.same(sizes(segmentText('€'.repeat(80) + 'a', { reference: 1 })), [152, 9], '161 septets: the pair at 153/154 moves');

  const empty = segmentText('', { reference: 0 });
  t.equal(empty.segments.length, 1);
  t.same(empty.segments[0]!.payload, Buffer.alloc(0));
  t.equal(empty.alphabet, 'gsm7');
});

t.test('an escape pair is never split', async (t) => {
  // 152 'a' + '€': the 153rd septet would be the ESC, so the whole pair opens segment 2.
  const r = segmentText('a'.repeat(152) + '€' + 'b'.repeat(10), { reference: 9 });
  t.same(sizes(r), [152, 12]);
  t.same(r.segments[0]!.payload, Buffer.alloc(152, 0x61));
  t.same(r.segments[1]!.payload, Buffer.concat([hex('1B 65'), Buffer.alloc(10, 0x62)]));
  // 151 'a' + '€' ends exactly on septet 153: no move.
  const s = segmentText('a'.repeat(151) + '€' + 'b'.repeat(10), { reference: 9 });
  t.same(sizes(s), [153, 10]);
  t.same(s.segments[0]!.payload.subarray(151), hex('1B 65'));
  // 16-bit reference: the boundary is 152.
  const u = segmentText('a'.repeat(151) + '[' + 'b'.repeat(10), { reference: 9, refBits: 16 });
  t.same(sizes(u), [151, 12]);
  t.same(u.segments[1]!.payload.subarray(0, 2), hex('1B 3C'));
});

t.test('UCS-2 boundaries: 70 = 1 segment, 71 = 67 + 4', async (t) => {
  const one = segmentText(ZHE.repeat(70), { reference: 1 });
  t.equal(one.alphabet, 'ucs2');
  t.equal(one.dataCoding, 0x08);
  t.same(sizes(one), [140]);
  t.same(one.segments[0]!.payload.subarray(0, 4), hex('04 16 04 16'));
  t.equal(one.segments[0]!.udh, undefined);

  const two = segmentText(ZHE.repeat(71), { reference: 0x10 });
  t.same(sizes(two), [134, 8], '67 + 4 code units');
  t.same(two.segments[0]!.udh, hex('05 00 03 10 02 01'));
  t.same(two.segments[1]!.payload, hex('04 16 04 16 04 16 04 16'));

  t.same(sizes(segmentText(ZHE.repeat(71), { reference: 0x10, refBits: 16 })), [132, 10], '66 + 5 with the 16-bit UDH');
  t.equal(segmentText('ç', { reference: 1 }).alphabet, 'ucs2', 'one non-GSM character switches the whole text');
});

t.test('a surrogate pair is never split', async (t) => {
  // 66 Ж then 😀 (D8 3D DE 00): the high surrogate would be code unit 67, so the pair opens segment 2.
  const r = segmentText(ZHE.repeat(66) + '😀' + ZHE.repeat(5), { reference: 3 });
  t.same(sizes(r), [132, 14]);
  t.same(r.segments[1]!.payload, hex('D8 3D DE 00 04 16 04 16 04 16 04 16 04 16'));
  // 65 Ж then 😀: the pair is code units 66-67, fits.
  const s = segmentText(ZHE.repeat(65) + '😀' + ZHE.repeat(5), { reference: 3 });
  t.same(sizes(s), [134, 10]);
  t.same(s.segments[0]!.payload.subarray(130), hex('D8 3D DE 00'));
  // 35 emoji = 70 code units: one segment.
  t.same(sizes(segmentText('😀'.repeat(35), { reference: 3 })), [140]);
});

t.test('16-bit reference UDH: 06 08 04 refH refL n k, 152 septets', async (t) => {
  const r = segmentText('a'.repeat(161), { reference: 0x1234, refBits: 16 });
  t.same(sizes(r), [152, 9]);
  t.same(r.segments[0]!.udh, hex('06 08 04 12 34 02 01'));
  t.same(r.segments[1]!.udh, hex('06 08 04 12 34 02 02'));
  t.same(segmentText('a'.repeat(161), { reference: 0xffff, refBits: 16 }).segments[0]!.udh, hex('06 08 04 FF FF 02 01'));
});

t.test('packed GSM 7-bit segments', async (t) => {
  const single = segmentText('hellohello', { reference: 1, gsm7Packing: 'packed' });
  t.same(single.segments[0]!.payload, hex('E8 32 9B FD 46 97 D9 EC 37'));
  // Segment 2 after a 6-octet UDH: one fill bit.
  const r = segmentText('a'.repeat(153) + 'hellohello', { reference: 0xcc, gsm7Packing: 'packed' });
  t.equal(r.segments.length, 2);
  t.equal(r.segments[0]!.payload.length, 134, '1 fill bit + 153 * 7 bits = 134 octets');
  t.equal(userData(r.segments[0]!).length, 140);
  t.equal(r.segments[0]!.payload[0], 0xc2, "'a' after one fill bit");
  t.same(userData(r.segments[1]!), hex('05 00 03 CC 02 02 D0 65 36 FB 8D 2E B3 D9 6F'));
  // After a 7-octet UDH: no fill bit.
  const s = segmentText('a'.repeat(152) + 'hellohello', { reference: 0x0102, refBits: 16, gsm7Packing: 'packed' });
  t.equal(userData(s.segments[0]!).length, 140, '7 + 152 * 7 / 8 = 140');
  t.same(userData(s.segments[1]!), hex('06 08 04 01 02 02 02 E8 32 9B FD 46 97 D9 EC 37'));
  t.same(segmentText(ZHE, { reference: 1, gsm7Packing: 'packed' }).segments[0]!.payload, hex('04 16'), 'UCS-2 ignores packing');
});

t.test('message_payload: one unsegmented payload', async (t) => {
  const r = segmentText('a'.repeat(1000) + '€', { reference: 1, messagePayload: true });
  t.equal(r.messagePayload, true);
  t.equal(r.segments.length, 1);
  t.equal(r.segments[0]!.udh, undefined);
  t.equal(r.segments[0]!.esmClassUdhi, false);
  t.same(r.segments[0]!.payload, Buffer.concat([Buffer.alloc(1000, 0x61), hex('1B 65')]));
  t.equal(segmentText(ZHE.repeat(32767), { reference: 1, messagePayload: true }).segments[0]!.payload.length, 65534);
  expectSmsError(t, () => segmentText(ZHE.repeat(32768), { reference: 1, messagePayload: true }), 'TOO_LONG');
  t.equal(segmentText('a'.repeat(65535), { reference: 1, messagePayload: true }).segments[0]!.payload.length, 65535);
  expectSmsError(t, () => segmentText('a'.repeat(65536), { reference: 1, messagePayload: true }), 'TOO_LONG');
});

t.test('limits and bad options', async (t) => {
  const max = segmentText('a'.repeat(153 * 255), { reference: 1 });
  t.equal(max.segments.length, 255);
  t.same(max.segments[254]!.udh, hex('05 00 03 01 FF FF'));
  expectSmsError(t, () => segmentText('a'.repeat(153 * 255 + 1), { reference: 1 }), 'TOO_LONG');
  expectSmsError(t, () => segmentText('€'.repeat(10_000_000), { reference: 1 }), 'TOO_LONG');
  expectSmsError(t, () => segmentText('a', { reference: 256 }), 'BAD_ARGUMENT');
  expectSmsError(t, () => segmentText('a', { reference: -1 }), 'BAD_ARGUMENT');
  expectSmsError(t, () => segmentText('a', { reference: 1.5 }), 'BAD_ARGUMENT');
  expectSmsError(t, () => segmentText('a', { reference: 65536, refBits: 16 }), 'BAD_ARGUMENT');
  t.equal(segmentText('a', { reference: 255 }).segments.length, 1);
  t.equal(segmentText('a', { reference: 65535, refBits: 16 }).segments.length, 1);
  expectSmsError(t, () => segmentText('ç', { reference: 1, alphabet: 'gsm7' }), 'NOT_GSM7');
  expectSmsError(t, () => segmentText('a\ud83d', { reference: 1 }), 'LONE_SURROGATE');
  t.equal(segmentText('abc', { reference: 1, alphabet: 'ucs2' }).dataCoding, 0x08);
});

t.test('segments decode and join back to the text', async (t) => {
  const texts = ['x'.repeat(150) + '{[€]}'.repeat(20) + '\f\\', ('Привет 😀 ' + 'ж'.repeat(60)).repeat(4), 'a'.repeat(459)];
  for (const text of texts) {
    for (const refBits of [8, 16] as const) {
      for (const gsm7Packing of ['unpacked', 'packed'] as const) {
        const r = segmentText(text, { reference: 77, refBits, gsm7Packing });
        t.ok(r.segments.length > 1);
        let joined = '';
        r.segments.forEach((seg, k) => {
          const ud = userData(seg);
          t.ok(ud.length <= (r.alphabet === 'gsm7' && gsm7Packing === 'unpacked' ? 160 : 140), 'fits in short_message');
          const d = decodeShortMessage(ud, { dataCoding: r.dataCoding, udhi: true, gsm7Packed: gsm7Packing === 'packed' });
          t.same(d.concat, { ref: 77, total: r.segments.length, seq: k + 1, refBits });
          if (d.kind === 'text') joined += d.text;
        });
        t.equal(joined, text, `join ${refBits}-bit ${gsm7Packing}`);
      }
    }
  }
  t.same(toSeptets('a'), Buffer.from([0x61]));
});
