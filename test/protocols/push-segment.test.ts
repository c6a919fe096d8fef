// A WSP push as SMPP binary short messages (WAP-259-WDP §6.5, 3GPP TS 23.040 §9.2.3.24): UDH bytes written out
// by hand (06 05 04 0B 84 23 F0 alone; 0B 05 04 0B 84 23 F0 00 03 ref n k concatenated), the 140-octet limit,
// and reassembly in any order with its checks.
import t from 'tap';
import type { Test } from 'tap';
import {
  CONCAT_SEGMENT_OCTETS,
  PushError,
  SINGLE_SEGMENT_OCTETS,
  pushSegmentCount,
  reassemblePush,
  segmentPush,
} from '../../protocols/push/index.js';
import type { PushErrorCode } from '../../protocols/push/index.js';
import { prng } from '../helpers/prng.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
/** n octets counting up from `from`, so that a misplaced slice shows. */
const octets = (n: number, from = 0): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (from + i) & 0xff));

function expectPushError(tt: Test, fn: () => unknown, code: PushErrorCode, what: string): void {
  try {
    fn();
  } catch (e) {
    tt.ok(e instanceof PushError, `${what}: throws a PushError`);
    if (e instanceof PushError) tt.equal(e.code, code, `${what}: code ${code} (${e.message})`);
    else tt.comment(String(e));
    return;
  }
  tt.fail(`${what}: expected PushError ${code}`);
}

t.test('sizes: 7-octet UDH alone, 12 with concatenation', async (t) => {
  t.equal(SINGLE_SEGMENT_OCTETS, 133);
  t.equal(CONCAT_SEGMENT_OCTETS, 128);
  t.equal(pushSegmentCount(0), 1);
  t.equal(pushSegmentCount(133), 1);
  t.equal(pushSegmentCount(134), 2);
  t.equal(pushSegmentCount(256), 2);
  t.equal(pushSegmentCount(257), 3);
  t.equal(pushSegmentCount(255 * 128), 255);
  t.equal(pushSegmentCount(255 * 128 + 1), 256);
});

t.test('one segment: 06 05 04 0B 84 23 F0 then the push, up to 140 octets', async (t) => {
  const pdu = hex('01 06 03 BE AF 84 8C 82');
  const [s, ...rest] = segmentPush(pdu, { concatRef: 0x2a });
  t.equal(rest.length, 0);
  t.same(s!.udh, hex('06 05 04 0B 84 23 F0'));
  t.same(s!.payload, pdu);
  t.same(s!.shortMessage, hex('06 05 04 0B 84 23 F0 01 06 03 BE AF 84 8C 82'));
  t.equal(s!.esmClass, 0x40);
  t.equal(s!.dataCoding, 0x04);

  const full = segmentPush(octets(133), { concatRef: 0 });
  t.equal(full.length, 1, '133 octets: one segment');
  t.equal(full[0]!.shortMessage.length, 140, 'exactly 140 octets of user data');

  const empty = segmentPush(Buffer.alloc(0), { concatRef: 0 });
  t.same(
    empty.map((x) => x.shortMessage),
    [hex('06 05 04 0B 84 23 F0')],
  );
});

t.test('several segments: 0B 05 04 0B 84 23 F0 00 03 ref n k, 128 octets each', async (t) => {
  const pdu = octets(134);
  const two = segmentPush(pdu, { concatRef: 0xa7 });
  t.equal(two.length, 2, '134 octets: two segments');
  t.same(two[0]!.udh, hex('0B 05 04 0B 84 23 F0 00 03 A7 02 01'));
  t.same(two[1]!.udh, hex('0B 05 04 0B 84 23 F0 00 03 A7 02 02'));
  t.same(
    two.map((s) => s.payload.length),
    [128, 6],
  );
  t.same(
    two.map((s) => s.shortMessage.length),
    [140, 18],
  );
  t.same(two[1]!.shortMessage, hex('0B 05 04 0B 84 23 F0 00 03 A7 02 02 80 81 82 83 84 85'));
  t.same(Buffer.concat(two.map((s) => s.payload)), pdu);
  t.ok(two.every((s) => s.esmClass === 0x40 && s.dataCoding === 0x04));

  t.same(
    segmentPush(octets(256), { concatRef: 1 }).map((s) => s.payload.length),
    [128, 128],
  );
  const three = segmentPush(octets(257), { concatRef: 0xff });
  t.same(
    three.map((s) => s.udh),
    [hex('0B 05 04 0B 84 23 F0 00 03 FF 03 01'), hex('0B 05 04 0B 84 23 F0 00 03 FF 03 02'), hex('0B 05 04 0B 84 23 F0 00 03 FF 03 03')],
  );
  t.same(
    three.map((s) => s.payload.length),
    [128, 128, 1],
  );

  for (let n = 0; n <= 1200; n++) {
    const segs = segmentPush(octets(n), { concatRef: n & 0xff });
    if (
      segs.length !== pushSegmentCount(n) ||
      segs.some((s) => s.shortMessage.length > 140) ||
      !Buffer.concat(segs.map((s) => s.payload)).equals(octets(n))
    ) {
      t.fail(`${n} octets`);
      return;
    }
  }
  t.pass('0..1200 octets: every short message within 140 octets, payloads concatenate to the PDU');
});

