// The subscriber policy (src/core/subscriber-policy.ts) on its own, over the embedded store's subscriber
// flags: it has the last word on the route table's answer for each delivery attempt. Opted out (STOP):
// refused with the reason; text-only: the SMS text route instead of the table's (the table's when no SMSC
// serves the number); neither: the table's route. Reports, recipients that are no phone number and the
// exempt messages (the STOP confirmation) pass untouched, without a store lookup.
import t from 'tap';
import type { CoreMessage } from '../../src/core/message.js';
import type { Delivery, DeliveryResult, Route } from '../../src/core/router.js';
import { subscriberPolicy } from '../../src/core/subscriber-policy.js';
import { SMS_FALLBACK } from '../../src/core/sms-fallback.js';
import { MemorySubscribers } from '../../src/store/memory/subscribers.js';
import { MemoryConsent } from '../../src/store/memory/consent.js';
import type { LeasedJob, SubscriberFlags, SubscriberStore } from '../../src/core/ports.js';
import { textMessage } from '../helpers/messages.js';

function named(peer: string): Route {
  return {
    peer,
    limits: { rate: 10, burst: 10, maxInFlight: 1 },
    send: async (_d: Delivery): Promise<DeliveryResult> => ({ status: 'rejected', detail: 'fake route: not for sending' }),
  };
}

const table = named('mm1:notify');
const sms = named('smpp:sim');

const OPTED_OUT = '+15551000000';
const TEXT_ONLY = '+15551000001';
const BOTH = '+15551000002';
const PLAIN = '+15551000003';

function job(message: CoreMessage, recipientIndex = 0): LeasedJob {
  return {
    messageId: message.id,
    recipientIndex,
    peer: 'x',
    attempt: 1,
    maxAttempts: 3,
    notifications: 0,
    lease: 'l',
    leaseUntil: 0,
    message,
  };
}

/** A message to one recipient. */
const to = (address: string, type: 'plmn' | 'shortcode' | 'email' = 'plmn', overrides: Partial<CoreMessage> = {}): CoreMessage =>
  textMessage('m1', 1, Date.now(), { recipients: [{ address, type, kind: 'to' }], ...overrides });

/** The embedded store's flags, with a count of lookups. */
async function subscribers(): Promise<{ store: SubscriberStore; lookups: string[] }> {
  const store = new MemorySubscribers();
  await store.setOptedOut(OPTED_OUT, true);
  await store.setTextOnly(TEXT_ONLY, true);
  await store.setOptedOut(BOTH, true);
  await store.setTextOnly(BOTH, true);
  const lookups: string[] = [];
  return {
    lookups,
    store: {
      get: (address: string): Promise<SubscriberFlags> => (lookups.push(address), store.get(address)),
      setOptedOut: (a, v) => store.setOptedOut(a, v),
      setTextOnly: (a, v) => store.setTextOnly(a, v),
    },
  };
}

t.test('opted out: refused with the reason, whatever the table said (even no route)', async (t) => {
  const { store } = await subscribers();
  const resolve = subscriberPolicy({ subscribers: store, textRoute: () => sms });
  t.same(await resolve(job(to(OPTED_OUT)), table), { refuse: 'recipient opted out (STOP)' });
  t.same(await resolve(job(to(OPTED_OUT)), undefined), { refuse: 'recipient opted out (STOP)' });
  t.same(await resolve(job(to(BOTH)), table), { refuse: 'recipient opted out (STOP)' }, 'opted out and text-only: the opt-out wins');
});

t.test('text-only, but the sender declined the SMS fallback (fallback.sms false): the table’s route', async (t) => {
  const { store } = await subscribers();
  const resolve = subscriberPolicy({ subscribers: store, textRoute: () => sms });
  t.equal(await resolve(job(to(TEXT_ONLY, 'plmn', { sender: { fallback: { sms: false } } })), table), table, 'declined: MMS as for anyone');
  t.equal(
    ((await resolve(job(to(TEXT_ONLY, 'plmn', { sender: { fallback: { sms: true, text: 'Receipt' } } })), table)) as Route).peer,
    sms.peer,
    'asked for: SMS',
  );
  t.equal(((await resolve(job(to(TEXT_ONLY, 'plmn', { sender: { clientRef: 'r1' } })), table)) as Route).peer, sms.peer, 'not said: SMS');
});

t.test('text-only: the SMS text route for its number, instead of the table’s', async (t) => {
  const { store } = await subscribers();
  const asked: string[] = [];
  // The text route's deliveries come back marked as the SMS fallback (the sender's events say delivered_as_sms).
  const sent: Route = { ...sms, send: async () => ({ status: 'delivered', detail: 'accepted by SMSC sim as 7' }) };
  const resolve = subscriberPolicy({ subscribers: store, textRoute: (a) => (asked.push(a), sent) });
  const chosen = (await resolve(job(to(TEXT_ONLY)), table)) as Route;
  t.equal(chosen.peer, sms.peer, 'the SMS route’s peer');
  t.same(chosen.limits, sms.limits);
  t.same(
    await chosen.send({ message: to(TEXT_ONLY), recipientIndex: 0, attempt: 1, content: async () => [] }),
    { status: 'delivered', detail: `${SMS_FALLBACK} (text-only subscriber): accepted by SMSC sim as 7` },
    'marked as the SMS fallback',
  );
  t.equal(((await resolve(job(to(TEXT_ONLY)), undefined)) as Route).peer, sms.peer, 'also where the table has none');
  t.same(asked, [TEXT_ONLY, TEXT_ONLY], 'the text route asked for the recipient’s address');
  const noSmsc = subscriberPolicy({ subscribers: store, textRoute: () => undefined });
  t.equal(await noSmsc(job(to(TEXT_ONLY)), table), table, 'no SMSC serves it: the table’s route');
});

