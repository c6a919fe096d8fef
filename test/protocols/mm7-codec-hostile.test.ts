// protocols/mm7 parseMm7 against hostile, malformed and drifting input. Every refusal is checked for its
// code AND the MM7 status it is answered with (errors.ts ERROR_STATUS), and for the context it carries.
import t from 'tap';
import type { Test } from 'tap';
import { Mm7Error, parseMm7 } from '../../protocols/mm7/index.js';
import type { Mm7ErrorCode, Mm7Limits, SubmitReq } from '../../protocols/mm7/index.js';

const REL6 = 'http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-6-MM7-1-4';
const ENV = 'http://schemas.xmlsoap.org/soap/envelope/';

function envelope(
  body: string,
  header = `<mm7:TransactionID xmlns:mm7="${REL6}" env:mustUnderstand="1">tid-1</mm7:TransactionID>`,
): string {
  return `<?xml version="1.0"?><env:Envelope xmlns:env="${ENV}"><env:Header>${header}</env:Header><env:Body>${body}</env:Body></env:Envelope>`;
}

const RECIPIENTS = '<Recipients><To><Number>15551234567</Number></To></Recipients>';
function submit(inner: string, version = '6.8.0'): string {
  return envelope(`<SubmitReq xmlns="${REL6}"><MM7Version>${version}</MM7Version>${inner}</SubmitReq>`);
}

function refused(t: Test, input: string | Buffer, code: Mm7ErrorCode, status: number, limits?: Mm7Limits): Mm7Error | undefined {
  try {
    parseMm7(input, limits);
  } catch (e) {
    t.ok(e instanceof Mm7Error, `${code}: an Mm7Error`);
    if (!(e instanceof Mm7Error)) return undefined;
    t.equal(e.code, code, `code ${code}`);
    t.equal(e.status, status, `status ${status}`);
    t.ok(e.detail.length > 0 && !e.detail.includes('\n'), 'one-line detail');
    return e;
  }
  t.fail(`expected Mm7Error ${code}`);
  return undefined;
}

t.test('DOCTYPE / entity declarations are refused before parsing', async (t) => {
  const laughs =
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' +
    Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`).join('') +
    ']>' +
    envelope(`<SubmitReq xmlns="${REL6}"><MM7Version>6.8.0</MM7Version>${RECIPIENTS}<Subject>&lol9;</Subject></SubmitReq>`).replace(
      '<?xml version="1.0"?>',
      '',
    );
  const started = Date.now();
  refused(t, laughs, 'DOCTYPE', 4004);
  t.ok(Date.now() - started < 500, 'refused without expansion');
  refused(t, '<!doctype x SYSTEM "file:///etc/passwd"><x/>', 'DOCTYPE', 4004);
  refused(t, envelope('<!ENTITY x "y">'), 'DOCTYPE', 4004);
});

t.test('references to undeclared entities, bare & and bad character references are not XML', async (t) => {
  refused(t, submit(`${RECIPIENTS}<Subject>&lol;</Subject>`), 'NOT_XML', 4004);
  refused(t, submit(`${RECIPIENTS}<Subject>a & b</Subject>`), 'NOT_XML', 4004);
  refused(t, submit(`${RECIPIENTS}<Subject>&#0;</Subject>`), 'NOT_XML', 4004);
  refused(t, submit(`${RECIPIENTS}<Subject>&#xD800;</Subject>`), 'NOT_XML', 4004);
});

t.test('the five predefined entities and character references are decoded; CDATA is literal', async (t) => {
  const m = parseMm7(submit(`${RECIPIENTS}<Subject>&#x41;&#66;&amp;&lt;&gt;&quot;&apos;<![CDATA[&amp;<x>]]></Subject>`)) as SubmitReq;
  t.equal(m.subject, 'AB&<>"\'&amp;<x>');
  const a = parseMm7(submit(`${RECIPIENTS}<Content href="cid:a&amp;b&#x20;c"/>`)) as SubmitReq;
  t.equal(a.content?.href, 'cid:a&b c');
});

t.test('10^5 elements are refused fast', async (t) => {
  const big = submit(RECIPIENTS + '<x/>'.repeat(100_000));
  const started = Date.now();
  refused(t, big, 'TOO_MANY_ELEMENTS', 4004);
  t.ok(Date.now() - started < 1000, `refused in ${Date.now() - started} ms`);
  refused(t, submit(RECIPIENTS + '<x/>'.repeat(20)), 'TOO_MANY_ELEMENTS', 4004, { maxElements: 20 });
  t.equal(parseMm7(submit(RECIPIENTS + '<x/>'.repeat(20))).kind, 'SubmitReq', 'under the default limit');
});

