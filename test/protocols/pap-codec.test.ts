// protocols/pap: the push submission (WAP-247-PAP §8.2, §9.2) read back with our MIME parser and fast-xml-parser
// (not our PAP code), the PPG's answers (§9.3, §9.12) as real PPGs write them, hostile answers (each must end in
// a PapError, never another exception), and the result code table (§9.13).
import { XMLParser } from 'fast-xml-parser';
import t, { type Test } from 'tap';
import { parseMultipart, type MimeEntity } from '../../protocols/mime/index.js';
import {
  PAP_CODES,
  PAP_DOCTYPE,
  PapError,
  buildPapRequest,
  formatPapAddress,
  formatPapTimestamp,
  isPapSuccess,
  papCodeInfo,
  parsePapResponse,
  type PapContent,
  type PapErrorCode,
  type PapPushMessage,
} from '../../protocols/pap/index.js';
import { prng } from '../helpers/prng.js';

async function* once(b: Buffer): AsyncGenerator<Buffer> {
  yield b;
}

/** Every octet value, plus what could confuse a MIME reader: CRLF, a dash-dash line, a NUL. */
const BINARY = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from('\r\n--\r\n--pap-\r\n\0')]);
const CONTENT: PapContent = { contentType: 'application/vnd.wap.mms-message', applicationId: 'x-wap-application:mms.ua', body: BINARY };
const MSG: PapPushMessage = {
  pushId: 'n-0001@mmsc.example.net',
  address: '+15551234567',
  addressDomain: 'ppg.example.net',
  deliverBeforeTimestamp: new Date('2031-05-06T07:08:09.876Z'),
  deliverAfterTimestamp: new Date('2031-05-01T00:00:00Z'),
  sourceReference: 'mmsc.example.net',
  deliveryMethod: 'unconfirmed',
};

// fast-xml-parser with its defaults for entities (it decodes the predefined ones and character references).
const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', parseAttributeValue: false, htmlEntities: true });

async function readBack(msg: PapPushMessage, content: PapContent = CONTENT) {
  const req = buildPapRequest(msg, content);
  const root = await parseMultipart(once(req.body), req.contentType);
  const parts = root.parts as MimeEntity[];
  const controlText = parts[0]!.body!.toString('utf8');
  const doc = xml.parse(controlText) as {
    pap: { 'push-message': Record<string, unknown> & { address: Record<string, string>; 'quality-of-service'?: Record<string, string> } };
  };
  return { req, root, parts, controlText, pm: doc.pap['push-message'] };
}

t.test('build: multipart/related with the control entity first, read back by our MIME parser', async (t) => {
  const { req, root, parts, controlText, pm } = await readBack(MSG);
  t.match(req.contentType, /^multipart\/related; boundary=pap-[0-9a-f]{32}; type="application\/xml"$/);
  t.equal(root.contentType.type, 'multipart/related');
  t.equal(root.contentType.params.type, 'application/xml', 'type parameter names the control entity (§8.2)');
  t.equal(parts.length, 2, 'control entity + content entity, no capabilities entity');
  t.equal(parts[0]!.contentType.type, 'application/xml');
  t.ok(controlText.startsWith('<?xml version="1.0" encoding="UTF-8"?>\r\n' + PAP_DOCTYPE), 'XML declaration, then the PAP 2.0 DOCTYPE');
  t.match(PAP_DOCTYPE, /PUBLIC "-\/\/WAPFORUM\/\/DTD PAP 2\.0\/\/EN"/);

  t.equal(pm['push-id'], MSG.pushId);
  t.equal(pm['deliver-before-timestamp'], '2031-05-06T07:08:09Z', 'UTC, seconds, no fraction');
  t.equal(pm['deliver-after-timestamp'], '2031-05-01T00:00:00Z');
  t.equal(pm['source-reference'], 'mmsc.example.net');
  t.equal(pm.address['address-value'], 'WAPPUSH=+15551234567/TYPE=PLMN@ppg.example.net', 'WAP-249-PPGService §6.1 form');
  t.equal(pm['quality-of-service']?.['delivery-method'], 'unconfirmed');

  const c = parts[1]!;
  t.equal(c.contentType.type, 'application/vnd.wap.mms-message');
  t.equal(c.headers.get('x-wap-application-id'), 'x-wap-application:mms.ua');
  t.equal(c.headers.get('content-transfer-encoding'), undefined, 'binary, no transfer encoding (HTTP is 8-bit clean)');
  t.ok(c.body!.equals(BINARY), 'every octet value, CRLF and dash lines come back unchanged');
});