t.test('no flags: the table’s route (or none)', async (t) => {
  const { store, lookups } = await subscribers();
  const resolve = subscriberPolicy({ subscribers: store, textRoute: () => sms });
  t.equal(await resolve(job(to(PLAIN)), table), table);
  t.equal(await resolve(job(to(PLAIN)), undefined), undefined);
  t.same(lookups, [PLAIN, PLAIN], 'looked up on each attempt: a STOP counts from the next attempt on');
  await store.setOptedOut(PLAIN, true);
  t.same(await resolve(job(to(PLAIN)), table), { refuse: 'recipient opted out (STOP)' }, 'a flag set since is seen');
});

t.test('each recipient by its own flags', async (t) => {
  const { store } = await subscribers();
  const resolve = subscriberPolicy({ subscribers: store, textRoute: () => sms });
  const m = textMessage('m1', 3, Date.now(), {
    recipients: [OPTED_OUT, TEXT_ONLY, PLAIN].map((address) => ({ address, type: 'plmn' as const, kind: 'to' as const })),
  });
  t.same(await resolve(job(m, 0), table), { refuse: 'recipient opted out (STOP)' });
  t.equal(((await resolve(job(m, 1), table)) as Route).peer, sms.peer);
  t.equal(await resolve(job(m, 2), table), table);
});

t.test('not concerned, and not looked up: reports, recipients that are no phone number, exempt messages', async (t) => {
  const { store, lookups } = await subscribers();
  const exempted: string[] = [];
  const resolve = subscriberPolicy({
    subscribers: store,
    textRoute: () => sms,
    exempt: (m) => (exempted.push(m.id), m.origin.peer === 'keywords'),
  });
  const report = to(OPTED_OUT, 'plmn', {
    report: {
      kind: 'delivery',
      messageId: 'orig',
      recipientIndex: 0,
      to: { iface: 'mm1', peer: '+15550000009' },
      status: 'delivered',
      at: 0,
    },
  });
  t.equal(await resolve(job(report), table), table, 'a report on the subscriber’s own message still reaches it');
  t.equal(await resolve(job(to(OPTED_OUT, 'shortcode')), table), table, 'a short code');
  t.equal(await resolve(job(to(OPTED_OUT, 'email')), table), table, 'an e-mail address');
  const confirmation = to(OPTED_OUT, 'plmn', { origin: { iface: 'smpp', peer: 'keywords' } });
  t.equal(await resolve(job(confirmation), sms), sms, 'the confirmation of the STOP itself');
  t.equal(await resolve(job(to(OPTED_OUT), 3), table), table, 'an index past the recipients');
  t.same(lookups, [], 'the store was not asked');
  t.same(exempted, ['m1'], 'exempt is asked for phone numbers only, after the report check');
});

t.test('the store cannot be read: the error goes to the caller (the worker pool retries: an opt-out must hold)', async (t) => {
  const down: SubscriberStore = {
    get: async () => {
      throw new Error('subscriber store down');
    },
    setOptedOut: async () => {},
    setTextOnly: async () => {},
  };
  const resolve = subscriberPolicy({ subscribers: down, textRoute: () => sms });
  await t.rejects(resolve(job(to(PLAIN)), table), { message: 'subscriber store down' });
});

t.test('consent registry: an opt-out from the sender refuses every class; other senders and states go on', async (t) => {
  const { store } = await subscribers();
  const consent = new MemoryConsent();
  const resolve = subscriberPolicy({ subscribers: store, textRoute: () => sms, consent });
  const from = (sender: string, trafficClass: 'transactional' | 'marketing' = 'transactional') =>
    to(PLAIN, 'plmn', { originator: { address: sender, type: 'shortcode' }, sender: { trafficClass } });
  t.equal(await resolve(job(from('12345')), table), table, 'no record: the route');
  await consent.set('12345', PLAIN, { state: 'opted-out', source: 'keyword', at: 1, proof: 'STOP' });
  t.same(
    await resolve(job(from('12345')), table),
    { refuse: 'opted-out: recipient opted out of 12345 (STOP)' },
    'transactional: STOP wins',
  );
  t.same(await resolve(job(from('12345', 'marketing')), table), { refuse: 'opted-out: recipient opted out of 12345 (STOP)' });
  t.equal(await resolve(job(from('54321')), table), table, 'another sender: not concerned');
  await consent.set('12345', PLAIN, { state: 'opted-in', source: 'keyword', at: 2 });
  t.equal(await resolve(job(from('12345')), table), table, 'opted in again: the route');
  t.same(await resolve(job(to(OPTED_OUT)), table), { refuse: 'recipient opted out (STOP)' }, 'the global STOP flag as before');
});
