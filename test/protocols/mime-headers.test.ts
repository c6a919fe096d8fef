// Content-Type (RFC 2045 §5.1), RFC 2231 parameters, RFC 2047 encoded-words, MimeHeaders, startPart/findPart
// (RFC 2387 §3.2, RFC 2392). Expected values are written by hand from the RFC examples and the inputs.
import t from 'tap';
import type { Test } from 'tap';
import {
  contentTypeParams,
  MimeError,
  MimeHeaders,
  decodeEncodedWords,
  findPart,
  formatContentType,
  parseContentType,
  startPart,
} from '../../protocols/mime/index.js';
import type { ContentType, MimeEntity } from '../../protocols/mime/index.js';

function bad(tt: Test, value: string): void {
  tt.throws(() => parseContentType(value), { name: 'MimeError', code: 'BAD_CONTENT_TYPE' }, JSON.stringify(value));
}

t.test('parseContentType: odd but valid inputs', async (t) => {
  t.same(parseContentType('multipart/related;boundary=abc;type="text/xml"; start="<x>"'), {
    type: 'multipart/related',
    params: { boundary: 'abc', type: 'text/xml', start: '<x>' },
  });
  t.same(parseContentType('TEXT/XML; CHARSET=UTF-8;'), { type: 'text/xml', params: { charset: 'UTF-8' } }, 'upper case, trailing ";"');
  t.same(parseContentType('image/gif; '), { type: 'image/gif', params: {} });
  t.same(
    parseContentType(' text / plain ;; charset = "us-ascii" ; ;'),
    { type: 'text/plain', params: { charset: 'us-ascii' } },
    'spaces, empty parameters',
  );
  t.same(
    parseContentType('text/plain; charset=us-ascii (Plain text)'),
    { type: 'text/plain', params: { charset: 'us-ascii' } },
    'RFC 2045 §5.1 comment example',
  );
  t.same(
    parseContentType('text/plain; name="a \\"b\\" \\\\ c;d"'),
    { type: 'text/plain', params: { name: 'a "b" \\ c;d' } },
    'quoted-pairs, ";" inside quotes',
  );
  t.same(
    parseContentType('multipart/related; boundary=-=_abc=/?x'),
    { type: 'multipart/related', params: { boundary: '-=_abc=/?x' } },
    'tspecials left unquoted',
  );
  t.same(
    parseContentType('multipart/related; start="<a>"; start="<b>"'),
    { type: 'multipart/related', params: { start: '<a>' } },
    'first wins',
  );
  // biome-ignore lint/suspicious/noProto: the test is that __proto__ stays an own property
  t.same(parseContentType('application/x; __proto__=1').params['__proto__'], '1', 'own property, not the prototype');
  t.equal(Object.getPrototypeOf(parseContentType('application/x; __proto__=1').params), Object.prototype);
  t.same(parseContentType('text/plain; x='), { type: 'text/plain', params: { x: '' } });
});

t.test('parseContentType: unparseable', async (t) => {
  for (const v of [
    '',
    '   ',
    'text',
    'text/',
    '/xml',
    'text xml',
    'te(xt/xml',
    'text/xml; charset',
    'text/xml; =x',
    'text/xml; a="open',
    'text/xml; a="x"y',
    'text/xml charset=x',
    'text/xml; a=b c',
  ]) {
    bad(t, v);
  }
  try {
    parseContentType('nonsense');
    t.fail('no throw');
  } catch (e) {
    t.ok(e instanceof MimeError && e.code === 'BAD_CONTENT_TYPE', 'MimeError instance');
  }
});