t.test('build: optional fields left out; output is a function of the input', async (t) => {
  const bare: PapPushMessage = { pushId: 'x', address: '+4915123456789' };
  const { controlText, pm } = await readBack(bare);
  t.equal(pm.address['address-value'], 'WAPPUSH=+4915123456789/TYPE=PLMN', 'no ppg-specifier without a domain');
  t.equal(pm['quality-of-service'], undefined, 'no QoS element: the PPG default');
  t.notMatch(controlText, /deliver-|source-reference/);
  const a = buildPapRequest(MSG, CONTENT);
  const b = buildPapRequest(MSG, CONTENT);
  t.ok(a.body.equals(b.body) && a.contentType === b.contentType, 'same input, same bytes');
  const boundary = /boundary=([^;]+)/.exec(a.contentType)![1]!;
  const inner = a.body.subarray(`--${boundary}\r\n`.length, a.body.length - `\r\n--${boundary}--\r\n`.length);
  t.equal(inner.toString('latin1').split(`\r\n--${boundary}\r\n`).length, 2, 'the boundary occurs only as the delimiters');
});

t.test('build: attribute values are escaped, never concatenated raw', async (t) => {
  const nasty = `a"b'c<d>e&f\tg\nh\ri" foo="bar`;
  const { controlText, pm } = await readBack({ ...MSG, pushId: nasty, sourceReference: '</pap><pap>&amp;' });
  t.equal(pm['push-id'], nasty, 'push-id reads back exactly, tab/CR/LF included');
  t.equal(pm['source-reference'], '</pap><pap>&amp;');
  t.notMatch(controlText, /foo="bar"/, 'no attribute injection');
  t.equal(controlText.match(/<pap>/g)!.length, 1, 'no element injection');
  t.match(controlText, /push-id="a&quot;b&apos;c&lt;d&gt;e&amp;f&#9;g&#10;h&#13;i&quot; foo=&quot;bar"/);
  const unicode = await readBack({ ...MSG, sourceReference: 'Grüße 📨' });
  t.equal(unicode.pm['source-reference'], 'Grüße 📨', 'UTF-8 as declared');
});

t.test('build: input it cannot write is a PapError INVALID_MESSAGE', async (t) => {
  const bad: Array<[string, () => unknown]> = [
    ['address without +', () => buildPapRequest({ ...MSG, address: '15551234567' }, CONTENT)],
    ['address with letters', () => buildPapRequest({ ...MSG, address: '+1555/TYPE=USER' }, CONTENT)],
    ['address too long', () => buildPapRequest({ ...MSG, address: '+1234567890123456' }, CONTENT)],
    ['domain with a slash', () => buildPapRequest({ ...MSG, addressDomain: 'ppg/x' }, CONTENT)],
    ['domain with a quote', () => buildPapRequest({ ...MSG, addressDomain: 'a"b' }, CONTENT)],
    ['empty push-id', () => buildPapRequest({ ...MSG, pushId: ' ' }, CONTENT)],
    ['NUL in push-id', () => buildPapRequest({ ...MSG, pushId: 'a\0b' }, CONTENT)],
    ['lone surrogate', () => buildPapRequest({ ...MSG, sourceReference: '\ud800' }, CONTENT)],
    ['invalid date', () => buildPapRequest({ ...MSG, deliverBeforeTimestamp: new Date('nope') }, CONTENT)],
    ['year 10000', () => buildPapRequest({ ...MSG, deliverAfterTimestamp: new Date(Date.UTC(10000, 0, 1)) }, CONTENT)],
    ['delivery method', () => buildPapRequest({ ...MSG, deliveryMethod: 'whenever' as never }, CONTENT)],
    ['CRLF in content type', () => buildPapRequest(MSG, { ...CONTENT, contentType: 'text/plain\r\nX-Evil: 1' })],
    ['CRLF in application id', () => buildPapRequest(MSG, { ...CONTENT, applicationId: 'x\ny' })],
    ['empty application id', () => buildPapRequest(MSG, { ...CONTENT, applicationId: '' })],
  ];
  for (const [what, f] of bad) t.throws(f, { name: 'PapError', code: 'INVALID_MESSAGE' }, what);
  t.equal(formatPapAddress('+1', 'a-b.example'), 'WAPPUSH=+1/TYPE=PLMN@a-b.example');
  t.equal(formatPapTimestamp(new Date(0)), '1970-01-01T00:00:00Z');
});

