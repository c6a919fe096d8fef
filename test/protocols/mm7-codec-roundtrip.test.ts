// protocols/mm7: buildMm7 -> parseMm7 for every message kind with every field set, in a REL-5 and a REL-6
// namespace, plus the exact bytes of a few envelopes (written by hand from TS 23.140 §8.7 / SOAP 1.1).
import t from 'tap';
import { buildMm7, errorFault, isMm7StatusCode, Mm7Error, namespaceFor, parseMm7, statusText } from '../../protocols/mm7/index.js';
import type { Mm7Common, Mm7Message } from '../../protocols/mm7/index.js';

const REL5 = 'http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-5-MM7-1-3';
const REL6 = 'http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-6-MM7-1-4';

const at = { text: '2024-02-29T23:59:59.5+01:00', epochMs: Date.UTC(2024, 1, 29, 22, 59, 59, 500) };
const twoDays = { text: 'P2D', relativeSeconds: 2 * 86400 };
const mixed = { text: 'P1DT2H3M4S', relativeSeconds: 86400 + 2 * 3600 + 3 * 60 + 4 };
const app = { applicId: 'com.example.app', replyApplicId: 'com.example.reply', auxApplicInfo: 'aux & <info>' };

function all(c: Mm7Common): Mm7Message[] {
  const status = { code: 2002, text: 'Address Error', details: 'To[1] is not a "number"' };
  return [
    {
      kind: 'SubmitReq',
      ...c,
      vaspId: 'VASP<1>',
      vasId: 'VAS&1',
      senderAddress: { kind: 'shortCode', value: '12345', id: 's1' },
      recipients: {
        to: [
          { kind: 'number', value: '+15551234567', displayOnly: false },
          { kind: 'email', value: 'a@example.com', addressCoding: 'obfuscated' },
        ],
        cc: [{ kind: 'shortCode', value: '4444', displayOnly: true, addressCoding: 'encrypted', id: 'r2' }],
        bcc: [{ kind: 'number', value: '15550000000' }],
      },
      serviceCode: 'SC-1',
      linkedId: 'link-1',
      messageClass: 'Informational',
      timeStamp: at,
      replyCharging: { replyChargingSize: 2048, replyDeadline: twoDays },
      earliestDeliveryTime: mixed,
      expiryDate: at,
      deliveryReport: true,
      readReply: false,
      priority: 'High',
      subject: 'Caf\u00e9 \u2603 <b>&amp;</b> "q" \ud83d\ude00',
      chargedParty: 'ThirdParty',
      chargedPartyId: 'payer-9',
      distributionIndicator: true,
      ...app,
      contentClass: 'image-basic',
      drmContent: false,
      content: { href: 'cid:part-1@example.com', allowAdaptations: true },
    },
    { kind: 'CancelReq', ...c, vaspId: 'V', vasId: 'S', senderAddress: { kind: 'email', value: 'v@example.com' }, messageId: 'm-1' },
    {
      kind: 'ReplaceReq',
      ...c,
      vaspId: 'V',
      vasId: 'S',
      senderAddress: { kind: 'number', value: '1555' },
      messageId: 'm-2',
      serviceCode: 'SC',
      timeStamp: at,
      readReply: true,
      earliestDeliveryTime: at,
      distributionIndicator: false,
      contentClass: 'text',
      drmContent: true,
      content: { href: 'cid:new', allowAdaptations: false },
    },
    {
      kind: 'DeliverReq',
      ...c,
      mmsRelayServerId: 'mmsc.example.net',
      vaspId: 'V',
      vasId: 'S',
      linkedId: 'L-7',
      sender: { kind: 'number', value: '+15551234567' },
      recipients: { to: [{ kind: 'shortCode', value: '12345' }], cc: [{ kind: 'email', value: 'c@example.com' }], bcc: [] },
      timeStamp: at,
      replyChargingId: 'rc-1',
      priority: 'Low',
      subject: 'hello',
      ...app,
      content: { href: 'cid:mo', allowAdaptations: true },
    },
    {
      kind: 'DeliveryReportReq',
      ...c,
      mmsRelayServerId: 'mmsc.example.net',
      messageId: 'm-3',
      recipient: { kind: 'number', value: '+15551234567' },
      sender: { kind: 'shortCode', value: '12345' },
      timeStamp: at,
      mmStatus: 'Unreachable',
      statusText: 'not reachable',
      ...app,
    },
    {
      kind: 'ReadReplyReq',
      ...c,
      mmsRelayServerId: 'mmsc.example.net',
      messageId: 'm-4',
      recipient: { kind: 'email', value: 'r@example.com' },
      sender: { kind: 'shortCode', value: '12345' },
      timeStamp: at,
      mmStatus: 'Deleted',
      statusText: 'deleted unread',
      ...app,
    },
    { kind: 'SubmitRsp', ...c, status: { code: 1000, text: 'Success' }, messageId: 'm-5' },
    { kind: 'CancelRsp', ...c, status },
    { kind: 'ReplaceRsp', ...c, status },
    { kind: 'DeliverRsp', ...c, status: { code: 1000, text: 'Success', details: 'ok' }, serviceCode: 'SC-9' },
    { kind: 'DeliveryReportRsp', ...c, status },
    { kind: 'ReadReplyRsp', ...c, status },
    { kind: 'RSErrorRsp', ...c, status: { code: 4004, text: 'Validation error', details: 'x' } },
    { kind: 'VASPErrorRsp', ...c, status: { code: 3000, text: 'Server Error' } },
    {
      kind: 'Fault',
      ...c,
      faultCode: 'Client',
      faultString: 'Client error',
      detail: { kind: 'RSErrorRsp', mm7Version: c.mm7Version, status: { code: 2007, text: 'Message format corrupt', details: 'bad' } },
    },
    {
      kind: 'Fault',
      ...c,
      faultCode: 'Server',
      faultString: 'Server error',
      detail: { kind: 'VASPErrorRsp', mm7Version: c.mm7Version, status: { code: 3001, text: 'Not Possible' } },
    },
  ];
}