/** `n` attributes a0="" a1="" ... (distinct names, so that the document is well-formed). */
const attrs = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `a${(from + i).toString(36)}=""`).join(' ');

t.test('an attribute bomb (116,221 attributes in ~975 KB) is refused by the pre-scan: 4004', async (t) => {
  // The hostile probe of issue 20: one envelope, every attribute on the operation element.
  const bomb = envelope(`<SubmitReq xmlns="${REL6}" ${attrs(116_221)}><MM7Version>6.8.0</MM7Version>${RECIPIENTS}</SubmitReq>`);
  t.ok(bomb.length > 900_000 && bomb.length < 1 << 20, `${bomb.length} characters: under the 1 MiB byte limit`);
  t.match(refused(t, bomb, 'TOO_MANY_ATTRIBUTES', 4004)?.detail, /5000 attributes/);
  // Spread over elements that stay under maxElements: the document's total counts.
  const spread = submit(RECIPIENTS + Array.from({ length: 4_900 }, (_, i) => `<x ${attrs(23, i * 23)}/>`).join(''));
  refused(t, spread, 'TOO_MANY_ATTRIBUTES', 4004);
  // Names without values (which the parser would refuse only after reading them all) count too.
  refused(t, submit(`${RECIPIENTS}<x ${Array.from({ length: 6_000 }, (_, i) => `b${i}`).join(' ')}/>`), 'TOO_MANY_ATTRIBUTES', 4004);
});

t.test('attributes packed after a closing quote (a=""b=""...) are counted by the pre-scan too', async (t) => {
  // No white space between one value and the next name: the parser refuses this, but only after walking it all,
  // so the pre-scan must count these names as it counts the spaced ones.
  const packed = (n: number, q = '"') => Array.from({ length: n }, (_, i) => `a${i.toString(36)}=${q}${q}`).join('');
  refused(t, submit(`${RECIPIENTS}<x ${packed(6_000)}/>`), 'TOO_MANY_ATTRIBUTES', 4004);
  refused(t, submit(`${RECIPIENTS}<x ${packed(6_000, "'")}/>`), 'TOO_MANY_ATTRIBUTES', 4004);
  // The envelope's 4 (see below) and 3 on x: over a limit of 6 whether they are spaced or packed.
  refused(t, submit(`${RECIPIENTS}<x p="1"q='2'r="3"/>`), 'TOO_MANY_ATTRIBUTES', 4004, { maxAttributes: 6 });
  // Each packed name is a token too.
  refused(t, submit(`${RECIPIENTS}<x ${packed(3_000)}/>`), 'TOO_MANY_TOKENS', 4004, { maxTokens: 2_000 });
  // A value followed by `/>` or `>` is no name.
  t.equal(parseMm7(submit(`${RECIPIENTS}<x p="1"/><y q="2"></y>`), { maxAttributes: 6 }).kind, 'SubmitReq', 'a value then /> or >');
});

t.test('attributes are counted by name: namespace declarations in, quoted text out', async (t) => {
  // Envelope xmlns:env, TransactionID xmlns:mm7 and env:mustUnderstand, SubmitReq xmlns: 4 attributes, then 3 on x.
  const doc = submit(`${RECIPIENTS}<x p="a = b c" q = 'x="y" z' r="&gt;>"/>`);
  t.equal(parseMm7(doc, { maxAttributes: 7 }).kind, 'SubmitReq', 'exactly at the limit');
  refused(t, doc, 'TOO_MANY_ATTRIBUTES', 4004, { maxAttributes: 6 });
  t.equal(parseMm7(submit(`${RECIPIENTS}<x ${attrs(4_000)}/>`)).kind, 'SubmitReq', '4,000 attributes are under the default limit');
});

