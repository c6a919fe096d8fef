// The sender's events as functions (docs/webhooks.md): what the core's final states and delivery outcomes
// become (types, catalogue codes, delivered_as_sms), the report generator's split between MM7 reports and
// events, the webhook body of an old report, and the retry schedule reaching the event's 24 h (computed, not
// waited for).
import { pino } from 'pino';
import t from 'tap';
import type { CoreMessage } from '../../src/core/message.js';
import { buildMessage } from '../../src/core/message-builder.js';
import type { Queue } from '../../src/core/ports.js';
import { ReportGenerator } from '../../src/core/reports.js';
import { DEFAULT_RETRY_POLICY, retryDelay } from '../../src/core/retry-policy.js';
import type { Route, Router } from '../../src/core/router.js';
import { finalEvent, outcomeEvents, refusalCodeOf } from '../../src/core/sender-event-map.js';
import { senderOptOut } from '../../src/core/consent.js';
import type { ConsentRecord } from '../../src/core/ports.js';

/** A registry where every subscriber opted out of every sender. */
const optedOut = { get: async () => ({ state: 'opted-out' }) as ConsentRecord };
import type { SenderEvent } from '../../src/core/sender-events.js';
import { SMS_FALLBACK } from '../../src/core/sms-fallback.js';
import { OPTED_OUT_DETAIL } from '../../src/core/subscriber-policy.js';
import { NO_ROUTE_DETAIL } from '../../src/core/worker-pool.js';
import { webhookBody } from '../../src/rest/webhooks/body.js';
import { webhookRetryDelay } from '../../src/rest/webhooks/retry.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function message(origin: CoreMessage['origin'], extra: { earliestDeliveryAt?: number } = {}): CoreMessage {
  const m = buildMessage({
    now: Date.now(),
    originator: { address: '7040', type: 'shortcode' },
    recipients: [{ address: '+15550000001', type: 'plmn', kind: 'to' }],
    origin,
    parts: [],
    lifetime: { defaultMs: HOUR },
    deliveryReport: true,
    readReport: true,
    earliestDeliveryAt: extra.earliestDeliveryAt,
  });
  m.sender = { clientRef: 'order-9' };
  return m;
}
const REST = { iface: 'rest', peer: 'shop', callbackUrl: 'https://hooks.example/mms' } as const;

t.test('final states: type, catalogue code when the detail has one, delivered_as_sms for the SMS fallback', async (t) => {
  t.same(finalEvent(0, 'delivered', 5, 'handset retrieved it'), {
    type: 'delivered',
    recipientIndex: 0,
    at: 5,
    detail: 'handset retrieved it',
  });
  t.match(finalEvent(1, 'delivered', 5, `${SMS_FALLBACK} (timeout): accepted by SMSC sim as 7`), {
    type: 'delivered_as_sms',
    recipientIndex: 1,
  });
  t.match(
    finalEvent(0, 'rejected', 5, `${SMS_FALLBACK} (push-failed) refused: no`),
    { type: 'rejected' },
    'a refused fallback is a rejection',
  );
  t.same(finalEvent(0, 'rejected', 5, OPTED_OUT_DETAIL), {
    type: 'rejected',
    recipientIndex: 0,
    at: 5,
    code: 'opted-out',
    detail: OPTED_OUT_DETAIL,
  });
  t.equal(refusalCodeOf('rejected', NO_ROUTE_DETAIL), 'unroutable');
  t.equal(refusalCodeOf('rejected', await senderOptOut(optedOut, '12345', '+15550000001')), 'opted-out', "a sender's STOP");
  t.equal(refusalCodeOf('rejected', 'consent-required: no opt-in for 12345'), 'consent-required', '"<code>: " names the code');
  t.equal(refusalCodeOf('rejected', 'nonsense-code: x'), undefined, 'only catalogue codes');
  t.equal(refusalCodeOf('expired', undefined), 'expired');
  t.equal(refusalCodeOf('failed', 'VASP answered 3001'), undefined, 'a peer’s own words: no code');
  t.equal(refusalCodeOf('delivered', 'opted-out: x'), undefined, 'never on a delivery');
});

t.test('worker outcomes: queued on the first attempt of a scheduled message, notified after a push', async (t) => {
  const job = (m: CoreMessage, attempt: number) => ({
    messageId: m.id,
    recipientIndex: 0,
    peer: 'p',
    attempt,
    notifications: 0,
    maxAttempts: 10,
    lease: 'l',
    leaseUntil: 0,
    message: m,
  });
  const scheduled = message(REST, { earliestDeliveryAt: Date.now() + 60_000 });
  t.same(
    outcomeEvents({ job: job(scheduled, 1), state: 'delivered' }, 9).map((e) => e.type),
    ['queued'],
  );
  t.same(outcomeEvents({ job: job(scheduled, 2), state: 'retrying' }, 9), [], 'not on a later attempt');
  t.same(outcomeEvents({ job: job(scheduled, 1), state: 'notified', detail: 'pushed' }, 9), [
    { type: 'queued', recipientIndex: 0, at: 9 },
    { type: 'notified', recipientIndex: 0, at: 9, detail: 'pushed' },
  ]);
  t.same(
    outcomeEvents({ job: job(message(REST), 1), state: 'delivered' }, 9),
    [],
    'not scheduled: no queued here (the JSON route says it)',
  );
  t.same(outcomeEvents({ job: job(message({ iface: 'mm7', peer: 'shop' }), 1), state: 'notified' }, 9), [], 'MM7: no events');
  t.same(outcomeEvents({ job: job(message({ iface: 'rest', peer: 'shop' }), 1), state: 'notified' }, 9), [], 'no callbackUrl: none');
});

