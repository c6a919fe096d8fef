// core/sanitise.ts: the names and labels of a message made safe for every outbound form. Expected values are
// written by hand; the last test hands hostile messages to the real outbound encoders (MM7 DeliverReq's MIME
// builder, the m-retrieve-conf PDU encoder, the web view's HTTP headers) before and after.
import { validateHeaderValue } from 'node:http';
import t from 'tap';
import { encodePdu } from '../../protocols/mms/index.js';
import type { CoreMessage } from '../../src/core/message.js';
import { MAX_NAME_CHARS, safeId, safeName, sanitiseMessage } from '../../src/core/sanitise.js';
import { retrieveConfFor } from '../../src/mm1/pdus.js';
import { deliverRequest } from '../../src/mm7/outbound.js';

function message(parts: CoreMessage['parts'], extra: Partial<CoreMessage> = {}): CoreMessage {
  return {
    id: 'm-1',
    originator: { address: '+15550000001', type: 'plmn' },
    recipients: [{ address: '7102', type: 'shortcode', kind: 'to' }],
    contentType: 'application/vnd.wap.multipart.mixed',
    parts,
    expiresAt: 2_000_000_000_000,
    deliveryReport: false,
    readReport: false,
    priority: 'normal',
    messageClass: 'personal',
    origin: { iface: 'rest', peer: 'src' },
    receivedAt: 1_900_000_000_000,
    ...extra,
  };
}

t.test('safeName: controls and formatting characters removed, length bounded, the rest kept', async (t) => {
  const long = 'n'.repeat(300);
  const cases: Array<[string, string | undefined, string]> = [
    ['a\r\nb.jpg', 'ab.jpg', 'CR LF'],
    ['pic\u0000.jpg', 'pic.jpg', 'NUL'],
    ['tab\there\u0001\u007f\u0085.png', 'tabhere.png', 'TAB, SOH, DEL, NEL (C1)'],
    ['photo\u202egpj.exe', 'photogpj.exe', 'RIGHT-TO-LEFT OVERRIDE'],
    ['a\u2028b\u2066c\u200fd\ufeff.txt', 'abcd.txt', 'line separator, isolate, mark, BOM'],
    ['x\ud800y.jpg', 'xy.jpg', 'a lone surrogate'],
    ['café 😀.jpg', 'café 😀.jpg', 'non-ASCII and a surrogate pair kept'],
    ['  spaced.gif  ', 'spaced.gif', 'trimmed'],
    ['\r\n\u0000', undefined, 'nothing left'],
    ['€ rates', '€ rates', 'unchanged'],
    [`${long}.jpeg`, `${'n'.repeat(MAX_NAME_CHARS - 5)}.jpeg`, 'bounded, the extension kept'],
    ['😀'.repeat(300), '😀'.repeat(MAX_NAME_CHARS), 'bounded in code points, no pair split'],
  ];
  for (const [input, want, what] of cases) t.equal(safeName(input), want, what);
});

t.test('safeId: as a name, without inner angle brackets, the outer ones kept as sent', async (t) => {
  const cases: Array<[string, string | undefined]> = [
    ['<img\r1\u0007@vasp>', '<img1@vasp>'],
    ['img\n1@vasp', 'img1@vasp'],
    ['<a<b>c>', '<abc>'],
    ['<\u0000>', undefined],
    ['<plain@id>', '<plain@id>'],
  ];
  for (const [input, want] of cases) t.equal(safeId(input), want, JSON.stringify(input));
});

t.test('sanitiseMessage: a clean message is left as it is, and nothing is reported', async (t) => {
  const m = message(
    [
      { index: 0, contentType: 'application/smil', contentId: '<smil>', size: 10 },
      { index: 1, contentType: 'image/jpeg', params: { name: 'photo.jpg' }, contentLocation: 'photo.jpg', size: 100 },
      { index: 2, contentType: 'text/plain', params: { charset: 'utf-8' }, contentLocation: 't.txt', contentId: '<t@x>', size: 5 },
    ],
    {
      subject: 'Grüße\nline two',
      contentType: 'application/vnd.wap.multipart.related',
      contentTypeParams: { type: 'application/smil', start: '<smil>' },
    },
  );
  const before = structuredClone(m);
  t.same(sanitiseMessage(m), []);
  t.strictSame(m, before);
});

