// protocols/mm4 on the public MM4 sample vendored in conformance/vectors/mm4/ (sources in SOURCES.md): an
// MM4_forward.REQ written by mmsgw (github.com/drivefast/mmsgw) and received by aiosmtpd. Expected values are
// read off the file by hand.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { bareId, originatorSystemOf, parseMm4 } from '../../protocols/mm4/index.js';
import { ROOT } from '../helpers/paths.js';

const DIR = join(ROOT, 'conformance', 'vectors', 'mm4');

t.test('mmsgw MM4_forward.REQ', async (t) => {
  const m = await parseMm4(readFileSync(join(DIR, 'mmsgw-generated', 'mm4-forward-req-from-mmsgw.eml')));
  t.equal(m.type, 'MM4_forward.REQ');
  if (m.type !== 'MM4_forward.REQ') return;
  t.equal(m.mmsVersion, '6.10.0');
  t.equal(m.transactionId, '314b61a215ae4b39bffec54deafac470');
  t.equal(bareId(m.messageId), 'e465b967a0334763a35d3e6a3512edb9');
  t.strictSame(m.from, { address: { kind: 'plmn', number: '+12345' } }, 'From: +12345/TYPE=PLMN');
  t.strictSame(m.to, [{ address: { kind: 'plmn', number: '+4915112345678' } }]);
  t.equal(m.subject, 'hello from mmsgw');
  t.equal(m.date, Date.UTC(2026, 10, 25, 1, 28, 51));
  t.equal(m.priority, 'Normal', 'mmsgw writes "normal"');
  t.equal(m.ackRequest, true);
  t.equal(m.deliveryReport, true);
  t.equal(m.readReply, true);
  t.equal(m.sender, 'mms_events@mmsgw.local.example');
  t.strictSame(originatorSystemOf(m.originatorSystem ?? ''), { mailbox: 'mms_events@mmsgw.local.example', host: 'mmsgw.local.example' });
  t.ok('parts' in m.content);
  if (!('parts' in m.content)) return;
  t.equal(m.content.contentType.type, 'multipart/related');
  const part = m.content.parts[0];
  t.ok(part && 'body' in part);
  if (part && 'body' in part) {
    t.equal(part.contentId, 'hello.txt', 'Content-Id without <>');
    t.equal(part.body.toString(), 'Hello MM7 world');
  }
});