t.test('tokens: references, CDATA sections, comments, PIs and tags count against maxTokens', async (t) => {
  refused(t, submit(`${RECIPIENTS}<Subject>${'&amp;'.repeat(20_001)}</Subject>`), 'TOO_MANY_TOKENS', 4004);
  refused(t, submit(`${RECIPIENTS}<Subject>${'<![CDATA[]]>'.repeat(20_001)}</Subject>`), 'TOO_MANY_TOKENS', 4004);
  refused(t, submit(`${RECIPIENTS}${'<!---->'.repeat(20_001)}`), 'TOO_MANY_TOKENS', 4004);
  refused(t, submit(`${RECIPIENTS}${'<?p?>'.repeat(20_001)}`), 'TOO_MANY_TOKENS', 4004);
  // 4,000 elements (start and end tags: 8,000 tokens) with an attribute each (4,000 more), under 20,000.
  t.equal(parseMm7(submit(RECIPIENTS + '<x a="1"></x>'.repeat(4_000))).kind, 'SubmitReq', '12,000 tokens pass');
  refused(t, submit(RECIPIENTS + '<x a="1"></x>'.repeat(4_000)), 'TOO_MANY_TOKENS', 4004, { maxTokens: 12_000 });
  const m = parseMm7(submit(`${RECIPIENTS}<Subject>${'&amp;'.repeat(1_000)}</Subject>`)) as SubmitReq;
  t.equal(m.subject, '&'.repeat(1_000), 'references under the limit are decoded');
});

t.test('1000-deep nesting is refused', async (t) => {
  const deep = submit(RECIPIENTS + '<a>'.repeat(1000) + '</a>'.repeat(1000));
  refused(t, deep, 'TOO_DEEP', 4004);
  // Envelope, Body, SubmitReq are 3 levels; 29 more is exactly the default 32.
  t.equal(parseMm7(submit(RECIPIENTS + '<a>'.repeat(29) + '</a>'.repeat(29))).kind, 'SubmitReq', 'depth 32 passes');
  refused(t, submit(RECIPIENTS + '<a>'.repeat(30) + '</a>'.repeat(30)), 'TOO_DEEP', 4004);
  refused(t, submit(RECIPIENTS + '<a>'.repeat(3) + '</a>'.repeat(3)), 'TOO_DEEP', 4004, { maxDepth: 5 });
});

t.test('size limit, in bytes', async (t) => {
  refused(t, submit(RECIPIENTS + `<Subject>${'x'.repeat(2 << 20)}</Subject>`), 'TOO_LARGE', 4004);
  const doc = submit(`${RECIPIENTS}<Subject>\u00e9\u00e9</Subject>`);
  const bytes = Buffer.byteLength(doc);
  t.equal(parseMm7(doc, { maxBytes: bytes }).kind, 'SubmitReq', 'exactly at the limit');
  refused(t, doc, 'TOO_LARGE', 4004, { maxBytes: bytes - 1 });
  refused(t, Buffer.from(doc), 'TOO_LARGE', 4004, { maxBytes: bytes - 1 });
});

t.test('not XML at all', async (t) => {
  refused(t, 'hello world', 'NOT_XML', 4004);
  refused(t, '', 'NOT_XML', 4004);
  refused(t, '<a><b></a>', 'NOT_XML', 4004);
  refused(t, '<a/><b/>', 'NOT_XML', 4004);
  refused(t, '<a x="1" x="2"/>', 'NOT_XML', 4004);
  refused(t, '<p:a/>', 'NOT_XML', 4004);
  refused(t, Buffer.from([0x3c, 0x61, 0x3e, 0xff, 0xfe, 0x3c, 0x2f, 0x61, 0x3e]), 'NOT_XML', 4004);
  refused(t, Buffer.from('<?xml version="1.0" encoding="x-klingon"?><a/>'), 'NOT_XML', 4004);
});

t.test('XML, but not a SOAP envelope', async (t) => {
  refused(t, '<Envelope/>', 'NOT_SOAP', 4004);
  refused(t, `<SubmitReq xmlns="${REL6}"><MM7Version>6.8.0</MM7Version></SubmitReq>`, 'NOT_SOAP', 4004);
  refused(t, `<env:Envelope xmlns:env="${ENV}"><env:Header/></env:Envelope>`, 'NOT_SOAP', 4004);
  refused(t, `<env:Envelope xmlns:env="${ENV}"><env:Body>  </env:Body></env:Envelope>`, 'NOT_SOAP', 4004);
});

t.test('unknown operation -> 4003, with the TransactionID and namespace it could read', async (t) => {
  const e = refused(
    t,
    envelope(`<FrobnicateReq xmlns="${REL6}"><MM7Version>6.8.0</MM7Version></FrobnicateReq>`),
    'UNKNOWN_OPERATION',
    4003,
  );
  t.equal(e?.transactionId, 'tid-1');
  t.equal(e?.namespace, REL6);
  t.equal(e?.operation, 'FrobnicateReq');
});