t.test('sanitiseMessage: types, parameters, duplicates and the subject', async (t) => {
  const m = message(
    [
      {
        index: 0,
        contentType: 'Image/JPEG',
        params: { 'bad name': 'x', charset: 'x-unknown-8', name: 'a\r\n.jpg', q: '0.5' },
        contentLocation: 'photo.jpg',
        size: 1,
      },
      {
        index: 1,
        contentType: 'text/plain\r\nX-Evil: 1',
        params: { charset: 'ISO-8859-1', 'x-note': 'one\u0000two' },
        contentLocation: 'photo.jpg',
        size: 1,
      },
      { index: 2, contentType: 'image/png', contentLocation: 'photo\r.jpg', contentId: '<a@x>', size: 1 },
      { index: 3, contentType: 'image/png', contentLocation: 'notes', contentId: '<a\u0000@x>', size: 1 },
      { index: 4, contentType: 'image/png', contentLocation: 'notes', contentId: 'a@x', size: 1 },
    ],
    {
      subject: 'vote\u0001\u0000 now\ufffe',
      contentType: 'application/vnd.wap.multipart.related\r\nX: y',
      contentTypeParams: { start: '<a\r@x>', 'x y': 'z' },
    },
  );
  const changes = sanitiseMessage(m);
  t.equal(m.subject, 'vote now', 'the subject without what XML cannot carry');
  t.strictSame(
    m.parts.map((p) => [p.contentType, p.params, p.contentLocation, p.contentId]),
    [
      ['image/jpeg', { name: 'a.jpg' }, 'photo.jpg', undefined],
      ['application/octet-stream', { charset: 'ISO-8859-1', 'x-note': 'onetwo' }, 'photo-2.jpg', undefined],
      ['image/png', undefined, 'photo-3.jpg', '<a@x>'],
      ['image/png', undefined, 'notes', '<a-2@x>'],
      ['image/png', undefined, 'notes-2', 'a-3@x'],
    ],
    'unknown charset, a token-less parameter name and a number parameter given as text removed; duplicates renamed',
  );
  t.equal(m.contentType, 'application/vnd.wap.multipart.mixed', 'a message type that is not one: mixed');
  t.strictSame(m.contentTypeParams, { start: '<a@x>' });
  t.ok(changes.length >= 10, 'each change reported');
  t.match(changes.join('\n'), /part 1 Content-Type: "Image\/JPEG" -> "image\/jpeg"/);
  t.match(changes.join('\n'), /part 1 parameter "bad name": "x" -> removed/);
  t.match(changes.join('\n'), /part 2 Content-Location \(a duplicate\): "photo.jpg" -> "photo-2.jpg"/);
  t.notOk(/[\r\n\u0000]/.test(changes.join('')), 'no raw control character in the report');
});

t.test('sanitiseMessage: 1,000 parts of one long name get 1,000 names, and the log lines stay few', async (t) => {
  const name = `${'n'.repeat(250)}.jpg`;
  const parts = Array.from({ length: 1000 }, (_, i) => ({
    index: i,
    contentType: 'image/jpeg',
    contentLocation: name,
    contentId: `<${name}>`,
    size: 1,
  }));
  const m = message(parts);
  const changes = sanitiseMessage(m);
  const locations = m.parts.map((p) => p.contentLocation!);
  t.equal(new Set(locations).size, 1000, 'every Content-Location unique');
  t.equal(new Set(m.parts.map((p) => p.contentId)).size, 1000, 'every Content-ID unique');
  t.equal(locations[0], name, 'the first keeps its name');
  t.equal(locations[999], `${'n'.repeat(256 - 4 - 5)}-1000.jpg`, 'the last: cut to fit with its suffix and extension');
  t.ok(
    locations.every((l) => [...l].length <= MAX_NAME_CHARS),
    'each within the length bound',
  );
  t.equal(changes.length, 21, '20 changes listed, then a count');
  t.equal(changes[20], `and ${1998 - 20} more changes`);
});

t.test('what the outbound encoders refuse before, they take after', async (t) => {
  const hostile = (): CoreMessage =>
    message(
      [
        {
          index: 0,
          contentType: 'image/jpeg',
          params: { name: 'a\u0000b.jpg', 'bad name': 'x' },
          contentLocation: 'evil\r\nX-Injected: 1.jpg',
          contentId: '<i\r1>',
          size: 3,
        },
        { index: 1, contentType: 'text/plain\r\nX-Evil: 2', params: { charset: 'x-unknown-8' }, contentLocation: 'n\u0000.txt', size: 3 },
      ],
      { subject: 'hi\u0001', contentTypeParams: { start: '<i\r1>', 'x y': 'z' } },
    );
  const content = [Buffer.from('abc'), Buffer.from('def')];
  const ctx = {
    namespace: 'http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-6-MM7-1-4',
    mm7Version: '6.8.0',
    relayServerId: 'mmsc',
    vaspId: 'dst',
    transactionId: 't-1',
  };
  const webHeaders = (m: CoreMessage) => m.parts.forEach((p) => validateHeaderValue('content-type', p.contentType));

  const raw = hostile();
  t.throws(() => deliverRequest(raw, 0, content, ctx), 'MM7 DeliverReq refuses the raw message');
  t.throws(() => encodePdu(retrieveConfFor(raw, raw, content, 'tx')), 'm-retrieve-conf refuses it');
  t.throws(() => webHeaders(raw), 'the web view cannot send its type');
  // Each hostile field on its own is refused by DeliverReq too (not only the first one the builder meets).
  for (const [what, change] of [
    ['Content-Location', (m: CoreMessage) => (m.parts[0]!.contentLocation = 'a\nb')],
    ['Content-ID', (m: CoreMessage) => (m.parts[0]!.contentId = '<a\rb>')],
    ['type', (m: CoreMessage) => (m.parts[0]!.contentType = 'image/jpeg\r\n')],
    ['parameter name', (m: CoreMessage) => (m.parts[0]!.params = { 'a b': 'c' })],
    ['subject', (m: CoreMessage) => (m.subject = '\u0001')],
  ] as const) {
    const m = message([{ index: 0, contentType: 'image/jpeg', size: 3 }]);
    change(m);
    t.throws(() => deliverRequest(m, 0, [Buffer.from('abc')], ctx), `DeliverReq refuses a hostile ${what}`);
    sanitiseMessage(m);
    t.doesNotThrow(() => deliverRequest(m, 0, [Buffer.from('abc')], ctx), `and takes it made safe (${what})`);
  }

  const safe = hostile();
  sanitiseMessage(safe);
  t.doesNotThrow(() => deliverRequest(safe, 0, content, ctx), 'MM7 DeliverReq');
  t.doesNotThrow(() => encodePdu(retrieveConfFor(safe, safe, content, 'tx')), 'm-retrieve-conf');
  t.doesNotThrow(() => webHeaders(safe), 'the web view');
});
