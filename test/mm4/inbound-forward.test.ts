// MM4_forward.REQ -> the core message (src/mm4/inbound-forward.ts): the originator read liberally (a "+"
// number too short for E.164 is the sending network's short code, as in the public mmsgw sample), the
// recipients strictly.
import t from 'tap';
import type { Mm4ForwardReq } from '../../protocols/mm4/index.js';
import { Refusal } from '../../src/core/refusals.js';
import { forwardSubmission } from '../../src/mm4/inbound-forward.js';

const OWN = 'mms.mnc001.mcc001.gprs';
const NOW = Date.UTC(2026, 11, 6);

function req(from: string, over: Partial<Mm4ForwardReq> = {}): Mm4ForwardReq {
  return {
    type: 'MM4_forward.REQ',
    mmsVersion: '6.10.0',
    transactionId: 'tx-1',
    messageId: 'm-1@mms.mnc002.mcc001.gprs',
    from: { address: { kind: 'plmn', number: from }, domain: 'mms.mnc002.mcc001.gprs' },
    to: [{ address: { kind: 'plmn', number: '+15550001234' }, domain: OWN }],
    cc: [],
    content: { contentType: { type: 'text/plain', params: { charset: 'utf-8' } }, body: Buffer.from('hi') },
    ...over,
  };
}

const ctx = { peer: 'carrier-b', rcptTo: [`+15550001234/TYPE=PLMN@${OWN}`], lifetime: { defaultMs: 86_400_000 } };

t.test('a "+" number of 3 to 6 digits as originator is a short code of the sending network', async (t) => {
  t.match(forwardSubmission(req('+12345'), ctx, 'id-1', NOW).message.originator, { address: '12345', type: 'shortcode' });
  t.match(forwardSubmission(req('+123'), ctx, 'id-2', NOW).message.originator, { address: '123', type: 'shortcode' });
});

t.test('7 digits and more stay numbers; the recipients are not read liberally', async (t) => {
  t.match(forwardSubmission(req('+1234567'), ctx, 'id-3', NOW).message.originator, { address: '+1234567', type: 'plmn' });
  t.match(forwardSubmission(req('+15559998888'), ctx, 'id-4', NOW).message.originator, { address: '+15559998888', type: 'plmn' });
  t.throws(() => forwardSubmission(req('+15559998888'), { ...ctx, rcptTo: [`+12345/TYPE=PLMN@${OWN}`] }, 'id-5', NOW), Refusal);
  t.throws(() => forwardSubmission(req('+12'), ctx, 'id-6', NOW), Refusal, 'two digits are neither');
});