t.test('missing TransactionID, MM7Version, Recipients', async (t) => {
  const noTid = refused(
    t,
    envelope(`<SubmitReq xmlns="${REL6}"><MM7Version>6.8.0</MM7Version>${RECIPIENTS}</SubmitReq>`, ''),
    'MISSING_ELEMENT',
    4004,
  );
  t.match(noTid?.detail, /TransactionID/);
  t.equal(noTid?.namespace, REL6, 'the namespace is still known');
  refused(
    t,
    envelope(
      `<SubmitReq xmlns="${REL6}"><MM7Version>6.8.0</MM7Version>${RECIPIENTS}</SubmitReq>`,
      `<TransactionID xmlns="${REL6}">  </TransactionID>`,
    ),
    'MISSING_ELEMENT',
    4004,
  );
  const noVersion = refused(t, envelope(`<SubmitReq xmlns="${REL6}">${RECIPIENTS}</SubmitReq>`), 'MISSING_ELEMENT', 4004);
  t.match(noVersion?.detail, /MM7Version/);
  t.equal(noVersion?.transactionId, 'tid-1');
  const noRecipients = refused(t, submit('<Subject>x</Subject>'), 'MISSING_ELEMENT', 4004);
  t.match(noRecipients?.detail, /Recipients/);
  t.equal(noRecipients?.transactionId, 'tid-1');
  t.equal(noRecipients?.mm7Version, '6.8.0');
  t.match(refused(t, submit('<Recipients><To/></Recipients>'), 'MISSING_ELEMENT', 4004)?.detail, /Recipients/);
  t.match(
    refused(t, envelope(`<CancelReq xmlns="${REL6}"><MM7Version>6.8.0</MM7Version><MessageID/></CancelReq>`), 'MISSING_ELEMENT', 4004)
      ?.detail,
    /MessageID/,
  );
  t.match(
    refused(
      t,
      envelope(
        `<DeliveryReportReq xmlns="${REL6}"><MM7Version>6.8.0</MM7Version><MessageID>1</MessageID><Recipient><Number>1</Number></Recipient><Date>2020-01-01T00:00:00Z</Date><MMStatus>Retrieved</MMStatus></DeliveryReportReq>`,
      ),
      'MISSING_ELEMENT',
      4004,
    )?.detail,
    /Sender/,
  );
  t.match(
    refused(t, envelope(`<SubmitRsp xmlns="${REL6}"><MM7Version>6.8.0</MM7Version></SubmitRsp>`), 'MISSING_ELEMENT', 4004)?.detail,
    /Status/,
  );
});

t.test('bad values -> 2007', async (t) => {
  const b = refused(t, submit(`${RECIPIENTS}<DeliveryReport>yes</DeliveryReport>`), 'BAD_VALUE', 2007);
  t.match(b?.detail, /DeliveryReport/);
  t.equal(b?.transactionId, 'tid-1');
  t.equal(b?.namespace, REL6);
  refused(t, submit(`${RECIPIENTS}<TimeStamp>yesterday</TimeStamp>`), 'BAD_VALUE', 2007);
  refused(t, submit(`${RECIPIENTS}<TimeStamp>2021-02-29T10:00:00Z</TimeStamp>`), 'BAD_VALUE', 2007);
  refused(t, submit(`${RECIPIENTS}<TimeStamp>2021-01-01T25:00:00Z</TimeStamp>`), 'BAD_VALUE', 2007);
  refused(t, submit(`${RECIPIENTS}<ExpiryDate>P</ExpiryDate>`), 'BAD_VALUE', 2007);
  refused(t, submit(`${RECIPIENTS}<ExpiryDate>P1DT</ExpiryDate>`), 'BAD_VALUE', 2007);
  refused(t, submit(`${RECIPIENTS}<ExpiryDate>-P1D</ExpiryDate>`), 'BAD_VALUE', 2007);
  refused(t, submit(`${RECIPIENTS}<Priority>Urgent</Priority>`), 'BAD_VALUE', 2007);
  refused(t, submit(`${RECIPIENTS}<MessageClass>Spam</MessageClass>`), 'BAD_VALUE', 2007);
  refused(t, submit(`${RECIPIENTS}<ReplyCharging replyChargingSize="-1"/>`), 'BAD_VALUE', 2007);
  refused(t, submit('<Recipients><To><Number addressCoding="rot13">1</Number></To></Recipients>'), 'BAD_VALUE', 2007);
  refused(t, submit('<Recipients><To><Number displayOnly="maybe">1</Number></To></Recipients>'), 'BAD_VALUE', 2007);
  refused(t, submit('<Recipients><To><Number> </Number></To></Recipients>'), 'BAD_VALUE', 2007);
  refused(
    t,
    envelope(`<SubmitRsp xmlns="${REL6}"><MM7Version>6.8.0</MM7Version><Status><StatusCode>OK</StatusCode></Status></SubmitRsp>`),
    'BAD_VALUE',
    2007,
  );
});