t.test('limits and bad options', async (t) => {
  t.equal(segmentPush(octets(255 * 128), { concatRef: 0 }).length, 255);
  expectPushError(t, () => segmentPush(octets(255 * 128 + 1), { concatRef: 0 }), 'DOES_NOT_FIT', '256 segments');
  expectPushError(t, () => segmentPush(octets(134), { concatRef: 0, maxSegments: 1 }), 'DOES_NOT_FIT', 'maxSegments 1');
  t.equal(segmentPush(octets(133), { concatRef: 0, maxSegments: 1 }).length, 1);
  t.equal(segmentPush(octets(256), { concatRef: 0, maxSegments: 2 }).length, 2);
  expectPushError(t, () => segmentPush(octets(257), { concatRef: 0, maxSegments: 2 }), 'DOES_NOT_FIT', '3 segments, 2 allowed');
  for (const ref of [-1, 256, 1.5, NaN])
    expectPushError(t, () => segmentPush(octets(1), { concatRef: ref }), 'ENCODE_INVALID', `concatRef ${ref}`);
  for (const max of [0, 256, 2.5])
    expectPushError(t, () => segmentPush(octets(1), { concatRef: 0, maxSegments: max }), 'ENCODE_INVALID', `maxSegments ${max}`);
});

t.test('reassembly: ordered by sequence number whatever the arrival order', async (t) => {
  const pdu = octets(300, 7);
  const segs = segmentPush(pdu, { concatRef: 0x42 }).map((s) => s.shortMessage);
  const inOrder = reassemblePush(segs);
  t.same(inOrder.pdu, pdu);
  t.same(inOrder.ports, { destination: 2948, source: 9200 });
  t.same(inOrder.concat, { ref: 0x42, refBits: 8, total: 3 });
  t.same(reassemblePush([segs[2]!, segs[0]!, segs[1]!]).pdu, pdu);
  t.same(reassemblePush([...segs].reverse()).pdu, pdu);

  const single = segmentPush(octets(20), { concatRef: 0 })[0]!.shortMessage;
  const one = reassemblePush([single]);
  t.same(one.pdu, octets(20));
  t.equal(one.concat, undefined);

  // A 16-bit reference concatenation (IEI 0x08) from some other sender is accepted.
  const a = hex('0C 05 04 0B 84 23 F0 08 04 12 34 02 01 AA BB');
  const b = hex('0C 05 04 0B 84 23 F0 08 04 12 34 02 02 CC');
  const r16 = reassemblePush([b, a]);
  t.same(r16.pdu, hex('AA BB CC'));
  t.same(r16.concat, { ref: 0x1234, refBits: 16, total: 2 });

  // Other ports when asked: a vCard (9204) or any port with destinationPort null.
  const vcard = hex('06 05 04 23 F4 00 00 42 45 47 49 4E');
  t.same(reassemblePush([vcard], { destinationPort: 9204 }).ports, { destination: 9204, source: 0 });
  t.same(reassemblePush([vcard], { destinationPort: null }).pdu, hex('42 45 47 49 4E'));
});

