// The base64 decoder (RFC 2045 §6.8) with its native fast path: whatever the piece boundaries, clean input
// decodes to the bytes that were encoded, and input the fast path must not take (characters outside the
// alphabet, base64url's "-" and "_", "=" inside) decodes as the lenient rules say. Expected bytes are the
// random input itself, encoded by Node's encoder in 76-character lines, or written by hand.
import t from 'tap';
import { base64Lines } from '../../protocols/mime/build.js';
import { decodeBase64, pieceDecoder } from '../../protocols/mime/transfer-encoding.js';
import { prng } from '../helpers/prng.js';

const lines = (b: Buffer, eol = '\r\n') => (b.toString('base64').match(/.{1,76}/g) ?? []).join(eol) + eol;

/** Decodes `text` fed in pieces of the sizes `next()` picks. */
function inPieces(text: string, next: () => number): Buffer {
  const d = pieceDecoder('base64');
  const raw = Buffer.from(text, 'latin1');
  const out: Buffer[] = [];
  for (let i = 0; i < raw.length; ) {
    const n = Math.max(1, next());
    const piece = d.push(raw.subarray(i, i + n));
    if (piece) out.push(Buffer.from(piece));
    i += n;
  }
  const last = d.finish();
  if (last) out.push(last);
  return Buffer.concat(out);
}

t.test('clean base64 in any pieces decodes to the encoded bytes', async (t) => {
  const rnd = prng(0x62363421);
  for (let round = 0; round < 200; round++) {
    const bytes = Buffer.from(Array.from({ length: Math.floor(rnd() * 3000) }, () => Math.floor(rnd() * 256)));
    const text = rnd() < 0.2 ? bytes.toString('base64').replace(/=+$/, '') : lines(bytes, rnd() < 0.2 ? '\n' : '\r\n');
    t.same(decodeBase64(Buffer.from(text, 'latin1')), bytes, `round ${round}: whole`);
    const max = [3, 70, 500, 5000][round % 4]!;
    t.same(
      inPieces(text, () => Math.floor(rnd() * max)),
      bytes,
      `round ${round}: pieces up to ${max}`,
    );
  }
});

t.test('characters outside the alphabet are ignored, "-" and "_" included (not base64url)', async (t) => {
  const bytes = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37) & 0xff));
  const clean = bytes.toString('base64');
  for (const junk of ['-', '_', ' ', '\t', '*', '\x00']) {
    const text = clean.replace(/(.{10})/g, `$1${junk}`);
    t.same(decodeBase64(Buffer.from(text, 'latin1')), bytes, JSON.stringify(junk));
    t.same(
      inPieces(text, () => 97),
      bytes,
      `${JSON.stringify(junk)} in pieces`,
    );
  }
});

t.test('"=" ends a quantum and decoding resumes after it (concatenated encodings)', async (t) => {
  const a = Buffer.from('A'.repeat(100));
  const text = `${a.toString('base64')}QQ==QkM=`; // base64 of 100 "A", then "A", then "BC"
  t.same(decodeBase64(Buffer.from(text)), Buffer.concat([a, Buffer.from('ABC')]));
  t.same(
    inPieces(text, () => 65),
    Buffer.concat([a, Buffer.from('ABC')]),
  );
  // A lone last character holds less than a byte: dropped, with or without "=" after it.
  const long = Buffer.from('B'.repeat(99));
  t.same(decodeBase64(Buffer.from(`${long.toString('base64')}Q=`)), long);
  t.same(decodeBase64(Buffer.from(`${long.toString('base64')}Q`)), long);
});

t.test('base64Lines: 76-character lines joined by CRLF, no line break after the last (RFC 2045 §6.8)', async (t) => {
  for (const n of [0, 1, 56, 57, 58, 114, 1000, 51_200]) {
    const bytes = Buffer.from(Array.from({ length: n }, (_, i) => (i * 131) & 0xff));
    const expected = (bytes.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');
    t.equal(base64Lines(bytes).toString('latin1'), expected, `${n} bytes`);
  }
});