// What Kannel 1.4.5's PPG answered to a push (its DOCTYPE is PAP 1.0; note `code ="1001"`).
const KANNEL_1001 =
  '<?xml version="1.0"?><!DOCTYPE pap PUBLIC "-//WAPFORUM//DTD PAP 1.0//EN" "http://www.wapforum.org/DTD/pap_1.0.dtd">' +
  '<pap><push-response push-id="test-1@mmsc.example.net" sender-name="vm; WAP/1.3 (Kannel/1.4.5)" reply-time="2026-11-25T06:56:06Z" ' +
  'sender-address="/wappush"><response-result code ="1001" desc="The request has been accepted for processing"></response-result>' +
  '</push-response></pap>';

t.test('parse: push-response as Kannel writes it', async (t) => {
  const r = parsePapResponse(Buffer.from(KANNEL_1001));
  t.same(r, {
    kind: 'push-response',
    pushId: 'test-1@mmsc.example.net',
    code: 1001,
    description: 'The request has been accepted for processing',
    senderAddress: '/wappush',
    senderName: 'vm; WAP/1.3 (Kannel/1.4.5)',
    replyTime: new Date('2026-11-25T06:56:06Z'),
  });
  t.same(parsePapResponse('\r\n' + KANNEL_1001), r, 'leading line break tolerated');
  t.same(parsePapResponse(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(KANNEL_1001)])), r, 'UTF-8 BOM');
});

t.test('parse: other real-looking answers', async (t) => {
  const pap2 =
    '<?xml version="1.0"?>\n<!DOCTYPE pap PUBLIC "-//WAPFORUM//DTD PAP 2.0//EN" "http://www.wapforum.org/DTD/pap_2.0.dtd"\n' +
    '  [<?wap-pap-ver supported-versions="2.0,1.*"?>]>\n';
  t.throws(
    () => parsePapResponse(pap2 + '<pap/>'),
    { code: 'DOCTYPE' },
    'an internal subset is refused even when it only holds the version PI',
  );
  const plain =
    '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE pap PUBLIC "-//WAPFORUM//DTD PAP 2.0//EN" "http://www.wapforum.org/DTD/pap_2.0.dtd">\n';
  const ok = parsePapResponse(
    plain +
      '<pap product-name="Some PPG">\n  <push-response push-id="p&amp;1" sender-address="http://ppg.example.net/pap" reply-time="2031-13-01T00:00:00Z">\n' +
      '    <response-result code="1000" desc="OK"/>\n  </push-response>\n</pap>\n',
  );
  t.same(
    ok,
    { kind: 'push-response', pushId: 'p&1', code: 1000, description: 'OK', senderAddress: 'http://ppg.example.net/pap' },
    'a bad reply-time is dropped, not fatal',
  );
  const refused = parsePapResponse(
    plain + '<pap><push-response push-id="p2"><response-result code="2002" desc="Address Error"/></push-response></pap>',
  );
  t.match(refused, { kind: 'push-response', code: 2002, description: 'Address Error' });
  const bad = parsePapResponse(
    plain + '<pap><badmessage-response code="2000" desc="Bad Request" bad-message-fragment="&lt;pap&gt;&lt;push-message&#10;"/></pap>',
  );
  t.same(bad, { kind: 'badmessage-response', code: 2000, description: 'Bad Request', badMessageFragment: '<pap><push-message\n' });
  const latin1 = Buffer.concat([
    Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><pap><badmessage-response code="2000" desc="'),
    Buffer.from([0x47, 0xfc, 0x6c]),
    Buffer.from('"/></pap>'),
  ]);
  t.match(parsePapResponse(latin1), { description: 'Gül' }, 'declared encoding honoured');
  t.match(
    parsePapResponse('<pap><push-response push-id="x"><response-result code="1999"/></push-response></pap>'),
    { code: 1999 },
    'unlisted code of a known class',
  );
});

