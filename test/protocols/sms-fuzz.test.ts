// Deterministic fuzz of the SMS codec with a fixed seed.
// - decodeShortMessage on random bytes with random data_coding / UDHI / options returns or throws SmsError,
//   nothing else;
// - segmentText on random texts (GSM, extension, Cyrillic, emoji) gives segments that fit 140 octets of user
//   data (160 for unpacked septets), never start with the second half of a pair, and decode back to the text.
import t from 'tap';
import { SmsError, decodeShortMessage, segmentText, userData } from '../../protocols/sms/index.js';
import type { DecodeOptions } from '../../protocols/sms/index.js';
import { mulberry32 } from '../helpers/prng.js';

const SEED = 0x5315_2024;
const DATA_CODINGS = [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x08, 0x0e, 0x10, 0xc0, 0xd1, 0xe0, 0xf0, 0xf6];

t.test('random bytes into decodeShortMessage throw nothing but SmsError', async (t) => {
  const next = mulberry32(SEED);
  const pick = <T>(xs: readonly T[]): T => xs[next() % xs.length]!;
  const counts = { ok: 0, typed: 0 };
  const byCode = new Set<string>();
  for (let i = 0; i < 30_000; i++) {
    const data = Buffer.alloc(next() % 300);
    for (let j = 0; j < data.length; j++) data[j] = next() & 0xff;
    // Half the time make the UDHL plausible so decoding gets past the header.
    if (data.length > 0 && next() % 2 === 0) data[0] = next() % Math.min(data.length, 16);
    const options: DecodeOptions = {
      dataCoding: next() % 4 === 0 ? next() & 0xff : pick(DATA_CODINGS),
      udhi: next() % 2 === 0,
      gsm7Packed: next() % 3 === 0,
      smscDefaultAlphabet: pick(['gsm7', 'ascii', 'latin1'] as const),
    };
    if (next() % 3 === 0) for (let j = 0; j < data.length; j++) data[j] = data[j]! & 0x7f; // valid septets more often
    try {
      decodeShortMessage(data, options);
      counts.ok++;
    } catch (e) {
      if (!(e instanceof SmsError)) {
        t.fail(`iteration ${i}: ${String(e)} for ${data.toString('hex')} ${JSON.stringify(options)}`);
        return;
      }
      counts.typed++;
      byCode.add(e.code);
    }
  }
  t.ok(counts.ok > 1000, `some inputs decode (${counts.ok})`);
  t.ok(counts.typed > 1000, `some inputs are refused (${counts.typed})`);
  t.same([...byCode].sort(), ['BAD_CHAR', 'BAD_UDH', 'ODD_LENGTH', 'UNSUPPORTED_DATA_CODING'], 'the refusals seen');
});

t.test('random texts segment within limits and join back', async (t) => {
  const next = mulberry32(SEED ^ 0xffff);
  const POOLS = ['abc XYZ 09@£$', '€[]{}^~|\\\f', 'ЖжПривет', '😀🎉'];
  let failures = 0;
  let paddingCases = 0;
  for (let i = 0; i < 1500 && failures < 5; i++) {
    const useUcs2 = next() % 2 === 0;
    let text = '';
    const len = next() % 500;
    while (text.length < len) {
      const pool = [...POOLS[next() % (useUcs2 ? 4 : 2)]!];
      text += pool[next() % pool.length];
    }
    const refBits = next() % 2 === 0 ? 8 : 16;
    const reference = next() % (refBits === 8 ? 256 : 65536);
    // The cuts are in septets, so the unpacked segmentation gives each packed segment's exact text.
    const unpacked = segmentText(text, { reference, refBits });
    const packed = segmentText(text, { reference, refBits, gsm7Packing: 'packed' });
    if (packed.segments.length !== unpacked.segments.length) failures++;
    let joined = '';
    unpacked.segments.forEach((seg, k) => {
      const ud = userData(seg);
      if (ud.length > (unpacked.alphabet === 'gsm7' ? 160 : 140)) failures++;
      const first = seg.payload.length > 1 ? seg.payload.readUInt16BE(0) : 0;
      if (unpacked.alphabet === 'ucs2' && first >= 0xdc00 && first <= 0xdfff) failures++;
      const d = decodeShortMessage(ud, { dataCoding: unpacked.dataCoding, udhi: seg.esmClassUdhi });
      const segmentText_ = d.kind === 'text' ? d.text : '';
      joined += segmentText_;

      const p = packed.segments[k]!;
      if (userData(p).length > 140) failures++;
      const pd = decodeShortMessage(userData(p), { dataCoding: packed.dataCoding, udhi: p.esmClassUdhi, gsm7Packed: true });
      const got = pd.kind === 'text' ? pd.text : '';
      if (got === segmentText_) return;
      // The one loss packed SMPP data cannot avoid (no septet count): a final '@' filling the last octet exactly
      // reads as 7 zero pad bits (see unpack7).
      const fill = p.udh ? (7 - ((p.udh.length * 8) % 7)) % 7 : 0;
      if (segmentText_.endsWith('@') && (fill + seg.payload.length * 7) % 8 === 0 && got === segmentText_.slice(0, -1)) {
        paddingCases++;
        return;
      }
      failures++;
      t.fail(`iteration ${i}: packed segment ${k + 1} decodes differently`);
    });
    if (joined !== text) {
      failures++;
      t.fail(`iteration ${i}: ${unpacked.segments.length} segments do not join back`);
    }
  }
  t.equal(failures, 0);
  t.ok(paddingCases > 0, `the trailing-'@' ambiguity was met (${paddingCases}) and only it`);
});
