// protocols/mm4 parseMm4 on the header variants peers send (issue 22's list), one case each. The inputs are
// written by hand from the TS 23.140 §8.4 field tables, with the variation under test.
import t from 'tap';
import { bareId, originatorSystemOf, parseMm4 } from '../../protocols/mm4/index.js';
import type { Mm4Message } from '../../protocols/mm4/index.js';

const crlf = (lines: string[]): Buffer => Buffer.from(lines.join('\r\n'));
const BODY = ['Content-Type: text/plain', '', 'hi'];

function forward(
  extra: string[],
  addr = ['From: +15551230001/TYPE=PLMN@mms.a.example', 'To: +15551230002/TYPE=PLMN@mms.b.example'],
): Buffer {
  return crlf([
    'X-Mms-3GPP-MMS-Version: 6.10.0',
    'X-Mms-Message-Type: MM4_forward.REQ',
    'X-Mms-Transaction-ID: tx-1',
    'X-Mms-Message-ID: m-1',
    ...addr,
    ...extra,
    ...BODY,
  ]);
}

function report(extra: string[]): Buffer {
  return crlf([
    'X-Mms-3GPP-MMS-Version: 6.10.0',
    'X-Mms-Message-Type: MM4_delivery_report.REQ',
    'X-Mms-Transaction-ID: tx-2',
    'X-Mms-Message-ID: m-1',
    'From: +15551230002/TYPE=PLMN@mms.b.example',
    'To: +15551230001/TYPE=PLMN@mms.a.example',
    ...extra,
    '',
  ]);
}

function as<T extends Mm4Message['type']>(m: Mm4Message, type: T): Extract<Mm4Message, { type: T }> {
  if (m.type !== type) throw new Error(`expected ${type}, got ${m.type}`);
  return m as Extract<Mm4Message, { type: T }>;
}

t.test('delivery status in X-Mms-MM-Status-Code', async (t) => {
  const m = as(await parseMm4(report(['X-Mms-MM-Status-Code: Retrieved'])), 'MM4_delivery_report.REQ');
  t.equal(m.mmStatus, 'Retrieved');
  t.equal(m.mmStatusNote, undefined);
});

t.test('delivery status in the non-standard X-Mms-Status, any case', async (t) => {
  const m = as(await parseMm4(report(['X-Mms-Status: rejected'])), 'MM4_delivery_report.REQ');
  t.equal(m.mmStatus, 'Rejected');
});

t.test('no delivery status: Indeterminate, noted absent, never Retrieved', async (t) => {
  const m = as(await parseMm4(report([])), 'MM4_delivery_report.REQ');
  t.equal(m.mmStatus, 'Indeterminate');
  t.equal(m.mmStatusNote, 'absent');
});

t.test('unknown delivery status: Indeterminate, noted and kept', async (t) => {
  const m = as(await parseMm4(report(['X-Mms-MM-Status-Code: Delivered'])), 'MM4_delivery_report.REQ');
  t.equal(m.mmStatus, 'Indeterminate');
  t.equal(m.mmStatusNote, 'unknown');
  t.strictSame(m.unread, [{ field: 'X-Mms-MM-Status-Code', value: 'Delivered' }]);
});

t.test('Transaction-ID and Message-ID quoted, bracketed or bare', async (t) => {
  for (const [tx, id] of [
    ['"tx-9@mms.a.example"', '"m-9@mms.a.example"'],
    ['<tx-9@mms.a.example>', '<m-9@mms.a.example>'],
    ['tx-9@mms.a.example', 'm-9@mms.a.example'],
  ] as const) {
    const bytes = crlf([
      'X-Mms-3GPP-MMS-Version: 6.10.0',
      'X-Mms-Message-Type: MM4_forward.RES',
      `X-Mms-Transaction-ID: ${tx}`,
      `X-Mms-Message-ID: ${id}`,
      'X-Mms-Request-Status-Code: Ok',
      '',
    ]);
    const m = as(await parseMm4(bytes), 'MM4_forward.RES');
    t.equal(m.transactionId, tx, 'kept as written, for a byte-for-byte echo');
    t.equal(bareId(m.transactionId), 'tx-9@mms.a.example');
    t.equal(bareId(m.messageId ?? ''), 'm-9@mms.a.example');
  }
});

