/**
 * The codec's own string helpers against Node's: `latin1` (header strings built in JavaScript up to 64
 * octets) must give what Buffer's latin1 decoder gives, and `isUtf8Range` what `buffer.isUtf8` answers, for
 * every length around the inline limits and for the boundary cases of RFC 3629 §4.
 */
import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { latin1 } from '../../protocols/wsp/latin1.js';
import { isUtf8Range } from '../../protocols/wsp/utf8.js';

t.test('latin1 equals Buffer latin1 for every length 0-80 and every octet value', async (t) => {
  const all = Buffer.alloc(256 + 80);
  for (let i = 0; i < all.length; i++) all[i] = i & 0xff;
  let mismatches = 0;
  for (let len = 0; len <= 80; len++) {
    for (let start = 0; start + len <= all.length; start += 7) {
      if (latin1(all, start, start + len) !== all.toString('latin1', start, start + len)) mismatches++;
    }
  }
  t.equal(mismatches, 0);
  const s = latin1(Buffer.from('x<text_0011.txt>y'), 1, 16);
  t.equal(s, '<text_0011.txt>');
  t.equal(latin1(Buffer.from([0xe9, 0x41]), 0, 2), '\u00e9A', 'an octet above 0x7F is its own code point');
});

t.test('isUtf8Range agrees with isUtf8', async (t) => {
  const cases: number[][] = [
    [],
    [0x41],
    [0xc2, 0x80], // U+0080, the smallest two-octet form
    [0xc1, 0xbf], // overlong
    [0xc0, 0x80], // overlong NUL
    [0xdf, 0xbf],
    [0xe0, 0xa0, 0x80], // U+0800
    [0xe0, 0x9f, 0xbf], // overlong
    [0xed, 0x9f, 0xbf], // U+D7FF
    [0xed, 0xa0, 0x80], // a surrogate
    [0xee, 0x80, 0x80],
    [0xef, 0xbf, 0xbf],
    [0xf0, 0x90, 0x80, 0x80], // U+10000
    [0xf0, 0x8f, 0xbf, 0xbf], // overlong
    [0xf4, 0x8f, 0xbf, 0xbf], // U+10FFFF
    [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
    [0xf5, 0x80, 0x80, 0x80],
    [0xff],
    [0x80], // a lone continuation
    [0xe2, 0x82], // cut short
    [0xf0, 0x9f, 0x98], // cut short
    [0xe2, 0x82, 0xac, 0x41], // EUR then A
    [0xe2, 0x28, 0xa1], // a bad continuation
  ];
  for (const c of cases) {
    const b = Buffer.from([0x20, ...c, 0x20]);
    t.equal(isUtf8Range(b, 1, 1 + c.length), isUtf8(Buffer.from(c)), `[${c.map((x) => x.toString(16)).join(' ')}]`);
  }
  // Random octets and random valid text, short and over the inline limit, cut at every offset.
  let disagreements = 0;
  let valid = 0;
  for (let i = 0; i < 3000; i++) {
    const b =
      i % 2
        ? randomBytes(1 + (i % 300))
        : Buffer.from(
            Array.from({ length: 1 + (i % 120) }, (_, k) => String.fromCodePoint((k * 7919 + i * 104729) % 0x10ffff))
              .join('')
              .replace(/[\ud800-\udfff]/g, 'x'),
          );
    const end = b.length - (i % 3);
    if (isUtf8Range(b, 0, end) !== isUtf8(b.subarray(0, end))) disagreements++;
    if (isUtf8(b.subarray(0, end))) valid++;
  }
  t.equal(disagreements, 0);
  t.ok(valid > 500, `valid inputs among them (${valid})`);
});
