// protocols/mm7 against the public MM7 samples in conformance/vectors/mm7 (see SOURCES.md). Expected values are
// read by eye from each file, never produced by the code under test.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { Mm7Error, parseMm7, schemaForNamespace } from '../../protocols/mm7/index.js';
import type { Mm7Message } from '../../protocols/mm7/index.js';
import { VECTORS } from '../helpers/paths.js';

const dir = join(VECTORS, 'mm7');
const REL6_14 = 'http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-6-MM7-1-4';
const REL5_13 = 'http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-5-MM7-1-3';

/**
 * The SOAP envelope inside an HTTP request / MIME body: from the first `<?xml` or `<prefix:Envelope` to the
 * first closing `Envelope>` after it. Sliced as bytes (latin1 keeps them 1:1) so binary parts do not matter.
 */
function envelopeOf(file: string): Buffer {
  const all = readFileSync(join(dir, file)).toString('latin1');
  const starts = [all.search(/<\?xml/i), all.search(/<[A-Za-z0-9_.-]+:Envelope[\s>]/i)].filter((i) => i >= 0);
  if (starts.length === 0) throw new Error(`no envelope in ${file}`);
  const start = Math.min(...starts);
  const close = /<\/[A-Za-z0-9_.:-]*Envelope\s*>/gi;
  close.lastIndex = start;
  const m = close.exec(all);
  if (!m) throw new Error(`no closing Envelope in ${file}`);
  return Buffer.from(all.slice(start, m.index + m[0].length), 'latin1');
}

function parse(file: string): Mm7Message {
  return parseMm7(envelopeOf(file));
}

t.test('instantcom DeliverReq (REL-6-MM7-1-4 with MM7Version 6.7.0, e-mail sender, no recipients)', async (t) => {
  for (const [file, href] of [
    ['instantcom-mm7/deliver-req-post.txt', 'cid:forecast-location200102-86453'],
    ['instantcom-mm7/deliver-req1.txt', 'cid:forecast-location2000102-86453'],
    ['instantcom-mm7/deliver-req2.txt', 'cid:forecast-location2000102-86453'],
  ] as const) {
    t.strictSame(
      parse(file),
      {
        kind: 'DeliverReq',
        transactionId: 'vas00324-dlvr',
        namespace: REL6_14,
        mm7Version: '6.7.0',
        vaspId: 'TNN',
        vasId: 'Reminder',
        mmsRelayServerId: '240.110.75.34',
        linkedId: 'wthr8391',
        sender: { kind: 'email', value: '97254265781@OMMS.com' },
        timeStamp: { text: '2002-04-15T14:35:21-05:00', epochMs: Date.UTC(2002, 3, 15, 19, 35, 21) },
        priority: 'Normal',
        subject: 'Weather Forecast',
        content: { href },
      },
      file,
    );
  }
});

t.test('instantcom deliver-req3: Nokia MC5.0, every element mm7p6a0-prefixed', async (t) => {
  const m = parse('instantcom-mm7/deliver-req3.txt');
  t.strictSame(m, {
    kind: 'DeliverReq',
    transactionId: '4E073C7AQ479306TW26785I371H3M1HA',
    namespace: REL6_14,
    mm7Version: '6.8.0',
    mmsRelayServerId: 'Nokia MMS Center MC5.0',
    linkedId: '0402105226100000000000000',
    sender: { kind: 'number', value: '+3859100010010/TYPE=PLMN' },
    recipients: { to: [{ kind: 'number', value: '88888/TYPE=PLMN' }], cc: [], bcc: [] },
    timeStamp: { text: '2010-04-02T10:52:26Z', epochMs: Date.UTC(2010, 3, 2, 10, 52, 26) },
    priority: 'Normal',
    subject: 'Bomb',
    content: { href: 'cid:57626X20-1VO9-A93941F7' },
  });
});

t.test('instantcom deliver-req4: Nokia DeliverReq without Sender (accepted), no XML declaration', async (t) => {
  t.strictSame(parse('instantcom-mm7/deliver-req4.txt'), {
    kind: 'DeliverReq',
    transactionId: '0Q296S401H79CPSU13V1K431DRK3G49M',
    namespace: REL6_14,
    mm7Version: '6.8.0',
    content: { href: 'cid:mm7-content' },
  });
});