t.test('the report generator: events for a REST origin with a callbackUrl, MM7 reports for the rest', async (t) => {
  const enqueued: CoreMessage[] = [];
  const queue = { enqueue: async (m: CoreMessage) => void enqueued.push(m) } as unknown as Queue;
  const route: Route = { peer: 'mm7:shop', limits: { rate: 1, burst: 1, maxInFlight: 1 }, send: async () => ({ status: 'delivered' }) };
  const router: Router = { route: () => route };
  const emitted: SenderEvent[] = [];
  const events = { emit: async (_m: CoreMessage, e: SenderEvent) => void emitted.push(e) };
  const reports = new ReportGenerator({ queue, router, log: pino({ level: 'silent' }), now: () => 42, events });

  await reports.final(message(REST), 0, 'rejected', OPTED_OUT_DETAIL);
  t.same(emitted, [{ type: 'rejected', recipientIndex: 0, at: 42, code: 'opted-out', detail: OPTED_OUT_DETAIL }]);
  t.equal(await reports.read(message(REST), 0, 'read'), true);
  t.same(emitted[1], { type: 'read', recipientIndex: 0, at: 42 });
  t.equal(await reports.read(message(REST), 0, 'deleted'), false, 'deleted unread: no event');
  t.equal(enqueued.length, 0, 'no MM7-style report for a REST origin');

  await reports.final(message({ iface: 'mm7', peer: 'shop' }), 0, 'delivered');
  t.equal(await reports.read(message({ iface: 'mm7', peer: 'shop' }), 0, 'read'), true);
  t.same(
    enqueued.map((m) => [m.report?.kind, m.report?.status]),
    [
      ['delivery', 'delivered'],
      ['read', 'read'],
    ],
    'an MM7 VASP still gets DeliveryReportReq / ReadReplyReq',
  );
  t.equal(emitted.length, 2, 'and no events');
});

t.test('a REST report queued before events existed is sent in the new shape', async (t) => {
  const m = message({ iface: 'mm1', peer: 'reports' });
  m.report = { kind: 'read', messageId: 'm-1', recipientIndex: 0, to: REST, status: 'deleted', at: 0 };
  t.same(webhookBody(m), {
    eventId: m.id,
    type: 'read',
    at: '1970-01-01T00:00:00.000Z',
    messageId: 'm-1',
    recipient: '7040',
    clientRef: 'order-9',
    detail: 'deleted without being read',
  });
  t.equal(webhookBody(message(REST)), undefined, 'not a report: no body');
});

t.test('the retry schedule spreads queue.maxAttempts over the event’s 24 h, growing', async (t) => {
  for (const maxAttempts of [10, 5, 3]) {
    const start = 0;
    let now = start;
    const delays: number[] = [];
    for (let attempt = 1; attempt < maxAttempts; attempt++) {
      const d = webhookRetryDelay({ attempt, maxAttempts, now, expiresAt: start + DAY, random: () => 1 });
      delays.push(d);
      now += d;
    }
    t.ok(now < start + DAY, `${maxAttempts} attempts: the last is before the expiry (${now} ms)`);
    t.ok(now > start + DAY - 5 * 60_000, `${maxAttempts} attempts: the last is within minutes of 24 h`);
    for (let i = 1; i < delays.length; i++) t.ok(delays[i]! > delays[i - 1]!, `${maxAttempts}: delay ${i + 1} longer than ${i}`);
  }
  const first = webhookRetryDelay({ attempt: 1, maxAttempts: 10, now: 0, expiresAt: DAY, random: () => 0.5 });
  t.ok(first >= 1_000 && first < 15_000, `the first retry comes soon (${first} ms)`);
  // The queue's own policy would have given up long before: why the route sets retryAfterMs.
  let plain = 0;
  for (let attempt = 1; attempt < 10; attempt++) plain += retryDelay({ ...DEFAULT_RETRY_POLICY, jitter: 0 }, attempt);
  t.ok(plain < HOUR, `the default policy spans ${Math.round(plain / 60_000)} min only`);
  t.equal(webhookRetryDelay({ attempt: 10, maxAttempts: 10, now: 0, expiresAt: DAY }), 1_000, 'out of attempts: the floor');
  t.equal(webhookRetryDelay({ attempt: 1, maxAttempts: 10, now: DAY, expiresAt: DAY }), 1_000, 'out of time: the floor');
});
