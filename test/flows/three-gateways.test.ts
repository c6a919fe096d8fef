// Issue 23's acceptance, scale-out: three `mmsc serve` processes with one config on one Redis key prefix
// (queue.prefix), under MM7 load from one VASP spread round robin over the three, one of them SIGKILLed a
// third of the way in while the other two keep taking the load. Checked:
// - every accepted message (SubmitRsp 1000) reaches a final state (delivered: the receiving VASP answers 1000
//   to everything), and none is lost: each reaches the receiving VASP at least once;
// - a copy delivered twice carries the same identifiers as the first: TransactionID (the gateway writes
//   <Message-ID>.<recipient index>, mm7/outbound.ts transactionIdFor), sender, recipients, subject, TimeStamp
//   and content; and the Message-ID in it is the one the submitting VASP was answered with;
// - the VASP's submission rate (mm7.vasps[].rate, a token bucket in Redis shared by the instances:
//   vasp/accounts.ts vaspIntake, store/redis/lua/throttle-acquire-2.lua) holds across the three, within 5 %.
//
// Delivery: messages go to another VASP's short code, so each is a DeliverReq to an MM7 endpoint of the test
// (helpers/mm7-sink.ts): "delivered" is observable end to end, and cheaply. The sink holds each answer for
// SINK_DELAY_MS, and the gateway is killed while it has a DeliverReq in progress (each instance has its own
// mm7.relayServerId, the only difference between the configs, so that the sink knows who sent what): that
// job's lease runs out (queue.leaseMs) and another instance delivers it again: a duplicate by construction.
//
// The VASP (the load generator) behaves like a careful one: a request whose connection fails (the killed
// instance, or its listener gone) is sent again, with the same TransactionID and content, to the next
// instance; the gateway recognises the retry (mm7.submitRetryWindowMs) and answers with the first Message-ID
// when the dead instance had stored it; a 3001 (the first copy's content was being received when its
// instance died: README, "Retries and duplicates") is retried the same way, for up to RETRY_FOR_MS (that
// partial content expires after 2 x mm7.requestTimeoutMs + 60 s). A 4006 (over the rate) is final for that
// request: the next one is a new message. So every stored message is one the VASP holds a Message-ID for (checked: the sink sees no
// other).
//
// Measuring the rate. The VASP offers OFFERED requests/s (2.5 x RATE) on a fixed schedule whatever the
// answers, so that some instance always has a request waiting for the bucket. The bucket (GCRA, virtual
// scheduling) starts full on the fresh key prefix: the first BURST requests at once, then one per 1/RATE s.
// Over [t0, T] from the first grant t0, grants <= BURST + RATE x (T - t0) + 1, whoever asks; they equal it
// while requests keep coming, less the tokens no one was there to take: a stall longer than BURST/RATE +
// THROTTLE_HORIZON_MS (1.25 s here) in which no instance asked (a starved machine), and the tokens the
// killed instance was granted for requests it never stored. The time of an acceptance is the message's
// receivedAt in the store (the instant intake stored it, after the wait the throttle scheduled, on the one
// clock of this machine): it counts the killed instance's acceptances too, including those whose SubmitRsp
// was lost (their Message-IDs are learned on retry). Three figures, each within 5 % of RATE (the issue's
// tolerance):
// - the whole run, the kill inside (its lost tokens charged to the rate): (accepted - BURST) / (last
//   acceptance - first), the bound above, which cannot read high by more than a token;
// - three instances, before the kill, and two, after it (KILL_GAP around the kill left out): the slope of the
//   acceptances counted against their times (least squares) within the window. A count at a window's edge
//   would not do on a loaded machine: an acceptance is stored up to a few hundred ms after its token's
//   time when its process waits for a CPU, and 0.3 s is 5 % of a 6 s window; that jitter moves points on
//   either side of the line, not its slope. The windows start two seconds after the first grant (the
//   burst, taken while the first requests arrive, is another slope: on a starved machine it can take that
//   long) and are ~7.5 s and ~13 s long.
import { pino } from 'pino';
import t from 'tap';
import { ConfigSchema } from '../../src/ops/config.js';
import { createStore } from '../../src/store/index.js';
import { httpRequest } from '../helpers/handset.js';
import { mm7SubmitReq } from '../helpers/mm7-request.js';
import { type DeliveredCopy, mm7Sink } from '../helpers/mm7-sink.js';
import { dropKeys, redisUrl, testPrefix } from '../helpers/redis.js';
import { ServeProcess } from '../helpers/serve-process.js';
import { until } from '../helpers/until.js';

// Three process starts, a warm-up, 24 s of load, the drain: ~50 s on a loaded 2-core machine; room to spare.
t.setTimeout(240_000);

