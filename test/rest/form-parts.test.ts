// rest/form-parts.ts: counting form parts as busboy delimits them, whatever the chunking. The expected counts
// are those of the hand-written bodies; the last test checks them against busboy itself.
import busboy from 'busboy';
import t from 'tap';
import { FormPartCounter } from '../../src/rest/form-parts.js';
import { prng } from '../helpers/prng.js';

const B = 'bnd-7Q';
const part = (name: string, body: string) => `--${B}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${body}\r\n`;

const bodies: Array<[string, string, number]> = [
  ['three parts', part('a', '1') + part('b', '2') + part('c', '3') + `--${B}--\r\n`, 3],
  ['a preamble', `preamble\r\n` + part('a', '1') + `--${B}--\r\n`, 1],
  ['no part at all', `--${B}--\r\n`, 0],
  // Content that looks like a delimiter but is not one: not followed by CRLF or "--".
  ['boundary-like content', part('a', `x\r\n--${B}x and \r\n--${B}-y`) + `--${B}--\r\n`, 1],
  // What follows the close delimiter is ignored, delimiters included.
  ['an epilogue with delimiters', part('a', '1') + `--${B}--\r\n` + part('b', '2') + `--${B}--\r\n`, 1],
  ['never closed', part('a', '1') + part('b', '2'), 2],
];

function count(body: Buffer, sizes: (i: number) => number): number {
  const c = new FormPartCounter(B);
  for (let at = 0, i = 0; at < body.length; i++) {
    const n = Math.max(1, sizes(i));
    c.push(body.subarray(at, at + n));
    at += n;
  }
  return c.parts;
}

t.test('counts the parts in one chunk, a byte at a time and in every two-way split', async (t) => {
  for (const [what, text, want] of bodies) {
    const body = Buffer.from(text, 'latin1');
    t.equal(
      count(body, () => body.length),
      want,
      `${what}: one chunk`,
    );
    t.equal(
      count(body, () => 1),
      want,
      `${what}: byte by byte`,
    );
    let splits = 0;
    for (let cut = 1; cut < body.length; cut++) if (count(body, (i) => (i === 0 ? cut : body.length)) === want) splits++;
    t.equal(splits, body.length - 1, `${what}: every split point`);
  }
});

t.test('counts the parts in random chunkings (seeded)', async (t) => {
  const random = prng(20);
  for (const [what, text, want] of bodies) {
    const body = Buffer.from(text, 'latin1');
    let right = 0;
    for (let run = 0; run < 200; run++) if (count(body, () => 1 + Math.floor(random() * 12)) === want) right++;
    t.equal(right, 200, `${what}: 200 chunkings of 1-12 octets`);
  }
});

t.test('no boundary: nothing counted', async (t) => {
  const c = new FormPartCounter('');
  c.push(Buffer.from('\r\n--\r\nx\r\n--\r\n'));
  t.equal(c.parts, 0);
});

t.test('the same counts as the parts busboy announces, for well-formed parts', async (t) => {
  for (const [what, text, want] of bodies) {
    if (what === 'never closed') continue; // busboy ends that with an error, not a count
    const seen = await new Promise<number>((resolve, reject) => {
      let n = 0;
      const bb = busboy({ headers: { 'content-type': `multipart/form-data; boundary=${B}` } });
      bb.on('field', () => n++);
      bb.on('error', reject);
      bb.on('close', () => resolve(n));
      bb.end(Buffer.from(text, 'latin1'));
    });
    t.equal(seen, want, `${what}: busboy announces ${want}`);
  }
});