const KINDS = [
  'SubmitReq',
  'CancelReq',
  'ReplaceReq',
  'DeliverReq',
  'DeliveryReportReq',
  'ReadReplyReq',
  'SubmitRsp',
  'CancelRsp',
  'ReplaceRsp',
  'DeliverRsp',
  'DeliveryReportRsp',
  'ReadReplyRsp',
  'RSErrorRsp',
  'VASPErrorRsp',
  'Fault',
];

for (const [label, common] of [
  ['REL-5-MM7-1-3 / 5.3.0', { transactionId: 'tx-5 & <5>', namespace: REL5, mm7Version: '5.3.0' }],
  ['REL-6-MM7-1-4 / 6.8.0', { transactionId: 'tx-6', namespace: REL6, mm7Version: '6.8.0' }],
] as const) {
  t.test(`round trip, ${label}`, async (t) => {
    const msgs = all(common);
    t.strictSame([...new Set(msgs.map((m) => m.kind))].sort(), [...KINDS].sort(), 'every kind is exercised');
    for (const m of msgs) {
      const xml = buildMm7(m);
      t.strictSame(parseMm7(xml), m, `${m.kind}: parse(build(m)) = m`);
      t.strictSame(parseMm7(Buffer.from(xml, 'utf8')), m, `${m.kind}: also from UTF-8 bytes`);
      t.ok(xml.includes(`xmlns:mm7="${common.namespace}" env:mustUnderstand="1"`), `${m.kind}: TransactionID header`);
    }
  });
}

t.test('exact envelope: SubmitRsp', async (t) => {
  const xml = buildMm7({
    kind: 'SubmitRsp',
    transactionId: 'T1',
    namespace: REL6,
    mm7Version: '6.8.0',
    status: { code: 1000, text: 'Success' },
    messageId: 'M1',
  });
  t.equal(
    xml,
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
      '<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/">' +
      '<env:Header><mm7:TransactionID xmlns:mm7="' +
      REL6 +
      '" env:mustUnderstand="1">T1</mm7:TransactionID></env:Header>' +
      '<env:Body><SubmitRsp xmlns="' +
      REL6 +
      '"><MM7Version>6.8.0</MM7Version>' +
      '<Status><StatusCode>1000</StatusCode><StatusText>Success</StatusText></Status>' +
      '<MessageID>M1</MessageID></SubmitRsp></env:Body></env:Envelope>',
  );
});

