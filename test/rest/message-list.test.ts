import t, { type Test } from 'tap';
import type { CoreMessage } from '../../src/core/message.js';
import type { Queue } from '../../src/core/ports.js';
import { ConfigSchema, VaspSchema, type VaspConfig } from '../../src/ops/config.js';
import { LIST_SCAN_MAX } from '../../src/rest/message-list.js';
import { createMemoryStore } from '../../src/store/memory/index.js';
import { basic, restCall } from '../helpers/rest-call.js';
import { mm7Listener } from '../helpers/mm7-listener.js';

const NOW = Date.UTC(2030, 0, 15, 12, 0, 0);
const MIN = 60_000;

const vasp = (id: string): VaspConfig =>
  VaspSchema.parse({ id, username: id, password: `pw-${id}`, senders: ['12345'], rate: 1000, burst: 1000, maxInFlight: 100 });

interface Started {
  url: string;
  queue: Queue;
  clock: { now: number };
}

async function start(t: Test): Promise<Started> {
  const config = ConfigSchema.parse({ mm7: { port: 0, vasps: [vasp('acme'), vasp('other')] } });
  const clock = { now: NOW };
  const now = () => clock.now;
  const store = createMemoryStore({ now });
  const { url } = await mm7Listener(t, {
    config: config.mm7,
    store,
    now,
    restServices: { api: config.api, idempotency: store.idempotency },
  });
  return { url, queue: store.queue, clock };
}

const auth = (user = 'acme') => basic(user, `pw-${user}`);

async function submit(s: Started, to: string, extra: Array<[string, string]> = [], user = 'acme'): Promise<string> {
  const f = new FormData();
  f.append('to', to);
  f.append('text', 'hi');
  for (const [k, v] of extra) f.append(k, v);
  const a = await restCall(s.url, 'POST', '/v1/messages', { auth: auth(user), body: f });
  if (a.status !== 202) throw new Error(`submission refused: ${a.text}`);
  return a.body.messageId as string;
}

const list = (s: Started, query: string, user = 'acme') => restCall(s.url, 'GET', `/v1/messages${query}`, { auth: auth(user) });
const ids = (body: { messages: Array<{ messageId: string }> }) => body.messages.map((m) => m.messageId);

/** A message of the account stored as the JSON route (helper 2's) will store one: with a clientRef. */
async function withClientRef(s: Started, id: string, clientRef: string): Promise<void> {
  const m: CoreMessage = {
    id,
    originator: { address: '12345', type: 'shortcode' },
    recipients: [{ address: '+16175550100', type: 'plmn', kind: 'to' }],
    contentType: 'text/plain',
    parts: [{ index: 0, contentType: 'text/plain', size: 2 }],
    expiresAt: s.clock.now + 86_400_000,
    deliveryReport: false,
    readReport: false,
    priority: 'normal',
    messageClass: 'personal',
    origin: { iface: 'rest', peer: 'acme' },
    sender: { clientRef },
    receivedAt: s.clock.now,
  };
  await s.queue.enqueue(m, [Buffer.from('hi')], ['p']);
}

t.test('a scheduled submission: 202 scheduled with sendAt; status scheduled, then queued once due', async (t) => {
  const s = await start(t);
  const sendAt = new Date(NOW + 5 * MIN).toISOString();
  const f = new FormData();
  f.append('to', '+16175550100');
  f.append('text', 'later');
  f.append('sendAt', '2030-01-15T13:05:00+01:00'); // NOW + 5 min, written with an offset
  const a = await restCall(s.url, 'POST', '/v1/messages', { auth: auth(), body: f });
  t.equal(a.status, 202);
  t.strictSame(a.body, { messageId: a.body.messageId, recipients: 1, status: 'scheduled', sendAt });
  const id = a.body.messageId as string;
  t.equal((await s.queue.take(10, 10)).length, 0, 'not handed out before sendAt');
  let v = await restCall(s.url, 'GET', `/v1/messages/${id}`, { auth: auth() });
  t.equal(v.body.status, 'scheduled');
  t.equal(v.body.sendAt, sendAt);
  t.equal(v.body.class, 'transactional');
  s.clock.now = NOW + 5 * MIN;
  v = await restCall(s.url, 'GET', `/v1/messages/${id}`, { auth: auth() });
  t.equal(v.body.status, 'queued', 'due');
  t.strictSame(
    (await s.queue.take(10, 10)).map((j) => j.messageId),
    [id],
    'handed out at sendAt',
  );
  v = await restCall(s.url, 'GET', `/v1/messages/${id}`, { auth: auth() });
  t.equal(v.body.status, 'delivering');
});