t.test('header names in any case, message type in any case', async (t) => {
  const bytes = crlf([
    'x-mms-3gpp-mms-version: 6.3.0',
    'X-MMS-MESSAGE-TYPE: MM4_Delivery_report.REQ',
    'x-Mms-Transaction-Id: tx',
    'X-MMS-MESSAGE-ID: m',
    'FROM: +15551230002/TYPE=PLMN',
    'x-mms-mm-status-code: Expired',
    '',
  ]);
  const m = as(await parseMm4(bytes), 'MM4_delivery_report.REQ');
  t.equal(m.mmsVersion, '6.3.0');
  t.equal(m.mmStatus, 'Expired');
  t.equal(m.transactionId, 'tx');
});

t.test('folded headers (RFC 5322 §2.2.3) and bare LF line endings', async (t) => {
  const bytes = Buffer.from(
    forward(['Subject: a folded', '\tsubject', 'Cc: +15551230003/TYPE=PLMN@mms.b.example,', ' +15551230004/TYPE=PLMN@mms.b.example'])
      .toString()
      .replace(/\r\n/g, '\n'),
  );
  const m = as(await parseMm4(bytes), 'MM4_forward.REQ');
  t.equal(m.subject, 'a folded\tsubject');
  t.equal(m.cc.length, 2);
  t.strictSame(m.content, { contentType: { type: 'text/plain', params: {} }, body: Buffer.from('hi') });
});

t.test('encoded-word subjects in any charset', async (t) => {
  const cases: Array<[string, string]> = [
    ['=?UTF-8?B?R3LDvMOfZQ==?=', 'Grüße'],
    ['=?iso-8859-1?Q?Gr=FC=DFe?=', 'Grüße'],
    ['=?windows-1251?B?z/Do4uXy?=', 'Привет'],
    ['=?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?=', 'こんにちは'],
    ['=?utf-8?q?caf=C3=A9?= =?utf-8?q?_bar?=', 'café bar'],
  ];
  for (const [wire, text] of cases) {
    const m = as(await parseMm4(forward([`Subject: ${wire}`])), 'MM4_forward.REQ');
    t.equal(m.subject, text, wire);
  }
});

t.test('8bit, base64 and quoted-printable parts', async (t) => {
  const mm = (cte: string, body: string): Buffer =>
    crlf([
      'X-Mms-3GPP-MMS-Version: 6.10.0',
      'X-Mms-Message-Type: MM4_forward.REQ',
      'X-Mms-Transaction-ID: tx-1',
      'X-Mms-Message-ID: m-1',
      'From: +15551230001/TYPE=PLMN',
      'To: +15551230002/TYPE=PLMN',
      'Content-Type: multipart/mixed; boundary="b"',
      '',
      '--b',
      'Content-Type: text/plain; charset=utf-8',
      `Content-Transfer-Encoding: ${cte}`,
      '',
      body,
      '--b--',
      '',
    ]);
  for (const [cte, body] of [
    ['8bit', 'Grüße'],
    ['base64', 'R3LD\r\nvMOfZQ=='],
    ['quoted-printable', 'Gr=C3=BC=C3=\r\n=9Fe'],
  ] as const) {
    const m = as(await parseMm4(mm(cte, body)), 'MM4_forward.REQ');
    const c = m.content;
    t.ok('parts' in c, cte);
    if ('parts' in c)
      t.equal(('body' in (c.parts[0] ?? {}) ? (c.parts[0] as { body: Buffer }).body : Buffer.alloc(0)).toString(), 'Grüße', cte);
  }
});

t.test('X-Mms-Expiry as an RFC 5322 date, relative seconds or RFC 3339', async (t) => {
  const when = Date.UTC(2026, 2, 4, 5, 6, 7);
  const cases: Array<[string, unknown]> = [
    ['Wed, 04 Mar 2026 05:06:07 +0000', { kind: 'absolute', epochMs: when }],
    ['4 Mar 2026 07:06:07 +0200', { kind: 'absolute', epochMs: when }],
    ['Wed, 04 Mar 2026 05:06:07 GMT', { kind: 'absolute', epochMs: when }],
    ['600', { kind: 'relative', seconds: 600 }],
    ['2026-03-04T05:06:07Z', { kind: 'absolute', epochMs: when }],
    ['2026-03-04T00:06:07-05:00', { kind: 'absolute', epochMs: when }],
  ];
  for (const [wire, expiry] of cases) {
    const m = as(await parseMm4(forward([`X-Mms-Expiry: ${wire}`])), 'MM4_forward.REQ');
    t.strictSame(m.expiry, expiry, wire);
  }
  const bad = as(await parseMm4(forward(['X-Mms-Expiry: next tuesday'])), 'MM4_forward.REQ');
  t.equal(bad.expiry, undefined, 'unreadable: left out');
  t.strictSame(bad.unread, [{ field: 'X-Mms-Expiry', value: 'next tuesday' }], 'and kept');
});