t.test('RFC 2231 parameters', async (t) => {
  // §3 example.
  t.equal(
    parseContentType('message/external-body; access-type=URL; URL*0="ftp://"; URL*1="cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar"')
      .params['url'],
    'ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar',
  );
  // §4 example.
  t.equal(
    parseContentType("application/x-stuff; title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A").params['title'],
    'This is ***fun***',
  );
  // §4.1 example: mixed encoded and plain sections.
  t.equal(
    parseContentType(
      `application/x-stuff; title*0*=us-ascii'en'This%20is%20even%20more%20; title*1*=%2A%2A%2Afun%2A%2A%2A%20; title*2="isn't it!"`,
    ).params['title'],
    "This is even more ***fun*** isn't it!",
  );
  t.equal(parseContentType("image/jpeg; name*=UTF-8''%E6%97%A5%E6%9C%AC.jpg").params['name'], '日本.jpg', 'UTF-8');
  t.equal(parseContentType("image/jpeg; name*=iso-8859-1''caf%E9.jpg").params['name'], 'café.jpg', 'Latin-1');
  t.equal(
    parseContentType("image/jpeg; name*0*=UTF-8''%E6%97; name*1*=%A5.jpg").params['name'],
    '日.jpg',
    'a character split across sections',
  );
  t.equal(
    parseContentType('image/jpeg; name="fallback.jpg"; name*=UTF-8\'\'real.jpg').params['name'],
    'real.jpg',
    'extended form preferred',
  );
  t.equal(parseContentType("image/jpeg; name*=x-unknown''%41").params['name'], "x-unknown''%41", 'unknown charset: as written');
  t.equal(parseContentType('text/plain; a*0=x; a*2=z').params['a'], 'x', 'a gap ends the value');
  t.same(Object.keys(parseContentType('text/plain; a*0=x; a*1=y').params), ['a'], 'sections collapse to one name');
});

t.test('contentTypeParams: the parameters as written, in order, repeats and RFC 2231 names kept', async (t) => {
  t.same(contentTypeParams(`multipart/form-data; Boundary=A; boundary*=utf-8''B; x="a; boundary=C"; boundary*0*="D"; BOUNDARY=E`), [
    { name: 'boundary', value: 'A' },
    { name: 'boundary*', value: "utf-8''B" },
    { name: 'x', value: 'a; boundary=C' },
    { name: 'boundary*0*', value: 'D' },
    { name: 'boundary', value: 'E' },
  ]);
  t.same(contentTypeParams('text/plain'), []);
  t.throws(
    () => contentTypeParams('text/xml; a="open'),
    { name: 'MimeError', code: 'BAD_CONTENT_TYPE' },
    'refuses what parseContentType refuses',
  );
});

t.test('formatContentType', async (t) => {
  t.equal(
    formatContentType({ type: 'multipart/related', params: { boundary: 'abc', type: 'text/xml', start: '<x>' } }),
    'multipart/related; boundary=abc; type="text/xml"; start="<x>"',
  );
  t.equal(
    formatContentType({ type: 'Text/Plain', params: { Charset: 'utf-8', name: 'a "b".txt', e: '' } }),
    'text/plain; charset=utf-8; name="a \\"b\\".txt"; e=""',
  );
  t.equal(
    formatContentType({ type: 'image/jpeg', params: { name: '日.jpg' } }),
    "image/jpeg; name*=utf-8''%E6%97%A5.jpg",
    'RFC 2231 for non-ASCII',
  );
  t.equal(
    formatContentType({ type: 'text/plain', params: { x: 'a\r\nB: c' } }),
    "text/plain; x*=utf-8''a%0D%0AB%3A%20c",
    'no raw line breaks',
  );
  t.throws(() => formatContentType({ type: 'text', params: {} }), { code: 'BAD_CONTENT_TYPE' });
  t.throws(() => formatContentType({ type: 'text/plain', params: { 'a b': 'x' } }), { code: 'BAD_CONTENT_TYPE' });
  const cases: ContentType[] = [
    { type: 'multipart/related', params: { boundary: '==x== y', start: '<a@b>', type: 'application/smil' } },
    { type: 'image/jpeg', params: { name: 'ümlaut "q" \\ ;.jpg' } },
    { type: 'text/plain', params: {} },
  ];
  for (const ct of cases) t.same(parseContentType(formatContentType(ct)), ct, `round trip ${formatContentType(ct)}`);
});