function refuses(t: Test, input: string | Buffer, code: PapErrorCode, what: string): void {
  try {
    parsePapResponse(input);
    t.fail(`${what}: parsed`);
  } catch (e) {
    t.ok(
      e instanceof PapError && e.code === code,
      `${what}: PapError ${code}${e instanceof PapError ? ` (got ${e.code})` : ` (got ${String(e)})`}`,
    );
  }
}

t.test('parse: hostile and malformed answers are PapErrors', async (t) => {
  refuses(t, '', 'NOT_XML', 'empty');
  refuses(t, 'garbage', 'NOT_XML', 'text');
  refuses(t, Buffer.from([0xff, 0x00, 0x12, 0x80, 0x3c]), 'NOT_XML', 'binary');
  refuses(t, Buffer.from([0x3c, 0x70, 0x61, 0x70, 0x3e, 0xc3, 0x28, 0x3c, 0x2f, 0x70, 0x61, 0x70, 0x3e]), 'NOT_XML', 'invalid UTF-8');
  refuses(t, '<html><body>502 Bad Gateway</body></html>', 'NOT_PAP', 'an HTML error page');
  refuses(t, '<pap/>', 'NOT_PAP', 'empty pap');
  refuses(
    t,
    '<pap><push-response push-id="a"><response-result code="1001"/></push-response><push-response push-id="b"><response-result code="1001"/></push-response></pap>',
    'NOT_PAP',
    'two answers',
  );
  refuses(t, '<pap><cancel-response/></pap>', 'UNEXPECTED_RESPONSE', 'another operation');
  refuses(t, '<pap><push-response><response-result code="1001"/></push-response></pap>', 'MISSING_FIELD', 'no push-id');
  refuses(t, '<pap><push-response push-id="a"/></pap>', 'MISSING_FIELD', 'no response-result');
  refuses(t, '<pap><push-response push-id="a"><response-result desc="x"/></push-response></pap>', 'MISSING_FIELD', 'no code');
  refuses(t, '<pap><push-response push-id="a"><response-result code="OK"/></push-response></pap>', 'BAD_CODE', 'code OK');
  refuses(t, '<pap><push-response push-id="a"><response-result code="999"/></push-response></pap>', 'BAD_CODE', 'code 999');
  refuses(t, '<pap><badmessage-response code="6000"/></pap>', 'BAD_CODE', 'code 6000');
  refuses(t, '<pap><badmessage-response code="1e3"/></pap>', 'BAD_CODE', 'code 1e3');
  refuses(t, '<pap><__proto__ push-id="a"/></pap>', 'UNEXPECTED_RESPONSE', '__proto__ element');
  refuses(
    t,
    '<pap><push-response __proto__="x" constructor="y"><response-result code="1001"/></push-response></pap>',
    'MISSING_FIELD',
    '__proto__ attributes',
  );
  refuses(t, '<pap><push-response push-id="&xxe;"><response-result code="1001"/></push-response></pap>', 'NOT_XML', 'undeclared entity');
  refuses(t, '<pap><push-response push-id="&#0;"><response-result code="1001"/></push-response></pap>', 'NOT_XML', 'reference to NUL');
  refuses(
    t,
    '<pap><push-response push-id="a" push-id="b"><response-result code="1001"/></push-response></pap>',
    'NOT_XML',
    'repeated attribute',
  );
  refuses(t, '<pap><push-response push-id="a"><response-result code="1001"/></pap>', 'NOT_XML', 'unclosed element');

  const laughs =
    '<?xml version="1.0"?><!DOCTYPE pap [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><pap><badmessage-response code="2000" desc="&lol3;"/></pap>';
  refuses(t, laughs, 'DOCTYPE', 'billion laughs');
  refuses(t, '<!DOCTYPE pap SYSTEM "file:///etc/passwd" [<!ENTITY x SYSTEM "file:///etc/passwd">]><pap/>', 'DOCTYPE', 'external entity');
  refuses(t, '<pap><!ENTITY x "y"><badmessage-response code="2000"/></pap>', 'DOCTYPE', 'declaration inside the document');
  refuses(t, '<!DOCTYPE pap><!DOCTYPE pap><pap/>', 'DOCTYPE', 'second DOCTYPE');
  refuses(t, '<pap>' + '<x>'.repeat(20) + '</x>'.repeat(20) + '</pap>', 'TOO_DEEP', 'deep nesting');
  refuses(t, '<pap>' + '<x/>'.repeat(200) + '</pap>', 'TOO_MANY_ELEMENTS', 'many elements');
  refuses(t, `<pap><x ${Array.from({ length: 401 }, (_, i) => `a${i}="1"`).join(' ')}/></pap>`, 'TOO_MANY_ATTRIBUTES', 'many attributes');
  refuses(t, `<pap>${'<!---->'.repeat(2_001)}</pap>`, 'TOO_MANY_TOKENS', 'many tokens');
  refuses(t, Buffer.alloc(64 * 1024 + 1, 0x20), 'TOO_LARGE', 'over 64 KiB (Buffer)');
  refuses(t, ' '.repeat(64 * 1024 + 1), 'TOO_LARGE', 'over 64 KiB (string)');
  t.match(parsePapResponse(KANNEL_1001, { maxBytes: KANNEL_1001.length }), { code: 1001 }, 'exactly at the limit');
  refuses(t, Buffer.from('<?xml version="1.0" encoding="x-nonsense"?><pap/>'), 'NOT_XML', 'unknown encoding');
  refuses(t, '<pap><!-- never closed', 'NOT_XML', 'unterminated comment');
  refuses(t, '<!DOCTYPE pap PUBLIC "never closed', 'NOT_XML', 'unterminated DOCTYPE');
});