t.test('X-Mms-Originator-System in its three forms', async (t) => {
  for (const [wire, expected] of [
    ['system-user@mms.mnc001.mcc310.gprs', { mailbox: 'system-user@mms.mnc001.mcc310.gprs', host: 'mms.mnc001.mcc310.gprs' }],
    ['PostMaster@mms.mnc006.mcc260.gprs', { mailbox: 'PostMaster@mms.mnc006.mcc260.gprs', host: 'mms.mnc006.mcc260.gprs' }],
    ['system=mmsc.b.example;party=+15551230002', { mailbox: 'system-user@mmsc.b.example', host: 'mmsc.b.example', party: '+15551230002' }],
  ] as const) {
    const m = await parseMm4(forward([`X-Mms-Originator-System: ${wire}`]));
    t.equal(m.originatorSystem, wire);
    t.strictSame(originatorSystemOf(m.originatorSystem ?? ''), expected, wire);
  }
  t.equal(originatorSystemOf('nonsense'), undefined);
});

const A = { address: { kind: 'plmn', number: '+15551230001' } };
const B = { address: { kind: 'plmn', number: '+15551230002' } };

t.test('addresses with or without /TYPE=PLMN, with or without @domain, with display names', async (t) => {
  const cases: Array<[string[], unknown, unknown]> = [
    [
      ['From: +15551230001/TYPE=PLMN@mms.a.example', 'To: +15551230002/TYPE=PLMN@mms.b.example'],
      { ...A, domain: 'mms.a.example' },
      [{ ...B, domain: 'mms.b.example' }],
    ],
    [
      ['From: +15551230001@mms.a.example', 'To: +15551230002@mms.b.example'],
      { ...A, domain: 'mms.a.example' },
      [{ ...B, domain: 'mms.b.example' }],
    ],
    [['From: +15551230001/TYPE=PLMN', 'To: +15551230002/type=plmn'], A, [B]],
    [['From: +15551230001', 'To: 15551230002'], A, [{ address: { kind: 'plmn', number: '15551230002' } }]],
    [
      ['From: "Ann" <+15551230001/TYPE=PLMN@mms.a.example>', 'To: <+15551230002@mms.b.example>'],
      { ...A, domain: 'mms.a.example' },
      [{ ...B, domain: 'mms.b.example' }],
    ],
  ];
  for (const [addr, from, to] of cases) {
    const m = as(await parseMm4(forward([], addr)), 'MM4_forward.REQ');
    t.strictSame(m.from, from, addr.join(' | '));
    t.strictSame(m.to, to, addr.join(' | '));
  }
});

t.test('originator in Sender, recipients in X-Mms-Sender-Address / X-Mms-To', async (t) => {
  const viaSender = as(
    await parseMm4(forward([], ['Sender: +15551230001/TYPE=PLMN@mms.a.example', 'To: +15551230002/TYPE=PLMN'])),
    'MM4_forward.REQ',
  );
  t.strictSame(viaSender.from, { ...A, domain: 'mms.a.example' });
  const nonStd = as(
    await parseMm4(forward([], ['X-Mms-Sender-Address: +15551230001/TYPE=PLMN', 'X-Mms-To: +15551230002/TYPE=PLMN'])),
    'MM4_forward.REQ',
  );
  t.strictSame(nonStd.from, A);
  t.strictSame(nonStd.to, [B]);
});

t.test('addresses only in the SMTP envelope', async (t) => {
  const envelope = { mailFrom: '+15551230001/TYPE=PLMN@mms.a.example', rcptTo: ['+15551230002/TYPE=PLMN@mms.b.example'] };
  const m = as(await parseMm4(forward([], []), { envelope }), 'MM4_forward.REQ');
  t.strictSame(m.from, { ...A, domain: 'mms.a.example' });
  t.strictSame(m.to, [{ ...B, domain: 'mms.b.example' }]);
  await t.rejects(parseMm4(forward([], [])), { name: 'Mm4Error', code: 'MISSING_FIELD' }, 'and without an envelope: refused');
});

t.test('no Date and no Message-ID at all', async (t) => {
  const m = await parseMm4(forward([]));
  t.equal(m.date, undefined);
  t.equal(m.rfc822MessageId, undefined);
  t.equal(m.unread, undefined);
});

t.test('versions from 5.x to 6.x and odd ones', async (t) => {
  for (const v of ['5.2.0', '5.5.0', '6.3.0', '6.10.0', '1.0']) {
    const bytes = Buffer.from(forward([]).toString().replace('6.10.0', v));
    t.equal((await parseMm4(bytes)).mmsVersion, v);
  }
});