t.test('exact envelope: SubmitReq in schema sequence order, escaped text and attributes', async (t) => {
  const xml = buildMm7({
    kind: 'SubmitReq',
    transactionId: 'a<b',
    namespace: REL5,
    mm7Version: '5.3.0',
    content: { href: 'cid:"x"&y', allowAdaptations: true },
    subject: 'S & <T>',
    priority: 'Normal',
    deliveryReport: false,
    expiryDate: twoDays,
    messageClass: 'Personal',
    recipients: { to: [{ kind: 'number', value: '1' }], cc: [], bcc: [{ kind: 'email', value: 'b@c', displayOnly: true }] },
    vaspId: 'V',
  });
  t.equal(
    xml,
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
      '<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/">' +
      '<env:Header><mm7:TransactionID xmlns:mm7="' +
      REL5 +
      '" env:mustUnderstand="1">a&lt;b</mm7:TransactionID></env:Header>' +
      '<env:Body><SubmitReq xmlns="' +
      REL5 +
      '"><MM7Version>5.3.0</MM7Version>' +
      '<SenderIdentification><VASPID>V</VASPID></SenderIdentification>' +
      '<Recipients><To><Number>1</Number></To><Bcc><RFC2822Address displayOnly="true">b@c</RFC2822Address></Bcc></Recipients>' +
      '<MessageClass>Personal</MessageClass><ExpiryDate>P2D</ExpiryDate><DeliveryReport>false</DeliveryReport>' +
      '<Priority>Normal</Priority><Subject>S &amp; &lt;T&gt;</Subject>' +
      '<Content href="cid:&quot;x&quot;&amp;y" allowAdaptations="true"/>' +
      '</SubmitReq></env:Body></env:Envelope>',
  );
});

t.test('exact envelope: Fault with RSErrorRsp detail; no Header without a TransactionID', async (t) => {
  const xml = buildMm7({
    kind: 'Fault',
    transactionId: '',
    namespace: REL6,
    mm7Version: '6.8.0',
    faultCode: 'Client',
    faultString: 'Client error',
    detail: { kind: 'RSErrorRsp', mm7Version: '6.8.0', status: { code: 4004, text: 'Validation error' } },
  });
  t.equal(
    xml,
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
      '<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Body><env:Fault>' +
      '<faultcode>env:Client</faultcode><faultstring>Client error</faultstring>' +
      '<detail><RSErrorRsp xmlns="' +
      REL6 +
      '"><MM7Version>6.8.0</MM7Version>' +
      '<Status><StatusCode>4004</StatusCode><StatusText>Validation error</StatusText></Status></RSErrorRsp></detail>' +
      '</env:Fault></env:Body></env:Envelope>',
  );
  t.strictSame(parseMm7(xml), {
    kind: 'Fault',
    transactionId: '',
    namespace: REL6,
    mm7Version: '6.8.0',
    faultCode: 'Client',
    faultString: 'Client error',
    detail: { kind: 'RSErrorRsp', mm7Version: '6.8.0', status: { code: 4004, text: 'Validation error' } },
  });
});

t.test('an odd namespace and version are answered in, exactly as received', async (t) => {
  const odd = 'http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-6-MM7-6-7';
  const xml = buildMm7({ kind: 'DeliverRsp', transactionId: 'x', namespace: odd, mm7Version: '6.7.0', status: { code: 1000 } });
  t.ok(xml.includes(`<DeliverRsp xmlns="${odd}"><MM7Version>6.7.0</MM7Version>`));
  t.ok(xml.includes(`<mm7:TransactionID xmlns:mm7="${odd}"`));
});

t.test("errorFault answers a parse error in the sender's namespace, version and TransactionID", async (t) => {
  const req =
    '<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Header>' +
    `<TransactionID xmlns="${REL5}">t-42</TransactionID></e:Header><e:Body>` +
    `<SubmitReq xmlns="${REL5}"><MM7Version>5.3.0</MM7Version><Recipients><To><Number>1</Number></To></Recipients>` +
    '<DeliveryReport>maybe</DeliveryReport></SubmitReq></e:Body></e:Envelope>';
  let err: unknown;
  try {
    parseMm7(req);
  } catch (e) {
    err = e;
  }
  t.ok(err instanceof Mm7Error);
  if (!(err instanceof Mm7Error)) return;
  t.equal(err.code, 'BAD_VALUE');
  t.equal(err.status, 2007);
  t.strictSame(errorFault(err), {
    kind: 'Fault',
    transactionId: 't-42',
    namespace: REL5,
    mm7Version: '5.3.0',
    faultCode: 'Client',
    faultString: 'Client error',
    detail: {
      kind: 'RSErrorRsp',
      mm7Version: '5.3.0',
      status: { code: 2007, text: 'Message format corrupt', details: 'DeliveryReport is not a boolean (true/false/1/0)' },
    },
  });
  const back = parseMm7(buildMm7(errorFault(err)));
  t.equal(back.transactionId, 't-42');
  t.equal(back.namespace, REL5);
});

