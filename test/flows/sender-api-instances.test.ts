// Issue 24's acceptance, the sender's API across instances: two `mmsc serve` processes on one Redis key
// prefix (queue.prefix, fresh per test) and one config.
// - Idempotency-Key: the same key and request sent to one instance then the other, and to both at once,
//   is one message (the records are in the shared store): one is stored, the other answers are the replay
//   of its 202 (Idempotent-Replayed) or, while the first is still in progress, 409 with Retry-After.
// - Scheduling: a message scheduled ~3 s ahead through instance A, A then SIGKILLed; B delivers it within a
//   second of sendAt (and not before).
// Delivery is observable end to end: the messages go to another VASP's short code, so each is a DeliverReq
// to an MM7 endpoint of the test (helpers/mm7-sink.ts), which records when it arrived.
import t, { type Test } from 'tap';
import { dropKeys, redisUrl, testPrefix } from '../helpers/redis.js';
import { mm7Sink } from '../helpers/mm7-sink.js';
import { basic, type RestCallAnswer, restCall } from '../helpers/rest-call.js';
import { ServeProcess } from '../helpers/serve-process.js';
import { until } from '../helpers/until.js';

// Two process starts (~10-30 s each on a loaded machine) and the scheduled wait.
t.setTimeout(240_000);

const SRC = { id: 'src', username: 'src', password: 'pw-src', shortCode: '7101' };
const DST = { id: 'dst', shortCode: '7102' };
const AUTH = basic(SRC.username, SRC.password);
const SCHEDULE_AHEAD_MS = 3_000;
const WITHIN_MS = 1_000;

async function twoGateways(t: Test) {
  const redis = await redisUrl(t);
  const prefix = testPrefix();
  const sink = await mm7Sink(t, 0);
  const config = (relayServerId: string) => ({
    redis: { url: redis },
    queue: { prefix },
    ops: { port: 0 },
    mm1: { enabled: false },
    mm7: {
      port: 0,
      relayServerId,
      vasps: [
        { id: SRC.id, username: SRC.username, password: SRC.password, senders: [SRC.shortCode], rate: 1_000, burst: 1_000 },
        {
          id: DST.id,
          username: DST.id,
          password: `pw-${DST.id}`,
          senders: [DST.shortCode],
          url: sink.url,
          deliveryRate: 1_000,
          deliveryBurst: 100,
        },
      ],
    },
  });
  const gateways = await Promise.all(['gwA', 'gwB'].map((name) => ServeProcess.start(name, config(name))));
  t.teardown(async () => {
    if (!t.passing()) for (const g of gateways) t.comment(`${g.name} stderr:\n${g.log.slice(-3000)}`);
    await Promise.all(gateways.map((g) => g.kill()));
    await dropKeys(redis, prefix);
  });
  const [a, b] = gateways.map((g) => new URL(g.url('mm7')).origin) as [string, string];
  return { a, b, gateways: gateways as [ServeProcess, ServeProcess], sink };
}

function submit(base: string, key: string, extra: Array<[string, string]> = []): Promise<RestCallAnswer> {
  const f = new FormData();
  f.append('to', DST.shortCode);
  f.append('text', `payload-${key.length}`);
  for (const [k, v] of extra) f.append(k, v);
  return restCall(base, 'POST', '/v1/messages', { auth: AUTH, body: f, headers: { 'idempotency-key': key } });
}

/** The account's messages as the API lists them (every page). */
async function listed(base: string): Promise<string[]> {
  const a = await restCall(base, 'GET', '/v1/messages?limit=100', { auth: AUTH });
  return (a.body.messages as Array<{ messageId: string }>).map((m) => m.messageId);
}

t.test('Idempotency-Key across two instances: one after the other, and both at once, is one message', async (t) => {
  const { a, b, sink } = await twoGateways(t);

  const first = await submit(a, 'order-1');
  t.equal(first.status, 202, `first: ${first.text}`);
  const second = await submit(b, 'order-1');
  t.equal(second.status, 202);
  t.equal(second.headers.get('idempotent-replayed'), 'true', 'the other instance replays it');
  t.equal(second.text, first.text, 'the same answer');
  const conflict = await submit(b, 'order-1', [['subject', 'another request']]);
  t.equal(conflict.status, 422);
  t.equal(conflict.body.error.refusal, 'idempotency-conflict');

  // Both at once, a few keys: each is one message; a loser is a replay, or 409 and then a replay.
  const keys = ['both-1', 'both-2', 'both-3', 'both-4', 'both-5'];
  const ids = new Map<string, string>();
  for (const key of keys) {
    const answers = await Promise.all([submit(a, key), submit(b, key)]);
    for (const [i, ans] of answers.entries()) {
      let r = ans;
      for (let tries = 0; r.status === 409 && tries < 20; tries++) {
        t.equal(r.headers.get('retry-after'), '1', `${key}: 409 says when`);
        await new Promise((ok) => setTimeout(ok, 200));
        r = await submit(i === 0 ? a : b, key);
      }
      t.equal(r.status, 202, `${key} on ${i === 0 ? 'A' : 'B'}: ${r.text}`);
      const id = r.body.messageId as string;
      if (ids.has(key)) t.equal(id, ids.get(key), `${key}: one message id`);
      ids.set(key, id);
    }
    const replayed = answers.filter((x) => x.headers.get('idempotent-replayed') === 'true' || x.status === 409).length;
    t.equal(replayed, 1, `${key}: one of the two was carried out`);
  }

  const stored = [first.body.messageId as string, ...ids.values()];
  t.strictSame((await listed(b)).sort(), [...stored].sort(), 'the account has exactly these messages');
  await until('every message delivered', () => new Set(sink.copies.map((c) => c.transactionId)).size >= stored.length || undefined, 30_000);
  t.strictSame(
    [...new Set(sink.copies.map((c) => c.transactionId.replace(/\.0$/, '')))].sort(),
    [...stored].sort(),
    'delivered: these, and no other',
  );
});

t.test('a message scheduled through A, A killed: B sends it within a second of sendAt', async (t) => {
  const { a, b, gateways, sink } = await twoGateways(t);
  const sendAt = Date.now() + SCHEDULE_AHEAD_MS;
  const sendAtText = new Date(sendAt).toISOString();
  const r = await submit(a, 'scheduled-1', [['sendAt', sendAtText]]);
  t.equal(r.status, 202, r.text);
  t.equal(r.body.status, 'scheduled');
  t.equal(r.body.sendAt, sendAtText);
  const id = r.body.messageId as string;
  await gateways[0].kill('SIGKILL');
  const onB = await restCall(b, 'GET', '/v1/messages?status=scheduled', { auth: AUTH });
  t.strictSame(
    (onB.body.messages as Array<{ messageId: string }>).map((m) => m.messageId),
    [id],
    'listed as scheduled by the survivor',
  );
  t.ok(Date.now() < sendAt, 'A died before sendAt');
  const copy = await until('the scheduled message delivered', () => sink.copies.find((c) => c.transactionId.startsWith(id)), 20_000);
  const late = copy.at - sendAt;
  t.equal(copy.relay, 'gwB', 'sent by B');
  t.ok(late >= 0, `not before sendAt (${late} ms)`);
  t.ok(late <= WITHIN_MS, `within ${WITHIN_MS} ms of sendAt (${late} ms)`);
  const view = await until(
    'completed',
    async () => {
      const v = await restCall(b, 'GET', `/v1/messages/${encodeURIComponent(id)}`, { auth: AUTH });
      return v.body.status === 'completed' ? v : undefined;
    },
    10_000,
  );
  t.equal(view.body.recipients[0].state, 'delivered');
});
