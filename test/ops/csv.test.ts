// The strict RFC 4180 parser and writer (src/ops/csv.ts) against hostile input: quoted commas, quotes and line
// breaks round-trip; a stray quote, text after a closing quote, an unterminated quote, a bare CR, too many or
// too long fields are each one error with its line, and the next lines still parse. Bounded: a huge field or a
// huge line of commas ends in an error, not in memory growth.
import t from 'tap';
import { csvField, csvRecord, parseCsv } from '../../src/ops/csv.js';

const all = (text: string, limits?: { maxFields: number; maxFieldChars: number }) => [...parseCsv(text, limits)];

t.test('round trip of nasty fields', async (t) => {
  const nasty = ['plain', 'a,b', 'say "hi"', 'two\r\nlines', 'lf\nonly', ' lead', 'trail ', '', '""', ',', '=1+2', 'ünï©ødé 🎉'];
  const text = csvRecord(nasty) + csvRecord(['x', 'y']);
  t.strictSame(all(text), [
    { line: 1, fields: nasty },
    { line: 4, fields: ['x', 'y'] },
  ]);
  t.equal(csvField('a"b'), '"a""b"');
  t.equal(csvField('plain'), 'plain');
});

t.test('LF line ends, empty lines, a BOM, no final line end', async (t) => {
  t.strictSame(all('\ufeffa,b\n\nc,d'), [
    { line: 1, fields: ['a', 'b'] },
    { line: 3, fields: ['c', 'd'] },
  ]);
  t.strictSame(all('a,\n,b\r\n'), [
    { line: 1, fields: ['a', ''] },
    { line: 2, fields: ['', 'b'] },
  ]);
});

t.test('hostile lines: one error each, with its line; the rest parse', async (t) => {
  const text = ['ok,1', 'bad"quote,2', '"closed"junk,3', 'cr\rinside,4', 'ok,5', '"never closed,6\nstill,7'].join('\n');
  const got = all(text);
  t.strictSame(got[0], { line: 1, fields: ['ok', '1'] });
  t.match(got[1], { line: 2, error: /quote inside unquoted/ });
  t.match(got[2], { line: 3, error: /after the closing quote/ });
  t.match(got[3], { line: 4, error: /bare CR/ });
  t.strictSame(got[4], { line: 5, fields: ['ok', '5'] });
  t.match(got[5], { line: 6, error: /not closed/ });
  t.equal(got.length, 6, 'the unterminated quote took the rest');
});

t.test('bounded: too many fields, too long a field (quoted or not)', async (t) => {
  const limits = { maxFields: 4, maxFieldChars: 10 };
  t.match(all(`${','.repeat(100_000)}\nok`, limits), [
    { line: 1, error: /more than 4 fields/ },
    { line: 2, fields: ['ok'] },
  ]);
  t.match(all(`${'x'.repeat(1_000_000)},1\nok`, limits), [
    { line: 1, error: /over 10 characters/ },
    { line: 2, fields: ['ok'] },
  ]);
  t.match(all(`"${'x'.repeat(1_000_000)}"\nok`, limits)[0], { line: 1, error: /over 10 characters/ });
});
