// An e-mail -> the MMS it becomes (src/mm3/inbound-mail.ts), without sockets: which parts are kept, how an
// attachment is named, who the originator is. The mails are written out here by hand.
import t from 'tap';
import { Refusal } from '../../src/core/refusals.js';
import { mailSubmission, readMail } from '../../src/mm3/inbound-mail.js';

const CTX = { recipients: [{ address: '+15550001111', type: 'plmn' as const }], deliveryReport: false, lifetime: { defaultMs: 60_000 } };
const mail = (lines: string[]) => Buffer.from(lines.join('\r\n'), 'utf8');

t.test('mixed { alternative { plain, html }, attachment }: the plain text and the attachment, named (RFC 2231)', async (t) => {
  const m = await readMail(
    mail([
      'From: "Ann" <ann@example.org>',
      'Subject: =?ISO-8859-1?Q?Gr=FC=DFe?=',
      'Content-Type: multipart/mixed; boundary="outer"',
      '',
      '--outer',
      'Content-Type: multipart/alternative; boundary="alt"',
      '',
      '--alt',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'plain',
      '--alt',
      'Content-Type: text/html; charset=utf-8',
      '',
      '<p>html</p>',
      '--alt--',
      '--outer',
      'Content-Type: application/pdf',
      "Content-Disposition: attachment; filename*=utf-8''Rechnung%20M%C3%A4rz.pdf",
      'Content-Transfer-Encoding: base64',
      '',
      'JVBERi0=',
      '--outer--',
      '',
    ]),
    10_000,
  );
  t.equal(m.subject, 'Grüße');
  const sub = mailSubmission(m, CTX, 'id-1', 1000);
  t.same(
    sub.message.parts.map((p) => [p.contentType, p.contentLocation]),
    [
      ['text/plain', undefined],
      ['application/pdf', 'Rechnung März.pdf'],
    ],
  );
  t.same(sub.content, [Buffer.from('plain'), Buffer.from('%PDF-')]);
  t.match(sub.message, { originator: { address: 'ann@example.org', type: 'email' }, origin: { iface: 'mm3' }, expiresAt: 61_000 });
});

t.test('an alternative without text/plain keeps its last form; a name= parameter names a part', async (t) => {
  const m = await readMail(
    mail([
      'From: ann@example.org',
      'Content-Type: multipart/alternative; boundary="a"',
      '',
      '--a',
      'Content-Type: text/enriched',
      '',
      'rich',
      '--a',
      'Content-Type: image/gif; name="dance.gif"',
      '',
      'GIF89a',
      '--a--',
      '',
    ]),
    10_000,
  );
  t.same(
    m.parts.map((p) => [p.contentType.type, p.contentLocation]),
    [['image/gif', 'dance.gif']],
  );
});

t.test('the originator: the From mailbox (a +N@ address too), else MAIL FROM, else refused', async (t) => {
  const spoof = await readMail(mail(['From: +15550009999@mms.example.net', '', 'hi']), 1000);
  t.same(mailSubmission(spoof, CTX, 'a', 0).message.originator, { address: '+15550009999@mms.example.net', type: 'email' });
  const none = await readMail(mail(['Subject: x', '', 'hi']), 1000);
  t.same(mailSubmission(none, { ...CTX, mailFrom: 'bob@example.org' }, 'b', 0).message.originator, {
    address: 'bob@example.org',
    type: 'email',
  });
  t.throws(() => mailSubmission(none, { ...CTX, mailFrom: '' }, 'c', 0), Refusal);
});

t.test('over the limit or not a mail: Mm4Error, never anything else', async (t) => {
  await t.rejects(readMail(Buffer.alloc(2000, 0x61), 1000), { code: 'TOO_LARGE' });
  await t.rejects(readMail(mail(['not a header line', '', 'x']), 1000), { code: 'MALFORMED' });
});