t.test('parse: every truncation and random corruption of a real answer ends in a result or a PapError', async (t) => {
  const whole = Buffer.from(KANNEL_1001);
  let errors = 0;
  for (let n = 0; n < whole.length; n++) {
    try {
      parsePapResponse(whole.subarray(0, n));
      t.fail(`prefix of ${n} bytes parsed`);
    } catch (e) {
      if (!(e instanceof PapError)) t.fail(`prefix of ${n} bytes: ${String(e)}`);
      else errors++;
    }
  }
  t.equal(errors, whole.length, `all ${whole.length} truncations refused with a PapError`);
  const rand = prng(0x9a9);
  let other = 0;
  let parsed = 0;
  for (let i = 0; i < 3000; i++) {
    const b = Buffer.from(whole);
    for (let k = 1 + Math.floor(rand() * 4); k > 0; k--) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
    try {
      parsePapResponse(b);
      parsed++;
    } catch (e) {
      if (!(e instanceof PapError)) other++;
    }
  }
  t.equal(other, 0, `3000 corruptions: no exception other than PapError (${parsed} still parsed)`);
});

t.test('code table (§9.13)', async (t) => {
  const by = new Map(PAP_CODES.map((c) => [c.code, c]));
  t.ok(by.get(1000)!.success && by.get(1001)!.success, '1000 and 1001 are successes');
  t.ok(isPapSuccess(1001) && !isPapSuccess(2000) && !isPapSuccess(42));
  for (const c of [2000, 2001, 2002, 2007, 3001, 3006]) t.equal(by.get(c)!.transient, false, `${c} ${by.get(c)!.name}: permanent`);
  for (const c of [3000, 3009, 3010, 4000, 4001]) t.equal(by.get(c)!.transient, true, `${c} ${by.get(c)!.name}: transient`);
  t.ok(
    PAP_CODES.every((c) => c.spec === 'WAP-247-PAP-20010429 §9.13'),
    'every row cites the spec',
  );
  t.ok(
    PAP_CODES.every(
      (c) =>
        String(c.code)[0] ===
        { success: '1', 'client-error': '2', 'server-error': '3', 'service-failure': '4', 'client-aborted': '5' }[c.class],
    ),
  );
  t.match(papCodeInfo(2999), { code: 2999, class: 'client-error', transient: false }, 'unknown code: its class x000 row');
  t.match(papCodeInfo(4321), { code: 4321, class: 'service-failure', transient: true });
  t.match(papCodeInfo(5028), { class: 'client-aborted' });
  t.throws(() => papCodeInfo(999), RangeError);
  t.throws(() => papCodeInfo(6000), RangeError);
});