t.test('instantcom deliver-req5: xmmc relay, prefixed mm7:href with a space after cid:', async (t) => {
  t.strictSame(parse('instantcom-mm7/deliver-req5.txt'), {
    kind: 'DeliverReq',
    transactionId: '11398c6a2e9f00000010',
    namespace: REL6_14,
    mm7Version: '6.8.0',
    mmsRelayServerId: 'xmmc1',
    vaspId: 'xmmc',
    vasId: 'xmmc',
    sender: { kind: 'number', value: '+381600001200' },
    recipients: { to: [{ kind: 'shortCode', value: '121399' }], cc: [], bcc: [] },
    timeStamp: { text: '2012-09-03T15:55:25.000+02:00', epochMs: Date.UTC(2012, 8, 3, 13, 55, 25) },
    priority: 'Normal',
    subject: '(no subject)',
    content: { href: 'cid: content_15' },
  });
});

t.test('instantcom faults: RSErrorRsp in the detail, REL-6 prefixed and REL-5 default-namespace forms', async (t) => {
  t.strictSame(parse('instantcom-mm7/fault.xml'), {
    kind: 'Fault',
    transactionId: '123456',
    namespace: REL6_14,
    mm7Version: '6.8.0',
    faultCode: 'Client',
    faultString: 'Client error',
    detail: { kind: 'RSErrorRsp', mm7Version: '6.8.0', status: { code: 4002, text: 'Unsupported version' } },
  });
  t.strictSame(parse('instantcom-mm7/fault_02.xml'), {
    kind: 'Fault',
    transactionId: '0_1500103103727',
    namespace: REL5_13,
    mm7Version: '5.3.0',
    faultCode: 'Client',
    faultString: 'Client error',
    detail: { kind: 'RSErrorRsp', mm7Version: '5.3.0', status: { code: 2002, text: 'Address Error' } },
  });
});

t.test('instantcom submit-rsp: odd namespace REL-6-MM7-6-7 kept as received, mapped to REL-6-MM7-1-4', async (t) => {
  const odd = 'http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-6-MM7-6-7';
  t.strictSame(parse('instantcom-mm7/submit-rsp.xml'), {
    kind: 'SubmitRsp',
    transactionId: 'vas00001-sub',
    namespace: odd,
    mm7Version: '6.7.0',
    status: { code: 1000, text: 'Success' },
    messageId: '041502073667',
  });
  t.equal(schemaForNamespace(odd)?.id, 'REL-6-MM7-1-4');
});

t.test('mmsgw SubmitReq: <number>, empty <MessageClass />, Priority normal, TimeStamp without zone', async (t) => {
  t.strictSame(parse('mmsgw-generated/mm7-SubmitReq-from-mmsgw.http'), {
    kind: 'SubmitReq',
    transactionId: 'ccff620d86b24f639b5b69ac19c1df3b',
    namespace: REL6_14,
    mm7Version: '6.8.0',
    vaspId: 'VASP01',
    vasId: 'VAS01',
    senderAddress: { kind: 'shortCode', value: '12345' },
    recipients: { to: [{ kind: 'number', value: '4915112345678' }], cc: [], bcc: [] },
    serviceCode: 'SC01',
    timeStamp: { text: '2026-11-25T01:28:26.533618', epochMs: Date.UTC(2026, 10, 25, 1, 28, 26, 534) },
    deliveryReport: true,
    readReply: true,
    priority: 'Normal',
    subject: 'hello from mmsgw',
    distributionIndicator: false,
    drmContent: false,
    content: { href: 'cid:ccff620d86b24f639b5b69ac19c1df3b.content', allowAdaptations: false },
  });
});

t.test('mmsgw DeliverRsp: an unknown MessageID element is ignored', async (t) => {
  t.strictSame(parse('mmsgw-generated/mm7-DeliverRsp-from-mmsgw.xml'), {
    kind: 'DeliverRsp',
    transactionId: 'vas00324-dlvr',
    namespace: REL6_14,
    mm7Version: '6.8.0',
    status: { code: 1000, text: 'Success' },
  });
});

t.test('sinch deliver-01/03 are not well-formed (soap-env::Header, undeclared soap-env prefix)', async (t) => {
  for (const file of ['sinch-mm7-docs/deliver-01-Example-Request.txt', 'sinch-mm7-docs/deliver-03-Request.txt']) {
    t.throws(() => parse(file), { name: 'Mm7Error', code: 'NOT_XML', status: 4004 }, file);
    try {
      parse(file);
    } catch (e) {
      t.ok(e instanceof Mm7Error, 'an Mm7Error');
      if (e instanceof Mm7Error) t.equal(e.transactionId, undefined, 'no TransactionID could be read');
    }
  }
});