t.test('unsupported versions -> 4002', async (t) => {
  const v = refused(t, submit(RECIPIENTS, '7.0.0'), 'UNSUPPORTED_VERSION', 4002);
  t.equal(v?.mm7Version, '7.0.0');
  t.equal(v?.transactionId, 'tid-1');
  refused(t, submit(RECIPIENTS, '4.1.0'), 'UNSUPPORTED_VERSION', 4002);
  refused(t, submit(RECIPIENTS, 'six'), 'UNSUPPORTED_VERSION', 4002);
  refused(
    t,
    envelope(`<SubmitReq xmlns="urn:example:not-mm7"><MM7Version>6.8.0</MM7Version>${RECIPIENTS}</SubmitReq>`),
    'UNSUPPORTED_VERSION',
    4002,
  );
  const rel7 = 'http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-7-MM7-1-0';
  refused(
    t,
    envelope(
      `<SubmitReq xmlns="${rel7}"><MM7Version>6.8.0</MM7Version>${RECIPIENTS}</SubmitReq>`,
      `<TransactionID xmlns="${rel7}">t</TransactionID>`,
    ),
    'UNSUPPORTED_VERSION',
    4002,
  );
});

t.test('drift that is accepted', async (t) => {
  // Case of element names, enum values and booleans; unknown elements, including JS-dangerous names.
  const m = parseMm7(
    submit(
      '<recipients><to><number>1</number></to><CC><shortcode>2</shortcode></CC><bcc><rfc2822address>a@b</rfc2822address></bcc></recipients>' +
        '<PRIORITY>HIGH</PRIORITY><messageclass>advertisement</messageclass><DeliveryReport>TRUE</DeliveryReport>' +
        '<ReadReply>0</ReadReply><DRMContent>1</DRMContent><DistributionIndicator>False</DistributionIndicator>' +
        '<constructor>x</constructor><__proto__ polluted="1">y</__proto__><Unknown><Deeper/></Unknown>' +
        '<ChargedParty>thirdparty</ChargedParty><ExpiryDate>P1Y2M3DT4H5M6.5S</ExpiryDate><Subject/>',
    ),
  );
  t.strictSame(m, {
    kind: 'SubmitReq',
    transactionId: 'tid-1',
    namespace: REL6,
    mm7Version: '6.8.0',
    recipients: {
      to: [{ kind: 'number', value: '1' }],
      cc: [{ kind: 'shortCode', value: '2' }],
      bcc: [{ kind: 'email', value: 'a@b' }],
    },
    priority: 'High',
    messageClass: 'Advertisement',
    deliveryReport: true,
    readReply: false,
    drmContent: true,
    distributionIndicator: false,
    chargedParty: 'ThirdParty',
    expiryDate: { text: 'P1Y2M3DT4H5M6.5S', relativeSeconds: (365 + 60 + 3) * 86400 + 4 * 3600 + 5 * 60 + 6.5 },
  });
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution');
});

t.test('TransactionID without namespace or mustUnderstand; no namespace anywhere -> from MM7Version', async (t) => {
  const bare = envelope(`<SubmitReq><MM7Version>5.3.0</MM7Version>${RECIPIENTS}</SubmitReq>`, '<TransactionID>t-bare</TransactionID>');
  const m = parseMm7(bare);
  t.equal(m.transactionId, 't-bare');
  t.equal(m.namespace, 'http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-5-MM7-1-0');
  t.equal(m.mm7Version, '5.3.0');
});

t.test('an encoding other than UTF-8, from its XML declaration', async (t) => {
  const doc = submit(`${RECIPIENTS}<Subject>caf\u00e9</Subject>`).replace(
    '<?xml version="1.0"?>',
    '<?xml version="1.0" encoding="ISO-8859-1"?>',
  );
  const m = parseMm7(Buffer.from(doc, 'latin1')) as SubmitReq;
  t.equal(m.subject, 'caf\u00e9');
  const bom = parseMm7(
    Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(submit(`${RECIPIENTS}<Subject>\u2603</Subject>`))]),
  ) as SubmitReq;
  t.equal(bom.subject, '\u2603', 'UTF-8 with a BOM');
});