t.test('sendAt refused: not RFC 3339, no offset, a date that does not exist, after the expiry', async (t) => {
  const s = await start(t);
  for (const [sendAt, extra] of [
    ['tomorrow', []],
    ['2030-01-15T13:05:00', []],
    ['2030-02-30T10:00:00Z', []],
    ['2030-01-15T12:10:00Z', [['expiry', '60']]],
    ['2031-01-15T12:10:00Z', []],
  ] as Array<[string, Array<[string, string]>]>) {
    const f = new FormData();
    f.append('to', '+16175550100');
    f.append('text', 'x');
    f.append('sendAt', sendAt);
    for (const [k, v] of extra) f.append(k, v);
    const a = await restCall(s.url, 'POST', '/v1/messages', { auth: auth(), body: f });
    t.equal(a.status, 400, sendAt);
    t.equal(a.body.error.refusal, 'validation-error', sendAt);
  }
  const past = await submit(s, '+16175550100', [['sendAt', '2030-01-15T11:00:00Z']]);
  t.equal((await s.queue.message(past))?.earliestDeliveryAt, undefined, 'a time past: now');
});

t.test('GET /v1/messages: the account own, newest first, in pages; each filter', async (t) => {
  const s = await start(t);
  const made: string[] = [];
  for (let i = 0; i < 5; i++) {
    made.push(await submit(s, i % 2 === 0 ? '+16175550100' : '+16175550101'));
    s.clock.now += MIN;
  }
  const other = await submit(s, '+16175550100', [], 'other');
  const scheduled = await submit(s, '+16175550102', [['sendAt', new Date(s.clock.now + 60 * MIN).toISOString()]]);
  s.clock.now += MIN;
  await withClientRef(s, 'ref-1', 'order-1');
  await withClientRef(s, 'ref-2', 'order-2');
  const newest = ['ref-2', 'ref-1', scheduled, ...[...made].reverse()];

  const all = await list(s, '');
  t.equal(all.status, 200);
  t.strictSame(ids(all.body), newest, 'every message of the account, none of the other');
  t.equal(all.body.next, undefined);
  t.strictSame(all.body.messages[2], {
    messageId: scheduled,
    from: '12345',
    submittedAt: new Date(NOW + 5 * MIN).toISOString(),
    sendAt: new Date(NOW + 65 * MIN).toISOString(),
    status: 'scheduled',
    recipients: 1,
  });
  t.strictSame(ids((await list(s, '', 'other')).body), [other]);

  // Pages of three: no repeat, no gap.
  const seen: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await list(s, `?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
    t.equal(page.status, 200);
    t.ok(page.body.messages.length <= 3);
    seen.push(...ids(page.body));
    cursor = page.body.next;
    pages++;
  } while (cursor && pages < 10);
  t.strictSame(seen, newest);
  t.equal(pages, 3);

  t.strictSame(ids((await list(s, '?status=scheduled')).body), [scheduled], 'status=scheduled');
  t.strictSame(ids((await list(s, '?clientRef=order-1')).body), ['ref-1'], 'clientRef');
  t.strictSame(ids((await list(s, '?recipient=%2B16175550101')).body), [made[3], made[1]], 'recipient');
  t.strictSame(
    ids((await list(s, '?recipient=%2B16175550100')).body),
    ['ref-2', 'ref-1', made[4], made[2], made[0]],
    "recipient: not the other account's",
  );
  const window = `?from=${new Date(NOW + MIN).toISOString()}&to=${new Date(NOW + 3 * MIN).toISOString()}`;
  t.strictSame(ids((await list(s, window)).body), [made[3], made[2], made[1]], 'from/to, both inclusive');

  // A status filter over pages: the cursor resumes where the look stopped.
  await s.queue.cancel(made[0]!, 'test');
  await s.queue.cancel(made[3]!, 'test');
  const cancelled: string[] = [];
  cursor = undefined;
  pages = 0;
  do {
    const page = await list(s, `?status=cancelled&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
    cancelled.push(...ids(page.body));
    cursor = page.body.next;
    pages++;
  } while (cursor && pages < 10);
  t.strictSame(cancelled, [made[3], made[0]]);
  t.strictSame(ids((await list(s, '?status=queued')).body), ['ref-2', 'ref-1', made[4], made[2], made[1]]);
});