/** The submitting VASP's rate (submissions/s, all instances) and burst. */
const RATE = 10;
const BURST = 10;
/** Requests per second the VASP offers, spread round robin over the three instances. */
const OFFERED = 25;
const LOAD_MS = 24_000;
/**
 * When the victim is killed: at KILL_AT_MS, the first instance seen with a DeliverReq in progress (waited for
 * up to KILL_WAIT_MS more). Not a fixed one: the throttle hands deliveries to whichever instance asks first,
 * and on a loaded host one instance has had none in progress for 6 s (CI runs).
 */
const KILL_AT_MS = 10_000;
const KILL_WAIT_MS = 3_000;
/** Left out of the rate's steady windows: the kill's neighbourhood (tokens granted to the victim, lost). */
const KILL_GAP = { before: 500, after: 1_000 };
const TOLERANCE = 0.05;
/** How long the receiving VASP holds each answer. */
const SINK_DELAY_MS = 250;
/** queue.leaseMs: how soon a job held by the dead instance is handed out again. */
const LEASE_MS = 5_000;
/** How long a request is retried after connection failures and 3001s (see the header). */
const RETRY_FOR_MS = 150_000;
/** Bound on the wait for every accepted message to reach its final state after the load. */
const DRAIN_MS = 60_000;

/** The VASP under load. */
const SRC = { id: 'src', username: 'src', password: 'pw-src', shortCode: '7101' };
/** Another VASP, unthrottled, that warms the instances up before the load (see WARMUP). */
const WARM = { id: 'warm', username: 'warm', password: 'pw-warm', shortCode: '7103' };
/** The receiving VASP (helpers/mm7-sink.ts). */
const DST = { id: 'dst', shortCode: '7102' };
type Vasp = typeof SRC;
const auth = (v: Vasp) => `Basic ${Buffer.from(`${v.username}:${v.password}`).toString('base64')}`;
/**
 * Requests per instance of the warm-up: a cold instance (its first requests compile the code paths, load
 * the Redis scripts, open connections) is slow to answer, and a bucket nobody reaches in time loses tokens.
 */
const WARMUP = 10;

interface Accepted {
  n: number;
  messageId: string;
  /** Sent again after a connection failure. */
  retried: boolean;
}

/**
 * Acceptances per second within [from, to]: the least-squares slope of the running count of `times` (sorted,
 * ms) against time, over the points in the window.
 */
