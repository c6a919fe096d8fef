/**
 * The codec's own string helpers against Node's: `latin1` (header strings built in JavaScript up to 64
 * octets) must give what Buffer's latin1 decoder gives, and `utf8Text` the text Buffer's UTF-8 decoder gives
 * exactly when `buffer.isUtf8` says the octets are UTF-8 (undefined otherwise), for every length around the
 * inline limits and for the boundary cases of RFC 3629 §4.
 */
import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { latin1 } from '../../protocols/wsp/latin1.js';
import { utf8Text } from '../../protocols/wsp/utf8.js';

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

/** What utf8Text must give: Node's decoding of well-formed UTF-8, nothing for anything else. */
const expected = (b: Buffer): string | undefined => (isUtf8(b) ? b.toString('utf8') : undefined);

t.test('utf8Text agrees with isUtf8 and Buffer toString', async (t) => {
  const cases: number[][] = [
    [],
    [0x41],
    [0x7f],
    [0xc2, 0x80], // U+0080, the smallest two-octet form
    [0xc1, 0xbf], // overlong
    [0xc0, 0x80], // overlong NUL
    [0xdf, 0xbf],
    [0xc3, 0x28], // a bad continuation after a two-octet lead
    [0xe0, 0xa0, 0x80], // U+0800
    [0xe0, 0x9f, 0xbf], // overlong
    [0xed, 0x9f, 0xbf], // U+D7FF
    [0xed, 0xa0, 0x80], // a surrogate
    [0xee, 0x80, 0x80],
    [0xef, 0xbf, 0xbf],
    [0xef, 0xbf, 0x3f], // a bad last continuation
    [0xf0, 0x90, 0x80, 0x80], // U+10000
    [0xf0, 0x8f, 0xbf, 0xbf], // overlong
    [0xf0, 0x9f, 0x98, 0x80], // U+1F600, a surrogate pair in UTF-16
    [0xf4, 0x8f, 0xbf, 0xbf], // U+10FFFF
    [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
    [0xf0, 0x9f, 0x98, 0x41], // a bad last continuation
    [0xf5, 0x80, 0x80, 0x80],
    [0xff],
    [0x80], // a lone continuation
    [0xe2, 0x82], // cut short
    [0xf0, 0x9f, 0x98], // cut short
    [0xe2, 0x82, 0xac, 0x41], // EUR then A
    [0xe2, 0x28, 0xa1], // a bad continuation
  ];
  for (const c of cases) {
    // Inside other octets: the range, not the buffer, is decoded.
    const b = Buffer.from([0x20, ...c, 0x20]);
    t.equal(utf8Text(b, 1, 1 + c.length), expected(Buffer.from(c)), `[${c.map((x) => x.toString(16)).join(' ')}]`);
  }
  // Known text, written out: a 55-octet Cyrillic subject (2-octet forms), CJK (3), an emoji (4), mixed.
  for (const text of ['Входит Пушкин в летном шлеме...', '漢字かな交じり文', 'ok 😀 ok', 'é'.repeat(32), 'x'.repeat(64)]) {
    t.equal(utf8Text(Buffer.from(text), 0, Buffer.byteLength(text)), text, JSON.stringify(text));
  }
  // Random octets and random valid text, short and over the inline limit, cut at every offset (which also
  // cuts sequences short).
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
    if (utf8Text(b, 0, end) !== expected(b.subarray(0, end))) disagreements++;
    if (isUtf8(b.subarray(0, end))) valid++;
  }
  t.equal(disagreements, 0);
  t.ok(valid > 500, `valid inputs among them (${valid})`);
  // Every length 0-80 of valid multi-octet text, so that the inline limit (64 octets) is crossed at every
  // alignment of 2-, 3- and 4-octet forms.
  let wrong = 0;
  const mixed = Buffer.from('aé漢😀'.repeat(12));
  for (let start = 0; start < 10; start++) {
    for (let len = 0; len <= 80 && start + len <= mixed.length; len++) {
      if (utf8Text(mixed, start, start + len) !== expected(mixed.subarray(start, start + len))) wrong++;
    }
  }
  t.equal(wrong, 0, 'every cut of mixed text');
});