t.test('namespaceFor: configured schema id or URI -> the pair to speak', async (t) => {
  t.strictSame(namespaceFor('REL-6-MM7-1-4'), { namespace: REL6, mm7Version: '6.8.0' });
  t.strictSame(namespaceFor('REL-5-MM7-1-0'), {
    namespace: 'http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-5-MM7-1-0',
    mm7Version: '5.3.0',
  });
  t.strictSame(namespaceFor(REL5), { namespace: REL5, mm7Version: '5.10.0' });
  t.throws(() => namespaceFor('REL-7-MM7-1-0'), RangeError);
  t.throws(() => namespaceFor('urn:nothing'), RangeError);
});

t.test('buildMm7 refuses what it cannot send', async (t) => {
  const base = { transactionId: 't', namespace: REL6, mm7Version: '6.8.0' };
  t.throws(() => buildMm7({ kind: 'CancelRsp', ...base, status: { code: 1000, text: 'nul \u0000 here' } }), {
    name: 'Mm7Error',
    code: 'BUILD_INVALID',
    status: 3000,
  });
  t.throws(() => buildMm7({ kind: 'CancelRsp', ...base, mm7Version: '', status: { code: 1000 } }), { code: 'BUILD_INVALID' });
  t.throws(() => buildMm7({ kind: 'CancelRsp', ...base, namespace: '', status: { code: 1000 } }), { code: 'BUILD_INVALID' });
});

t.test('every status code of TS 23.140 §8.7 (Rel-6 table) goes out and comes back with its name', async (t) => {
  // Copied by hand from the spec's status code table (StatusCode, StatusText as the spec names them).
  const spec: Array<[number, string]> = [
    [1000, 'Success'],
    [1100, 'Partial success'],
    [2000, 'Client error'],
    [2001, 'Operation restricted'],
    [2002, 'Address Error'],
    [2003, 'Address Not Found'],
    [2004, 'Multimedia content refused'],
    [2005, 'Message ID Not found'],
    [2006, 'LinkedID not found'],
    [2007, 'Message format corrupt'],
    [2008, 'Application ID not found'],
    [2009, 'Reply Application ID not found'],
    [3000, 'Server Error'],
    [3001, 'Not Possible'],
    [3002, 'Message rejected'],
    [3003, 'Multiple addresses not supported'],
    [3004, 'Application Addressing not supported'],
    [4000, 'General service error'],
    [4001, 'Improper identification'],
    [4002, 'Unsupported version'],
    [4003, 'Unsupported operation'],
    [4004, 'Validation error'],
    [4005, 'Service error'],
    [4006, 'Service unavailable'],
    [4007, 'Service denied'],
    [4008, 'Application denied'],
  ];
  for (const [code, name] of spec) {
    t.ok(isMm7StatusCode(code), `${code} is known`);
    t.equal(statusText(code), name, `${code} is named ${name}`);
    for (const kind of ['SubmitRsp', 'DeliverRsp', 'RSErrorRsp'] as const) {
      const msg = { kind, transactionId: `tx-${code}`, namespace: REL6, mm7Version: '6.8.0', status: { code, text: name } } as Mm7Message;
      if (kind === 'SubmitRsp' && code < 2000) Object.assign(msg, { messageId: `m-${code}` });
      const back = parseMm7(buildMm7(msg));
      t.equal(back.kind, kind, `${kind} ${code}: kind`);
      t.same('status' in back ? back.status : undefined, { code, text: name }, `${kind} ${code}: status code and text`);
    }
  }
  // A vendor code outside the table: carried as is, named after its class (the spec's rule for unknown codes).
  t.notOk(isMm7StatusCode(2501));
  t.equal(statusText(2501), 'Client error');
  t.equal(statusText(3999), 'Server Error');
});
