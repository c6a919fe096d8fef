// buildMessage (src/core/message-builder.ts), the one maker of CoreMessages: the defaults it fills, the
// lifetime bounds, and the optional fields it leaves out when they say nothing.
import t from 'tap';
import type { ContentRef } from '../../src/core/message.js';
import { buildMessage, type MessageInit, MULTIPART_MIXED, textPart } from '../../src/core/message-builder.js';

const now = 1_700_000_000_000;
const base: MessageInit = {
  now,
  originator: { address: '+15550000001', type: 'plmn' },
  recipients: [{ address: '+15551000001', type: 'plmn', kind: 'to' }],
  origin: { iface: 'mm7', peer: 'shop' },
  parts: [textPart('hello')],
  lifetime: { defaultMs: 3_600_000, maxMs: 86_400_000 },
};

t.test('the defaults: a new id, received now, the default lifetime, no reports, normal, personal', async (t) => {
  const m = buildMessage(base);
  t.match(m.id, /^[0-9a-z]+-[0-9a-f]{16}$/);
  t.ok(m.id.startsWith(now.toString(36)), 'drawn at `now`');
  t.not(buildMessage(base).id, m.id, 'a new one each time');
  t.strictSame(m, {
    id: m.id,
    originator: base.originator,
    recipients: base.recipients,
    contentType: 'text/plain',
    parts: [{ index: 0, contentType: 'text/plain', params: { charset: 'utf-8' }, size: 5 }],
    expiresAt: now + 3_600_000,
    deliveryReport: false,
    readReport: false,
    priority: 'normal',
    messageClass: 'personal',
    origin: base.origin,
    receivedAt: now,
  });
  t.notOk('subject' in m || 'earliestDeliveryAt' in m || 'service' in m || 'report' in m || 'contentTypeParams' in m, 'no empty fields');
});

t.test('what the edge gives wins over the defaults', async (t) => {
  const m = buildMessage({
    ...base,
    id: 'given',
    deliveryReport: true,
    readReport: true,
    priority: 'high',
    messageClass: 'advertisement',
    subject: 'hi',
    contentType: 'application/vnd.wap.multipart.related',
    contentTypeParams: { type: 'application/smil' },
  });
  t.match(m, {
    id: 'given',
    deliveryReport: true,
    readReport: true,
    priority: 'high',
    messageClass: 'advertisement',
    subject: 'hi',
    contentType: 'application/vnd.wap.multipart.related',
    contentTypeParams: { type: 'application/smil' },
  });
});

t.test("the expiry: the sender's within the lifetime's maximum, else the default", async (t) => {
  t.equal(buildMessage({ ...base, expiresAt: now + 60_000 }).expiresAt, now + 60_000, 'asked for, within the maximum');
  t.equal(buildMessage({ ...base, expiresAt: now + 7 * 86_400_000 }).expiresAt, now + 86_400_000, 'bounded by the maximum');
  t.equal(buildMessage({ ...base, expiresAt: undefined }).expiresAt, now + 3_600_000, 'undefined: the default');
  t.equal(buildMessage({ ...base, lifetime: { defaultMs: 5_000 } }).expiresAt, now + 5_000, 'no maximum');
});

t.test('the media type from the parts when the edge names none', async (t) => {
  const image: ContentRef = { index: 1, contentType: 'image/jpeg', size: 10 };
  t.equal(buildMessage({ ...base, parts: [] }).contentType, 'text/plain', 'no part (a report)');
  t.equal(buildMessage({ ...base, parts: [image] }).contentType, 'image/jpeg', 'one part: its type');
  t.equal(buildMessage({ ...base, parts: [textPart('a'), image] }).contentType, MULTIPART_MIXED, 'several: multipart.mixed');
});

t.test('a deferral is kept only when it is in the future', async (t) => {
  t.equal(buildMessage({ ...base, earliestDeliveryAt: now + 1 }).earliestDeliveryAt, now + 1);
  t.notOk('earliestDeliveryAt' in buildMessage({ ...base, earliestDeliveryAt: now }), 'now: not deferred');
  t.notOk('earliestDeliveryAt' in buildMessage({ ...base, earliestDeliveryAt: now - 1000 }), 'past: not deferred');
});

t.test('service data: undefined entries dropped, none at all: no service', async (t) => {
  const m = buildMessage({ ...base, service: { vasId: 'news', serviceCode: undefined, linkedId: 'l1', drmContent: false } });
  t.strictSame(m.service, { vasId: 'news', linkedId: 'l1', drmContent: false });
  t.notOk('service' in buildMessage({ ...base, service: { vasId: undefined, linkedId: undefined } }));
});

t.test('a report keeps its report data', async (t) => {
  const report = { kind: 'delivery', messageId: 'm1', recipientIndex: 0, to: base.origin, status: 'delivered', at: now } as const;
  t.same(buildMessage({ ...base, parts: [], messageClass: 'auto', report }).report, report);
});

t.test('textPart: one UTF-8 text part, its size in bytes', async (t) => {
  t.same(textPart('né', 2), { index: 2, contentType: 'text/plain', params: { charset: 'utf-8' }, size: 3 });
});