t.test('GET /v1/messages: a bad query is 400 naming it', async (t) => {
  const s = await start(t);
  for (const q of [
    '?state=queued',
    '?status=sent',
    '?limit=0',
    '?limit=101',
    '?limit=ten',
    '?from=yesterday',
    '?cursor=%25%25',
    '?limit=1&limit=2',
  ]) {
    const a = await list(s, q);
    t.equal(a.status, 400, q);
    t.equal(a.body.error.refusal, 'validation-error', q);
  }
  t.equal((await list(s, '?limit=100')).status, 200);
});

t.test('DELETE /v1/messages/:id: cancels a scheduled message, which then never goes; too late; not found', async (t) => {
  const s = await start(t);
  const id = await submit(s, '+16175550100', [['sendAt', new Date(NOW + 10 * MIN).toISOString()]]);
  const del = await restCall(s.url, 'DELETE', `/v1/messages/${id}`, { auth: auth() });
  t.equal(del.status, 200);
  t.strictSame(del.body, { messageId: id, status: 'cancelled', cancelled: 1 });
  s.clock.now = NOW + 11 * MIN;
  t.equal((await s.queue.take(10, 10)).length, 0, 'never handed out');
  t.equal((await restCall(s.url, 'GET', `/v1/messages/${id}`, { auth: auth() })).body.status, 'cancelled');
  const again = await restCall(s.url, 'DELETE', `/v1/messages/${id}`, { auth: auth() });
  t.equal(again.status, 409, 'nothing left to cancel');
  t.equal(again.body.error.refusal, 'too-late');

  // Being delivered, then delivered: too late either way.
  const now = await submit(s, '+16175550100');
  const [job] = await s.queue.take(10, 10);
  t.equal(job?.messageId, now);
  let late = await restCall(s.url, 'DELETE', `/v1/messages/${now}`, { auth: auth() });
  t.equal(late.status, 409);
  t.equal(late.body.error.code, 'CONFLICT');
  await s.queue.ack(job!, 'delivered');
  late = await restCall(s.url, 'DELETE', `/v1/messages/${now}`, { auth: auth() });
  t.equal(late.status, 409);

  const theirs = await restCall(s.url, 'DELETE', `/v1/messages/${id}`, { auth: auth('other') });
  t.equal(theirs.status, 404, "another account's: as unknown");
  t.equal(theirs.body.error.refusal, 'message-not-found');
  t.equal((await restCall(s.url, 'DELETE', '/v1/messages/nope', { auth: auth() })).status, 404);
});

t.test('GET /v1/messages: a filtered page looks at a bounded number of messages, then its cursor goes on', async (t) => {
  const s = await start(t);
  await withClientRef(s, 'wanted', 'needle');
  s.clock.now += 1;
  for (let i = 0; i < LIST_SCAN_MAX + 10; i++) await withClientRef(s, `hay-${String(i).padStart(4, '0')}`, 'hay');
  const first = await list(s, '?clientRef=needle&limit=10');
  t.equal(first.status, 200);
  t.strictSame(first.body.messages, [], 'none among the first LIST_SCAN_MAX');
  t.ok(first.body.next, 'and a cursor to go on');
  const second = await list(s, `?clientRef=needle&limit=10&cursor=${first.body.next}`);
  t.strictSame(ids(second.body), ['wanted']);
  t.equal(second.body.next, undefined);
});