t.test('RFC 2047 encoded-words', async (t) => {
  // §8 examples.
  t.equal(decodeEncodedWords('=?US-ASCII?Q?Keith_Moore?= <moore@cs.utk.edu>'), 'Keith Moore <moore@cs.utk.edu>');
  t.equal(decodeEncodedWords('=?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>'), 'André Pirard <PIRARD@vm1.ulg.ac.be>');
  t.equal(
    decodeEncodedWords('=?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?= =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?='),
    'If you can read this you understand the example.',
  );
  t.equal(decodeEncodedWords('(=?ISO-8859-1?Q?a?= b)'), '(a b)');
  t.equal(decodeEncodedWords('(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)'), '(ab)', 'space between words dropped');
  t.equal(decodeEncodedWords('(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)'), '(ab)');
  t.equal(decodeEncodedWords('(=?ISO-8859-1?Q?a_b?=)'), '(a b)');
  t.equal(decodeEncodedWords('=?UTF-8?B?5pel?==?UTF-8?B?5pys?='), '日本');
  t.equal(decodeEncodedWords('=?utf-8?q?=E6=97?= =?utf-8?q?=A5?='), '日', 'a character split across words');
  t.equal(decodeEncodedWords('=?UTF-8*en?Q?hi?='), 'hi', 'RFC 2231 §5 language');
  t.equal(decodeEncodedWords('=?x-unknown?Q?abc?= tail'), '=?x-unknown?Q?abc?= tail', 'unknown charset left as-is');
  t.equal(decodeEncodedWords('plain text, =?bad word'), 'plain text, =?bad word');
});

t.test('MimeHeaders', async (t) => {
  const h = new MimeHeaders([
    { name: 'Content-ID', value: '<a>' },
    { name: 'x-b', value: '1' },
    { name: 'X-B', value: '2' },
  ]);
  t.equal(h.get('content-id'), '<a>');
  t.equal(h.get('X-b'), '1', 'first occurrence');
  t.same(h.getAll('x-B'), ['1', '2']);
  t.same(h.getAll('none'), []);
  t.equal(h.get('none'), undefined);
  t.same(
    h.entries().map((e) => e.name),
    ['Content-ID', 'x-b', 'X-B'],
    'names as given, in order',
  );
});

t.test('startPart and findPart', async (t) => {
  const leaf = (id: string | undefined, loc?: string): MimeEntity => ({
    headers: new MimeHeaders([]),
    contentType: { type: 'text/plain', params: {} },
    transferEncoding: '7bit',
    body: Buffer.from(id ?? loc ?? ''),
    ...(id !== undefined ? { contentId: id } : {}),
    ...(loc !== undefined ? { contentLocation: loc } : {}),
  });
  const a = leaf('a@x');
  const b = leaf('b x/é');
  const c = leaf(undefined, 'a@x');
  const inner: MimeEntity = {
    headers: new MimeHeaders([]),
    contentType: { type: 'multipart/mixed', params: {} },
    transferEncoding: '7bit',
    contentId: 'inner',
    parts: [b, c],
  };
  const related = (start?: string): MimeEntity => ({
    headers: new MimeHeaders([]),
    contentType: { type: 'multipart/related', params: start === undefined ? { boundary: 'q' } : { boundary: 'q', start } },
    transferEncoding: '7bit',
    parts: [a, inner],
  });
  t.equal(startPart(related('<inner>')), inner, 'start with <>');
  t.equal(startPart(related('inner')), inner, 'start without <>');
  t.equal(startPart(related()), a, 'no start: first part');
  t.equal(startPart(related('<missing>')), a, 'unknown start: first part');
  t.equal(startPart({ ...related(), parts: [] }), undefined);
  const root = related();
  t.equal(findPart(root, 'cid:a@x'), a);
  t.equal(findPart(root, 'CID:a@x'), a, 'scheme is case-insensitive');
  t.equal(findPart(root, 'cid:%3Ca@x%3E'), a, 'URL-encoded <> stripped');
  t.equal(findPart(root, 'cid:b%20x%2F%C3%A9'), b, 'RFC 2392: URL-decoded (UTF-8)');
  t.equal(findPart(root, '<b x/é>'), b, '<id>');
  t.equal(findPart(root, 'a@x'), a, 'bare: Content-ID before Content-Location');
  t.equal(findPart(root, 'cid:inner'), inner, 'multipart entities are found too');
  t.equal(findPart(root, 'cid:A@X'), undefined, 'Content-IDs are case-sensitive');
  t.equal(findPart(root, 'cid:'), undefined);
  t.equal(findPart(root, 'missing'), undefined);
  const byLoc = { ...related(), parts: [inner] };
  t.equal(findPart(byLoc, 'a@x'), c, 'bare: Content-Location when no Content-ID matches');
  t.equal(findPart(byLoc, 'cid:a@x'), undefined, 'cid: never matches a Content-Location');
});
