// protocols/mm4 parseMm4/buildMm4 against hostile and broken input: an Mm4Error with a stable code, quickly,
// never another exception or a hang; buildMm4 refuses values that would inject header fields.
import t from 'tap';
import type { Test } from 'tap';
import { Mm4Error, buildMm4, parseMm4 } from '../../protocols/mm4/index.js';
import type { Mm4ErrorCode, Mm4ForwardReq, Mm4ForwardRes, Mm4Limits } from '../../protocols/mm4/index.js';

const HEAD = [
  'X-Mms-3GPP-MMS-Version: 6.10.0',
  'X-Mms-Message-Type: MM4_forward.REQ',
  'X-Mms-Transaction-ID: tx-1',
  'X-Mms-Message-ID: m-1',
  'From: +15551230001/TYPE=PLMN',
  'To: +15551230002/TYPE=PLMN',
].join('\r\n');

async function refused(t: Test, input: Buffer, code: Mm4ErrorCode, limits?: Partial<Mm4Limits>): Promise<void> {
  const start = process.hrtime.bigint();
  try {
    await parseMm4(input, limits ? { limits } : {});
    t.fail(`${code}: parsed`);
  } catch (e) {
    t.ok(e instanceof Mm4Error, `${code}: an Mm4Error (${String(e)})`);
    if (e instanceof Mm4Error) t.equal(e.code, code);
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  t.ok(ms < 500, `${code} answered in ${ms.toFixed(1)} ms`);
}

t.test('huge header counts', async (t) => {
  const many = `${HEAD}\r\n${'X-Junk: 1\r\n'.repeat(100_000)}\r\nbody`;
  await refused(t, Buffer.from(many), 'HEADER_TOO_LARGE');
  // Short fields: the line count (maxHeaders) stops it long before the byte limit would.
  await refused(t, Buffer.from(`${HEAD}\r\n${'A:\r\n'.repeat(1000)}\r\n`), 'HEADER_TOO_LARGE');
});

t.test('endless folding of one field', async (t) => {
  const folded = `${HEAD}\r\nSubject: a${'\r\n b'.repeat(200_000)}\r\n\r\n`;
  await refused(t, Buffer.from(folded), 'HEADER_TOO_LARGE');
});

t.test('one endless header line', async (t) => {
  await refused(t, Buffer.from(`${HEAD}\r\nSubject: ${'x'.repeat(5_000_000)}`), 'HEADER_TOO_LARGE');
});

t.test('over maxBytes', async (t) => {
  await refused(t, Buffer.alloc(2000, 0x41), 'TOO_LARGE', { maxBytes: 1000 });
});

t.test('multipart without its closing delimiter', async (t) => {
  const body = `${HEAD}\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n`;
  await refused(t, Buffer.from(body), 'BAD_BODY');
});

t.test('multipart declared, no body at all (headers only, no blank line)', async (t) => {
  await refused(t, Buffer.from(`${HEAD}\r\nContent-Type: multipart/mixed; boundary=b`), 'BAD_BODY');
});

t.test('base64 on a multipart, an unknown transfer encoding: refused', async (t) => {
  const mp = `${HEAD}\r\nContent-Type: multipart/mixed; boundary=b\r\nContent-Transfer-Encoding: base64\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n`;
  await refused(t, Buffer.from(mp), 'BAD_BODY');
  const unknown = `${HEAD}\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 a\r\n`;
  await refused(t, Buffer.from(unknown), 'BAD_BODY');
});

t.test('bad base64 in a part: read leniently (RFC 2045 §6.8, as protocols/mime does), quickly, never a crash', async (t) => {
  const bad = `${HEAD}\r\nContent-Type: image/gif\r\nContent-Transfer-Encoding: base64\r\n\r\n!!AA**AA==@@${'\u00ff'.repeat(100_000)}\r\n`;
  const m = await parseMm4(Buffer.from(bad, 'latin1'));
  t.equal(m.type, 'MM4_forward.REQ');
  if (m.type === 'MM4_forward.REQ' && 'body' in m.content) t.strictSame(m.content.body, Buffer.from([0, 0, 0]), 'only the alphabet read');
});

t.test('garbage and broken header blocks', async (t) => {
  await refused(t, Buffer.from(' folded first: x\r\n\r\n'), 'MALFORMED');
  await refused(t, Buffer.from('this is not a header\r\n\r\n'), 'MALFORMED');
  await refused(t, Buffer.from([0xff, 0xfe, 0x00, 0x0a, 0x0a]), 'MALFORMED');
  await refused(t, Buffer.alloc(0), 'MISSING_FIELD');
  await refused(t, Buffer.from('X-Mms-Message-Type: MM7_submit.REQ\r\n\r\n'), 'UNKNOWN_TYPE');
  await refused(t, Buffer.from('X-Mms-Message-Type: MM4_forward.RES\r\nX-Mms-Transaction-ID: t\r\n\r\n'), 'MISSING_FIELD');
});

t.test('addresses that are not addresses, and too many of them', async (t) => {
  await refused(t, Buffer.from(HEAD.replace('To: +15551230002/TYPE=PLMN', 'To: +1555/TYPE=PLMN/TYPE=PLMN') + '\r\n\r\n'), 'BAD_ADDRESS');
  const to = Array.from({ length: 20 }, (_, i) => `+155512300${String(i).padStart(2, '0')}/TYPE=PLMN`).join(', ');
  await refused(t, Buffer.from(`${HEAD.replace(/To: .*/, `To: ${to}`)}\r\n\r\n`), 'BAD_ADDRESS', { maxRecipients: 10 });
});

t.test('buildMm4: CR/LF in a value cannot inject a header field', async (t) => {
  const res: Mm4ForwardRes = { type: 'MM4_forward.RES', mmsVersion: '6.10.0', transactionId: 'tx', requestStatus: 'Ok' };
  for (const evil of ['x\r\nBcc: victim@example.org', 'x\nX-Evil: 1', 'x\rX-Evil: 1', 'x\r\n X-folded-looking', 'x\0']) {
    t.throws(() => buildMm4({ ...res, statusText: evil }), { name: 'Mm4Error', code: 'BUILD_INVALID' }, JSON.stringify(evil));
    t.throws(() => buildMm4({ ...res, transactionId: evil }), { name: 'Mm4Error', code: 'BUILD_INVALID' }, JSON.stringify(evil));
  }
  t.throws(
    () =>
      buildMm4({
        type: 'MM4_delivery_report.REQ',
        mmsVersion: '6.10.0',
        transactionId: 't',
        messageId: 'm',
        recipient: { address: { kind: 'plmn', number: '+15551230001' }, domain: 'a.example\r\nX-Evil: 1' },
        mmStatus: 'Retrieved',
      }),
    { name: 'Mm4Error', code: 'BUILD_INVALID' },
    'domain',
  );
});

t.test('buildMm4 forward.REQ: CR/LF in the subject is encoded (RFC 2047), in any other value refused', async (t) => {
  const base: Mm4ForwardReq = {
    type: 'MM4_forward.REQ',
    mmsVersion: '6.10.0',
    transactionId: 'tx',
    messageId: 'm-1@a.example',
    originatorSystem: 'system-user@a.example',
    from: { address: { kind: 'plmn', number: '+15551230001' }, domain: 'a.example' },
    to: [{ address: { kind: 'plmn', number: '+15551230002' }, domain: 'b.example' }],
    cc: [],
    content: { contentType: { type: 'text/plain', params: {} }, body: Buffer.from('hi') },
  };
  const names = (b: Buffer) =>
    b
      .toString('latin1')
      .split('\r\n\r\n')[0]!
      .split('\r\n')
      .filter((l) => !/^[ \t]/.test(l))
      .map((l) => l.slice(0, l.indexOf(':')));
  const clean = names(buildMm4({ ...base, subject: 'plain' }));
  for (const evil of ['x\r\nBcc: victim@example.org', 'x\r\n \r\nX-Evil: 1', 'x\nX-Evil: 1', 'x\r\n\r\nbody?']) {
    const built = buildMm4({ ...base, subject: evil });
    t.same(names(built), clean, `subject ${JSON.stringify(evil)}: no field added`);
    const back = await parseMm4(built);
    t.equal(back.type === 'MM4_forward.REQ' ? back.subject : undefined, evil, 'and it reads back as sent');
  }
  const refusedWith = (over: Partial<Mm4ForwardReq>, what: string) =>
    t.throws(() => buildMm4({ ...base, ...over }), { name: 'Mm4Error', code: 'BUILD_INVALID' }, what);
  const evil = 'x@a.example\r\nBcc: victim@example.org';
  refusedWith({ messageId: evil }, 'X-Mms-Message-ID');
  refusedWith({ originatorSystem: evil }, 'X-Mms-Originator-System');
  refusedWith({ sender: evil }, 'Sender');
  refusedWith({ rfc822MessageId: evil }, 'Message-ID');
  refusedWith({ mmsVersion: '6.10.0\r\nX-Evil: 1' }, 'X-Mms-3GPP-MMS-Version');
  refusedWith({ from: { address: { kind: 'email', address: evil } } }, 'From, an e-mail address');
  refusedWith({ to: [{ address: { kind: 'email', address: evil } }] }, 'To, an e-mail address');
  refusedWith({ cc: [{ address: { kind: 'plmn', number: '+1555\r\nX-Evil: 1' }, domain: 'b.example' }] }, 'Cc, a number');
  refusedWith({ to: [{ address: { kind: 'plmn', number: '+15551230002' }, domain: 'b.example\r\n X-Folded: 1' }] }, 'To, a folded domain');
});