t.test('reassembly: what does not add up', async (t) => {
  const segs = segmentPush(octets(300), { concatRef: 0x42 }).map((s) => s.shortMessage);
  const other = segmentPush(octets(300), { concatRef: 0x43 }).map((s) => s.shortMessage);
  expectPushError(t, () => reassemblePush([]), 'INCOMPLETE', 'no segments');
  expectPushError(t, () => reassemblePush([segs[0]!, segs[2]!]), 'INCOMPLETE', 'segment 2 of 3 missing');
  expectPushError(t, () => reassemblePush([segs[1]!]), 'INCOMPLETE', 'only segment 2');
  expectPushError(t, () => reassemblePush([segs[0]!, segs[1]!, segs[1]!]), 'SEGMENT_MISMATCH', 'segment 2 twice');
  expectPushError(t, () => reassemblePush([segs[0]!, other[1]!, segs[2]!]), 'SEGMENT_MISMATCH', 'another reference');
  const single = segmentPush(octets(20), { concatRef: 0 })[0]!.shortMessage;
  expectPushError(t, () => reassemblePush([single, single]), 'SEGMENT_MISMATCH', 'two unconcatenated pushes');
  expectPushError(t, () => reassemblePush([segs[0]!, single]), 'SEGMENT_MISMATCH', 'concatenated then not');
  expectPushError(t, () => reassemblePush([single, segs[0]!]), 'SEGMENT_MISMATCH', 'not then concatenated');
  // total 2 in the first, 3 in the second.
  expectPushError(
    t,
    () => reassemblePush([hex('0B 05 04 0B 84 23 F0 00 03 01 02 01 AA'), hex('0B 05 04 0B 84 23 F0 00 03 01 03 02 BB')]),
    'SEGMENT_MISMATCH',
    'totals differ',
  );
  expectPushError(t, () => reassemblePush([hex('0B 05 04 0B 84 23 F0 00 03 01 02 00 AA')]), 'SEGMENT_MISMATCH', 'sequence 0');
  expectPushError(t, () => reassemblePush([hex('0B 05 04 0B 84 23 F0 00 03 01 02 03 AA')]), 'SEGMENT_MISMATCH', 'sequence 3 of 2');
  expectPushError(
    t,
    () => reassemblePush([hex('0B 05 04 0B 84 23 F0 00 03 01 02 01 AA'), hex('0B 05 04 0B 84 23 F1 00 03 01 02 02 BB')]),
    'SEGMENT_MISMATCH',
    'source ports differ',
  );
  expectPushError(t, () => reassemblePush([hex('06 05 04 23 F4 00 00 42')]), 'WRONG_PORT', 'port 9204 where 2948 is expected');
  expectPushError(t, () => reassemblePush([hex('05 00 03 01 01 01 41')]), 'BAD_UDH', 'concatenation without ports');
  expectPushError(t, () => reassemblePush([hex('04 05 04 0B 84 41')]), 'BAD_UDH', 'ports IE longer than the UDHL');
  expectPushError(t, () => reassemblePush([hex('07 05 04 0B 84 23 F0')]), 'BAD_UDH', 'UDHL past the end');
  expectPushError(t, () => reassemblePush([hex('06 05 05 0B 84 23 F0')]), 'BAD_UDH', 'IE length past the UDH');
  expectPushError(t, () => reassemblePush([Buffer.alloc(0)]), 'BAD_UDH', 'empty user data');
});

t.test('fuzz: segment then reassemble in a random order gives the PDU back', async (t) => {
  const rnd = prng(2948);
  for (let i = 0; i < 300; i++) {
    const n = Math.floor(rnd() * 2000);
    const pdu = Buffer.alloc(n);
    for (let j = 0; j < n; j++) pdu[j] = Math.floor(rnd() * 256);
    const ref = Math.floor(rnd() * 256);
    const segs = segmentPush(pdu, { concatRef: ref }).map((s) => s.shortMessage);
    for (let j = segs.length - 1; j > 0; j--) {
      const k = Math.floor(rnd() * (j + 1));
      [segs[j], segs[k]] = [segs[k]!, segs[j]!];
    }
    const back = reassemblePush(segs);
    if (!back.pdu.equals(pdu) || (segs.length > 1 && back.concat?.ref !== ref)) {
      t.fail(`case ${i}: ${n} octets, ref ${ref}`);
      return;
    }
    // Random damage to a UDH never throws anything but a PushError.
    const hurt = segs.map((s) => Buffer.from(s));
    const victim = hurt[Math.floor(rnd() * hurt.length)]!;
    victim[Math.floor(rnd() * Math.min(victim.length, 13))] = Math.floor(rnd() * 256);
    try {
      reassemblePush(hurt);
    } catch (e) {
      if (!(e instanceof PushError)) {
        t.fail(`case ${i}: ${String(e)}`);
        return;
      }
    }
  }
  t.pass('300 random PDUs');
});