t.test('sinch DeliverRsp / DeliveryReportRsp / SubmitRsp', async (t) => {
  for (const file of ['sinch-mm7-docs/deliver-02-Example-Response.txt', 'sinch-mm7-docs/deliver-04-Response.txt']) {
    t.strictSame(
      parse(file),
      {
        kind: 'DeliverRsp',
        transactionId: '1000001',
        namespace: REL6_14,
        mm7Version: '6.8.0',
        status: { code: 1000, text: 'Successfully received MMS' },
      },
      file,
    );
  }
  for (const file of ['sinch-mm7-docs/deliveryreport-02-Example-Response.txt', 'sinch-mm7-docs/deliveryreport-04-Response.txt']) {
    t.strictSame(
      parse(file),
      {
        kind: 'DeliveryReportRsp',
        transactionId: '1000001',
        namespace: REL6_14,
        mm7Version: '6.8.0',
        status: { code: 1000, text: 'Successfully Received MMS.' },
      },
      file,
    );
  }
  for (const file of ['sinch-mm7-docs/submit-02-Example-Success.txt', 'sinch-mm7-docs/submit-05-Response.txt']) {
    t.strictSame(
      parse(file),
      {
        kind: 'SubmitRsp',
        transactionId: '1000001',
        namespace: REL6_14,
        mm7Version: '6.8.0',
        status: { code: 1000, text: 'Successfully parsed and validated request' },
        messageId: '369500617770864640',
      },
      file,
    );
  }
});

t.test('sinch DeliveryReportReq: namespace only as the Envelope default, element Date', async (t) => {
  for (const file of ['sinch-mm7-docs/deliveryreport-01-Example-Request.txt', 'sinch-mm7-docs/deliveryreport-03-Request.txt']) {
    t.strictSame(
      parse(file),
      {
        kind: 'DeliveryReportReq',
        transactionId: '10000001',
        namespace: REL6_14,
        mm7Version: '6.8.0',
        messageId: '369500617770864640',
        recipient: { kind: 'number', value: '16175550123' },
        sender: { kind: 'number', value: '111122' },
        timeStamp: { text: '2015-03-16T14:03:51.749Z', epochMs: Date.UTC(2015, 2, 16, 14, 3, 51, 749) },
        mmStatus: 'Retrieved',
        statusText: 'Success',
      },
      file,
    );
  }
});

t.test('sinch SubmitReq submit-01', async (t) => {
  t.strictSame(parse('sinch-mm7-docs/submit-01-Example.txt'), {
    kind: 'SubmitReq',
    transactionId: '1000001',
    namespace: REL6_14,
    mm7Version: '6.8.0',
    vaspId: 'skfdjslkjfdslkfj434das',
    vasId: '126273',
    senderAddress: { kind: 'shortCode', value: '111122' },
    recipients: { to: [{ kind: 'number', value: '16172383232' }], cc: [], bcc: [] },
    subject: 'My first MM7 Message',
    content: { href: 'cid:generic', allowAdaptations: false },
  });
});

t.test('sinch submit-03: Fault whose faultcode sits in the MM7 default namespace; Details kept', async (t) => {
  t.strictSame(parse('sinch-mm7-docs/submit-03-Example-Failure.txt'), {
    kind: 'Fault',
    transactionId: '1000001',
    namespace: REL6_14,
    mm7Version: '6.8.0',
    faultCode: 'Client',
    faultString: 'Client error',
    detail: {
      kind: 'RSErrorRsp',
      mm7Version: '6.8.0',
      status: { code: 2007, text: 'Unable to parse request', details: 'Message format corrupt' },
    },
  });
});

t.test('sinch submit-04: SubmitReq with NO namespace, only the TransactionID has one; elements out of order', async (t) => {
  t.strictSame(parse('sinch-mm7-docs/submit-04-Request.txt'), {
    kind: 'SubmitReq',
    transactionId: '555e29f8879be',
    namespace: REL6_14,
    mm7Version: '6.8.0',
    deliveryReport: true,
    vaspId: 'spUsdstW2u6GbvnMOsdseXrBa7NNLwTdKL',
    vasId: '61295',
    senderAddress: { kind: 'shortCode', value: '111122' },
    recipients: { to: [{ kind: 'number', value: '16179593069' }], cc: [], bcc: [] },
    subject: 'My first MM7 Message',
    expiryDate: { text: '2015-05-24T18:54:48+00:00', epochMs: Date.UTC(2015, 4, 24, 18, 54, 48) },
    timeStamp: { text: '2015-05-21T18:54:48+00:00', epochMs: Date.UTC(2015, 4, 21, 18, 54, 48) },
    content: { href: 'cid:generic_content_id', allowAdaptations: false },
  });
});

t.test('every vector file is covered by this test', async (t) => {
  // Guards against a new sample arriving unnoticed: the list is the directory as of writing.
  const { readdirSync } = await import('node:fs');
  const files = ['instantcom-mm7', 'mmsgw-generated', 'sinch-mm7-docs'].flatMap((d) => readdirSync(join(dir, d)).map((f) => `${d}/${f}`));
  t.equal(files.length, 24);
});