function slope(times: readonly number[], from: number, to: number): number {
  const pts = times.flatMap((x, i) => (x >= from && x <= to ? [[x, i] as const] : []));
  const mx = pts.reduce((s, [x]) => s + x, 0) / pts.length;
  const my = pts.reduce((s, [, y]) => s + y, 0) / pts.length;
  const cov = pts.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const variance = pts.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return (cov / variance) * 1000;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('three gateways on one Redis under MM7 load, one SIGKILLed mid-run', async (t) => {
  const redis = await redisUrl(t);
  const prefix = testPrefix();
  const sink = await mm7Sink(t, SINK_DELAY_MS);
  const config = (relayServerId: string) => ({
    redis: { url: redis },
    queue: { prefix, leaseMs: LEASE_MS, retryBaseMs: 200, retryMaxMs: 1_000, maxAttempts: 30 },
    ops: { port: 0 },
    mm1: { enabled: false },
    mm7: {
      port: 0,
      relayServerId,
      vasps: [
        // maxInFlight well above what RATE x (wait + processing) holds: the rate, not the cap, is the limit.
        {
          id: SRC.id,
          username: SRC.username,
          password: SRC.password,
          senders: [SRC.shortCode],
          rate: RATE,
          burst: BURST,
          maxInFlight: 500,
        },
        {
          id: WARM.id,
          username: WARM.username,
          password: WARM.password,
          senders: [WARM.shortCode],
          rate: 1_000,
          burst: 1_000,
          maxInFlight: 500,
        },
        {
          id: DST.id,
          username: DST.id,
          password: `pw-${DST.id}`,
          senders: [DST.shortCode],
          url: sink.url,
          deliveryRate: 1_000,
          deliveryBurst: 100,
          deliveryMaxInFlight: 100,
        },
      ],
    },
  });
  const store = createStore(ConfigSchema.parse({ redis: { url: redis }, queue: { prefix } }), pino({ level: 'silent' }));
  await store.ready();
  const gateways = await Promise.all(['gw0', 'gw1', 'gw2'].map((name) => ServeProcess.start(name, config(name))));
  t.teardown(async () => {
    if (!t.passing()) for (const g of gateways) t.comment(`${g.name} stderr:\n${g.log.slice(-3000)}`);
    await Promise.all(gateways.map((g) => g.kill()));
    await store.close();
    await dropKeys(redis, prefix);
  });
  const urls = gateways.map((g) => g.url('mm7'));

  const accepted: Accepted[] = [];
  const counts = { sent: 0, throttled: 0, connectionFailures: 0, transient: 0, undecided: 0 };
  /** A few answers of each kind other than 1000, for the diagnostics. */
  const samples = new Map<string, string>();

  /**
   * One VASP request: sent to instance n % 3, and to the next one after a connection failure or a 3001 (for
   * up to RETRY_FOR_MS); its Message-ID, once accepted, into `into` (the counts are the load's, SRC's).
   */
  async function submit(n: number, from: Vasp = SRC, into = accepted): Promise<void> {
    const count = (k: keyof typeof counts) => from === SRC && counts[k]++;
    const req = mm7SubmitReq({
      vasp: from.id,
      shortCode: from.shortCode,
      to: [DST.shortCode],
      toKind: 'ShortCode',
      subject: `load ${n}`,
      transactionId: `load-${n}`,
      parts: [{ type: 'text/plain; charset=utf-8', name: 'p.txt', body: Buffer.from(`payload-${n}`) }],
    });
    let retried = false;
    const giveUp = Date.now() + RETRY_FOR_MS;
    for (let g = n % urls.length; Date.now() < giveUp; g = (g + 1) % urls.length) {
      try {
        const a = await httpRequest(urls[g]!, {
          method: 'POST',
          body: req.body,
          headers: { 'content-type': req.contentType, authorization: auth(from) },
        });
        const xml = a.body.toString('utf8');
        const code = Number(/<(?:\w+:)?StatusCode>(\d+)</.exec(xml)?.[1]);
        const id = /<(?:\w+:)?MessageID>([^<]+)</.exec(xml)?.[1];
        if (code === 1000 && id) {
          into.push({ n, messageId: id, retried });
          return;
        }
        if (code !== 1000) samples.set(`${code}`, /<(?:\w+:)?StatusText>([^<]*)</.exec(xml)?.[1] ?? xml.slice(0, 300));
        if (code === 4006) {
          count('throttled');
          return;
        }
        count('transient');
      } catch (err) {
        samples.set((err as NodeJS.ErrnoException).code ?? 'error', (err as Error).message);
        count('connectionFailures');
      }
      retried = true;
      await sleep(100);
    }
    count('undecided');
  }

  // The warm-up, then the load on warm instances with a full bucket.
  const warm: Accepted[] = [];
  await Promise.all(Array.from({ length: WARMUP * urls.length }, (_, n) => submit(n, WARM, warm)));
  t.equal(warm.length, WARMUP * urls.length, 'the warm-up requests are accepted');
  await until('the warm-up delivered', () => sink.copies.filter((c) => c.sender.includes(WARM.shortCode)).length >= warm.length, DRAIN_MS);

  // The load: OFFERED requests/s on a fixed schedule (open loop), the kill at KILL_AT_MS.
  const inFlight = new Set<Promise<void>>();
  const start = Date.now();
  let killedAt = 0;
  let heldAtKill: DeliveredCopy[] = [];
  let victim = gateways[0]!;
  const kill = (async () => {
    await sleep(KILL_AT_MS);
    // An instance with a DeliverReq in progress at the sink, so that the kill leaves a delivery half done.
    const busy = await until('a DeliverReq in progress', () => gateways.find((g) => sink.pending(g.name).length > 0), KILL_WAIT_MS).catch(
      () => undefined,
    );
    if (busy) victim = busy;
    heldAtKill = sink.pending(victim.name);
    killedAt = Date.now();
    await victim.kill('SIGKILL');
  })();
  const end = start + LOAD_MS;
  for (let n = 0; ; n++) {
    const due = start + (n * 1000) / OFFERED;
    if (due >= end) break;
    if (due > Date.now()) await sleep(due - Date.now());
    counts.sent++;
    const p = submit(n).finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  const loadEnd = Date.now();
  await kill;
  await Promise.all([...inFlight]);

  t.equal(counts.undecided, 0, 'every request got an answer (accepted or throttled) from a live instance');
  t.ok(killedAt > 0, 'the victim was killed');
  t.comment(
    `sent ${counts.sent}, accepted ${accepted.length} (${accepted.filter((a) => a.retried).length} after a connection failure), throttled ${counts.throttled}, connection failures ${counts.connectionFailures}, other transient answers ${counts.transient}`,
  );
  t.comment(`answers other than 1000: ${JSON.stringify(Object.fromEntries(samples))}`);
  t.ok(heldAtKill.length > 0, 'the victim had a DeliverReq in progress when it was killed');

  // Every accepted message reaches a final state: delivered (the sink answers 1000 to everything).
  const ids = accepted.map((a) => a.messageId);
  t.equal(new Set(ids).size, ids.length, 'one Message-ID per accepted request');
  let open = [...ids];
  const drainStart = Date.now();
  await until(
    'every accepted message delivered',
    async () => {
      const states = await Promise.all(open.map((id) => store.queue.states(id)));
      open = open.filter((_, i) => !(states[i]?.length === 1 && states[i]![0] === 'delivered'));
      return open.length === 0;
    },
    DRAIN_MS,
  ).catch(() => undefined);
  t.same(open, [], `every accepted message is delivered (${Date.now() - drainStart} ms after the load)`);

  // None lost, no stranger, and a copy delivered twice is the same message.
  const byTx = new Map<string, DeliveredCopy[]>();
  for (const c of sink.copies.filter((x) => !x.sender.includes(WARM.shortCode)))
    byTx.set(c.transactionId, [...(byTx.get(c.transactionId) ?? []), c]);
  const lost = accepted.filter((a) => !byTx.has(`${a.messageId}.0`)).map((a) => a.messageId);
  t.same(lost, [], 'every accepted message reached the receiving VASP');
  const known = new Set(ids.map((id) => `${id}.0`));
  t.same(
    [...byTx.keys()].filter((tx) => !known.has(tx)),
    [],
    'the receiving VASP got no message the submitting VASP was not given a Message-ID for',
  );
  const wrong: string[] = [];
  for (const a of accepted) {
    const copies = byTx.get(`${a.messageId}.0`) ?? [];
    const want = { subject: `load ${a.n}`, payload: `payload-${a.n}`, sender: `<ShortCode>${SRC.shortCode}</ShortCode>` };
    for (const c of copies) {
      const first = copies[0]!;
      if (c.subject !== want.subject || c.payload !== want.payload || !c.sender.includes(want.sender))
        wrong.push(`${a.messageId}: ${JSON.stringify(c)} is not request ${a.n}`);
      if (c.sender !== first.sender || c.recipients !== first.recipients || c.timeStamp !== first.timeStamp)
        wrong.push(`${a.messageId}: a copy differs from the first: ${JSON.stringify(c)} vs ${JSON.stringify(first)}`);
    }
  }
  t.same(wrong, [], "each copy is its request's message, with the first copy's identifiers");
  const twice = [...byTx.values()].filter((c) => c.length > 1);
  t.comment(
    `${twice.length} message(s) delivered more than once; e.g. ${twice
      .slice(0, 8)
      .map((c) => c.map((x) => `${x.relay}@${((x.at - start) / 1000).toFixed(2)}`).join(','))
      .join(' ')}`,
  );
  for (const h of heldAtKill) {
    const again = (byTx.get(h.transactionId) ?? []).filter((c) => c.at > killedAt);
    t.ok(
      again.length > 0 && again.every((c) => c.relay !== victim.name),
      `${h.transactionId}, in progress at the kill, delivered again by a survivor`,
    );
  }

  // The rate, on the acceptance times in the store.
  const messages = await Promise.all(ids.map((id) => store.queue.message(id)));
  const times = messages.map((m) => m?.receivedAt ?? Number.NaN).sort((a, b) => a - b);
  t.equal(times.filter(Number.isNaN).length, 0, 'every accepted message is in the store');
  const t0 = times[0]!;
  const tLast = times[times.length - 1]!;
  const figures = [
    { name: 'whole run, the kill inside', rate: ((times.length - BURST) / (tLast - t0)) * 1000, from: t0, to: tLast },
    {
      name: 'three instances, before the kill',
      rate: slope(times, t0 + 2000, killedAt - KILL_GAP.before),
      from: t0 + 2000,
      to: killedAt - KILL_GAP.before,
    },
    {
      name: 'two instances, after the kill',
      rate: slope(times, killedAt + KILL_GAP.after, tLast),
      from: killedAt + KILL_GAP.after,
      to: tLast,
    },
  ];
  for (const f of figures) {
    t.ok(
      Math.abs(f.rate - RATE) <= RATE * TOLERANCE,
      `${f.name}: ${f.rate.toFixed(2)}/s over ${((f.to - f.from) / 1000).toFixed(2)} s, configured ${RATE}/s: ${(((f.rate - RATE) / RATE) * 100).toFixed(1)} %`,
    );
  }
  const perSecond: number[] = [];
  for (let s = t0; s < tLast; s += 1000) perSecond.push(times.filter((x) => x >= s && x < s + 1000).length);
  t.comment(
    `accepted per second: ${perSecond.join(' ')} (killed at ${((killedAt - t0) / 1000).toFixed(1)} s, load stopped at ${((loadEnd - t0) / 1000).toFixed(1)} s)`,
  );
});
