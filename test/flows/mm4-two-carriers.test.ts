// Issue 22's acceptance, "Two carriers on loopback" and "No loss": two `mmsc serve` processes, each one
// mobile network's MMSC with its own config, ports, Redis prefix, MMS domain, number range and SMSC
// simulator (helpers/carrier.ts), each the other's MM4 peer (3GPP TS 23.140 §8.4) over plain SMTP on
// loopback. A VASP of carrier A reaches a handset of carrier B, a handset of B reaches one of A, with the
// content intact; then B is SIGKILLed twice during a burst of forwards (once mid-DATA, once after it stored a
// message but before A heard the 250) and restarted on the same config and Redis prefix: A retries, and
// every message A accepted from its VASP is retrieved by B's handsets, none twice (B recognises the repeated
// X-Mms-Message-ID). Delivery and read reports go back between the carriers over MM4.
import t, { type Test } from 'tap';
import type { MmsPdu, RetrieveConf, SendReq } from '../../protocols/mms/index.js';
import { Carrier, planCarrier } from '../helpers/carrier.js';
import { jpegOf, pngOf } from '../helpers/media.js';
import type { Handset } from '../helpers/handset.js';
import { prng } from '../helpers/prng.js';
import type { Smsc } from '../helpers/smsc.js';
import { SmtpRelay } from '../helpers/smtp-relay.js';
import { until } from '../helpers/until.js';

// Four process starts (and two restarts), a 30-message burst and the reports' waits: more than the
// suite's default per-file timeout when the machine is loaded.
t.setTimeout(300_000);

const A_DOMAIN = 'mms.mnc001.mcc001.gprs';
const B_DOMAIN = 'mms.mnc002.mcc001.gprs';
/** Generous: two gateways, two SMSC simulators and Redis on two shared cores. */
const SLOW = 60_000;
/** How long a report between the carriers may take (two queues, two SMTP hops, a push). */
const REPORT_WAIT = SLOW;

const TEXT = 'See you at the gate ☀';
/** A real JPEG (content is checked against its type at every intake: issue 25) of 40 KB. */
const IMAGE = jpegOf(40_000);
const SMIL = Buffer.from('<smil><body><par><img src="pic.jpg"/><text src="t.txt"/></par></body></smil>');

function pushed<T extends MmsPdu['messageType']>(h: Handset, smsc: Pick<Smsc, 'submits'>, type: T): Extract<MmsPdu, { messageType: T }>[] {
  return h.pushes(smsc).filter((p): p is Extract<MmsPdu, { messageType: T }> => p.messageType === type);
}

/** The pushes after the SMSC simulator's first `mark` submits (to tell what came after a given moment). */
function pushedAfter<T extends MmsPdu['messageType']>(h: Handset, smsc: Smsc, type: T, mark: number) {
  return pushed(h, { submits: smsc.submits.filter((s) => s.n > mark) }, type);
}

function firstPushed<T extends MmsPdu['messageType']>(h: Handset, smsc: Smsc, type: T, ms = SLOW) {
  return until(`${type} pushed to ${h.msisdn}`, () => pushed(h, smsc, type)[0], ms);
}

function sendReq(to: string, extra: Partial<SendReq> = {}): SendReq {
  return {
    messageType: 'm-send-req',
    transactionId: `tx-${to}`,
    mmsVersion: '1.2',
    from: { insertAddress: true },
    to: [`${to}/TYPE=PLMN`],
    subject: 'Over the border',
    contentType: { mediaType: 'application/vnd.wap.multipart.related', params: { type: 'application/smil', start: '<smil>' } },
    parts: [
      { contentType: { mediaType: 'application/smil' }, contentId: '<smil>', data: SMIL },
      { contentType: { mediaType: 'image/jpeg' }, contentLocation: 'pic.jpg', data: IMAGE },
      { contentType: { mediaType: 'text/plain', params: { charset: 'utf-8' } }, contentLocation: 't.txt', data: Buffer.from(TEXT) },
    ],
    ...extra,
  };
}

/** The two carriers, each the other's MM4 peer; B's inbound MM4 reached through `relay` when given. */
async function twoCarriers(t: Test, o: { relay?: boolean; a?: Partial<Parameters<typeof Carrier.start>[2]> } = {}) {
  const pa = await planCarrier('carrier-a', A_DOMAIN, '+1555');
  const pb = await planCarrier('carrier-b', B_DOMAIN, '+1666');
  let relay: SmtpRelay | undefined;
  if (o.relay) {
    relay = await SmtpRelay.start(pb.mm4Port);
    t.teardown(() => relay?.close());
  }
  const [a, b] = await Promise.all([
    Carrier.start(t, pa, { ...o.a, peer: { plan: pb, ...(relay ? { port: relay.port } : {}) } }),
    Carrier.start(t, pb, { peer: { plan: pa } }),
  ]);
  return { a, b, relay };
}

t.test('two carriers on loopback: VASP of A -> handset of B, handset of B -> handset of A, reports back', async (t) => {
  const { a, b } = await twoCarriers(t);
  const bob = b.handset('+16660000002');
  const alice = a.handset('+15550000001');
  let fromVasp: string | undefined;
  let fromBob: string | undefined;
  let atAlice: RetrieveConf | undefined;
  /** When B's handset acknowledged the VASP's message (Date.now()). */
  let bobAckedAt = Number.POSITIVE_INFINITY;
  /** How many submits B's SMSC simulator had when A's handset acknowledged B's message. */
  let beforeAliceAcked = Number.POSITIVE_INFINITY;

  await t.test('a VASP of A submits over MM7 to a subscriber of B: B pushes, the handset retrieves and acknowledges', async (t) => {
    fromVasp = await a.submit(bob.msisdn, {
      subject: 'Your ticket',
      deliveryReport: true,
      parts: [
        { type: 'text/plain; charset=utf-8', name: 'ticket.txt', body: Buffer.from(TEXT) },
        { type: 'image/jpeg', name: 'code.jpg', body: IMAGE },
      ],
    });
    const n = await firstPushed(bob, b.smsc, 'm-notification-ind');
    const r = await bob.retrieve(n.contentLocation);
    t.equal(r.status, 200);
    const conf = r.pdu as RetrieveConf;
    t.equal(conf.messageType, 'm-retrieve-conf');
    t.equal(conf.subject, 'Your ticket', 'the subject');
    t.match(conf.from, /^7070\b/, "from the VASP's short code");
    // The VASP sent no SMIL: B's handset gets one generated for the parts (issue 25), the parts themselves intact.
    const content = conf.parts?.filter((p) => p.contentType.mediaType !== 'application/smil');
    t.same(
      content?.map((p) => p.contentType.mediaType),
      ['text/plain', 'image/jpeg'],
      'the parts in order',
    );
    t.match(
      conf.parts?.find((p) => p.contentType.mediaType === 'application/smil')?.data.toString('utf8'),
      /code\.jpg/,
      'a SMIL naming them',
    );
    t.equal(
      n.messageSize,
      conf.parts?.reduce((sum, p) => sum + p.data.length, 0),
      'Message-Size at B: the content the handset retrieves',
    );
    t.equal(content?.[0]?.data.toString('utf8'), TEXT, 'the text, UTF-8 intact');
    t.ok(content?.[1]?.data.equals(IMAGE), 'the image bytes intact');
    bobAckedAt = Date.now();
    const ack = await bob.post({ messageType: 'm-acknowledge-ind', mmsVersion: '1.2', transactionId: conf.transactionId! });
    t.equal(ack.status, 204, 'acknowledged');
    t.same(await b.store.queue.states(conf.messageId!), ['delivered'], "delivered at B's end");
    t.same(
      await until('A counts its forward delivered', async () => {
        const s = await a.store.queue.states(fromVasp!);
        return s?.[0] === 'delivered' ? s : undefined;
      }),
      ['delivered'],
      "A's copy for B: delivered (B accepted the MM4_forward.REQ)",
    );
  });

  await t.test("a handset of B sends to a handset of A: m-send-req at B's MM1, pushed and retrieved at A", async (t) => {
    const sent = await bob.post(sendReq(alice.msisdn, { deliveryReport: 'Yes', readReport: 'Yes' }));
    t.equal(sent.status, 200);
    t.match(sent.pdu, { messageType: 'm-send-conf', responseStatus: 'Ok' }, "accepted at B's MM1");
    fromBob = (sent.pdu as { messageId?: string }).messageId;
    const n = await firstPushed(alice, a.smsc, 'm-notification-ind');
    const r = await alice.retrieve(n.contentLocation);
    t.equal(r.status, 200);
    const conf = r.pdu as RetrieveConf;
    atAlice = conf;
    t.equal(conf.from, `${bob.msisdn}/TYPE=PLMN`, 'from the subscriber of B');
    t.equal(conf.subject, 'Over the border');
    t.same(
      conf.parts?.map((p) => p.contentType.mediaType),
      ['application/smil', 'image/jpeg', 'text/plain'],
    );
    t.ok(conf.parts?.[0]?.data.equals(SMIL), 'the SMIL intact');
    t.ok(conf.parts?.[1]?.data.equals(IMAGE), 'the image bytes intact');
    t.equal(conf.parts?.[2]?.data.toString('utf8'), TEXT, 'the text intact');
    t.equal(conf.readReport, 'Yes', 'the read reply B asked for is announced');
    beforeAliceAcked = b.smsc.submits.length;
    const ack = await alice.post({ messageType: 'm-acknowledge-ind', mmsVersion: '1.2', transactionId: conf.transactionId! });
    t.equal(ack.status, 204, 'acknowledged');
    await until('B counts its forward delivered', async () => (await b.store.queue.states(fromBob!))?.[0] === 'delivered');
    t.pass("B's copy for A: delivered");
  });

  await t.test("A's VASP gets DeliveryReportReq Retrieved about B's subscriber", async (t) => {
    const reports = () => a.vaspRequests.filter((x) => x.kind === 'DeliveryReportReq' && x.messageId === fromVasp);
    // B's SMTP 250 for the forward says B has the message, not that the handset retrieved it (TS 23.140
    // §8.4.2: MM4_delivery_report.REQ carries that): no report may come before the acknowledgement.
    const r = await until('the DeliveryReportReq at A', () => reports().find((x) => x.at >= bobAckedAt), REPORT_WAIT);
    t.equal(r.status, 'Retrieved');
    t.equal(r.recipient, bob.msisdn, 'about the subscriber of B');
    t.same(
      reports().filter((x) => x.at < bobAckedAt),
      [],
      "none before B's handset acknowledged",
    );
  });

  await t.test("B's handset gets m-delivery-ind Retrieved about A's subscriber", async (t) => {
    const d = await until('the m-delivery-ind at B', () => pushedAfter(bob, b.smsc, 'm-delivery-ind', beforeAliceAcked)[0], REPORT_WAIT);
    t.equal(d.messageId, fromBob);
    t.equal(d.status, 'Retrieved');
    t.same(d.to, [`${alice.msisdn}/TYPE=PLMN`], 'about the subscriber of A');
    const early = pushed(bob, { submits: b.smsc.submits.filter((s) => s.n <= beforeAliceAcked) }, 'm-delivery-ind');
    t.same(early, [], "none before A's handset acknowledged (A's SMTP 250 is no retrieval)");
  });

  await t.test('read reply A -> B: A reads the message from B, B gets m-read-orig-ind', async (t) => {
    const rr = await alice.post({
      messageType: 'm-read-rec-ind',
      mmsVersion: '1.2',
      messageId: atAlice!.messageId!,
      to: [`${bob.msisdn}/TYPE=PLMN`],
      from: { insertAddress: true },
      readStatus: 'Read',
    });
    t.equal(rr.status, 204, "accepted at A's MM1");
    const ro = await firstPushed(bob, b.smsc, 'm-read-orig-ind', REPORT_WAIT);
    t.equal(ro.messageId, fromBob, 'about the message B sent');
    t.equal(ro.readStatus, 'Read');
    t.equal(ro.from, `${alice.msisdn}/TYPE=PLMN`, 'from the reader at A');
  });

  await t.test('read reply B -> A: B reads a message from A, A gets m-read-orig-ind', async (t) => {
    const sent = await alice.post(sendReq(bob.msisdn, { transactionId: 'tx-rr', subject: 'Read me', readReport: 'Yes' }));
    t.match(sent.pdu, { messageType: 'm-send-conf', responseStatus: 'Ok' });
    const id = (sent.pdu as { messageId?: string }).messageId;
    const n = await until('the second notification at B', () => pushed(bob, b.smsc, 'm-notification-ind')[1], SLOW);
    const conf = (await bob.retrieve(n.contentLocation)).pdu as RetrieveConf;
    t.equal(conf.subject, 'Read me');
    t.equal(conf.readReport, 'Yes');
    await bob.post({ messageType: 'm-acknowledge-ind', mmsVersion: '1.2', transactionId: conf.transactionId! });
    const rr = await bob.post({
      messageType: 'm-read-rec-ind',
      mmsVersion: '1.2',
      messageId: conf.messageId!,
      to: [`${alice.msisdn}/TYPE=PLMN`],
      from: { insertAddress: true },
      readStatus: 'Read',
    });
    t.equal(rr.status, 204, "accepted at B's MM1");
    const ro = await firstPushed(alice, a.smsc, 'm-read-orig-ind', REPORT_WAIT);
    t.equal(ro.messageId, id, 'about the message A sent');
    t.equal(ro.readStatus, 'Read');
    t.equal(ro.from, `${bob.msisdn}/TYPE=PLMN`, 'from the reader at B');
  });
});

const N = 30;

/** Message i of the burst: to subscriber i of B, its marker in subject and text, a picture of its own. */
function burstMessage(i: number) {
  const rnd = prng(1000 + i);
  return {
    to: `+1666000${String(1000 + i)}`,
    subject: `burst ${i}`,
    text: `message ${i} of the burst`,
    // 60 KB: a few TCP reads per DATA at the receiver, so that a cut can fall in the middle of one.
    picture: pngOf(60_000, (b) => {
      for (let j = 0; j < b.length; j++) b[j] = Math.floor(rnd() * 256);
    }),
  };
}

t.test('no loss: B SIGKILLed mid-DATA and after a 250 A never got, during a burst of forwards; A retries, B delivers all', async (t) => {
  const { a, b, relay } = await twoCarriers(t, {
    relay: true,
    // A sends slowly enough that the burst is still going when the cuts come, over several sessions at once,
    // and retries often for as long as B may take to come back on a loaded machine. Its leases outlast a
    // forward whose reply is held back (B's are short: what B held when killed is handed out again soon).
    a: {
      queue: { retryBaseMs: 200, retryMaxMs: 1000, maxAttempts: 100, leaseMs: 30_000 },
      out: { rate: 8, burst: 2, maxConnections: 4 },
    },
  });
  const messages = Array.from({ length: N }, (_, i) => burstMessage(i));
  // Eight at a time: within the VASP's mm7 maxInFlight (20), which would answer the rest 4006.
  const ids: string[] = [];
  for (let i = 0; i < N; i += 8)
    ids.push(
      ...(await Promise.all(
        messages.slice(i, i + 8).map((m) =>
          a.submit(m.to, {
            subject: m.subject,
            parts: [
              { type: 'text/plain; charset=utf-8', name: 'm.txt', body: Buffer.from(m.text) },
              { type: 'image/png', name: 'p.png', body: m.picture },
            ],
          }),
        ),
      )),
    );
  t.equal(new Set(ids).size, N, `the VASP's burst: all ${N} accepted by A`);

  /** A's copies (one recipient each) by state. */
  const states = async () => {
    const count: Record<string, number> = {};
    for (const id of ids) {
      const s = (await a.store.queue.states(id))?.[0] ?? 'unknown';
      count[s] = (count[s] ?? 0) + 1;
    }
    return count;
  };
  const delivered = async (n: number) => ((await states()).delivered ?? 0) >= n;

  // 1. Mid-DATA: a message half in B's socket when B dies.
  await until('a few forwards accepted by B', () => delivered(4), SLOW);
  const mid = await withTimeout(
    relay!.cutMidData(() => b.kill()),
    SLOW,
    'a DATA in progress to cut',
  );
  t.ok(mid.relayed < mid.received, `B was SIGKILLed in the middle of a DATA (${mid.relayed} of ${mid.received}+ body bytes)`);
  const midCut = burstIndex(mid.head);
  t.ok(midCut !== undefined, `the cut one is message ${midCut} of the burst`);
  const beforeRestart = await states();
  t.ok((beforeRestart.delivered ?? 0) < N, `the burst was not over (${JSON.stringify(beforeRestart)})`);
  // 2. The first message the restarted B accepts (there is one: A must send the cut one again) loses its
  // 250 on the way back, and B dies: B stored it, A does not know and must send it again.
  const restarted = b.run();
  const lostCut = relay!.cutAfterAccept(async () => {
    await restarted;
    await b.kill();
  });
  await restarted;
  const lost = await withTimeout(lostCut, SLOW, 'a 250 of the restarted B to hold back');
  t.match(lost.reply, /^250 /, 'B accepted a message whose 250 A never got');
  const unheard = burstIndex(lost.head);
  t.ok(unheard !== undefined, `message ${unheard} of the burst`);
  await b.run();

  const final = await until(
    `all ${N} of A's forwards delivered`,
    async () => {
      const s = await states();
      if ((s.failed ?? 0) + (s.rejected ?? 0) > 0) throw new Error(`A gave up on some: ${JSON.stringify(s)}`);
      return s.delivered === N ? s : undefined;
    },
    3 * SLOW,
  );
  t.same(final, { delivered: N }, 'A: every copy delivered to B in the end');
  // The two cut forwards ended in failures A saw (a connection lost mid-DATA; one lost before the 250) and
  // were sent again: a retry in their histories (a throttle's deferral is no retry).
  for (const [what, i] of [
    ['mid-DATA', midCut],
    ['250 lost', unheard],
  ] as const) {
    const history = await a.store.queue.history(ids[i!]!, 0);
    const retry = history.filter((e) => e.state === 'retrying').at(-1);
    t.ok(retry, `the ${what} one (${i}) was sent again by A (${retry?.detail})`);
  }

  // B's handsets: every notification retrieved and acknowledged, until B holds no job any more.
  const handsets = messages.map((m) => b.handset(m.to));
  const copies = new Map<number, number>();
  const damaged: number[] = [];
  const done = new Set<string>();
  await until(
    "every message at B's handsets, and B's queue empty",
    async () => {
      for (const [i, h] of handsets.entries()) {
        for (const n of pushed(h, b.smsc, 'm-notification-ind')) {
          const key = `${h.msisdn} ${n.transactionId}`;
          if (done.has(key)) continue;
          const r = await h.retrieve(n.contentLocation);
          if (r.status !== 200 || r.pdu?.messageType !== 'm-retrieve-conf') continue;
          const conf = r.pdu;
          const m = messages[i]!;
          // The parts as sent; the SMIL B generates for a message without one (issue 25) aside.
          const content = conf.parts?.filter((p) => p.contentType.mediaType !== 'application/smil');
          const intact =
            conf.subject === m.subject && content?.[0]?.data.toString('utf8') === m.text && content?.[1]?.data.equals(m.picture);
          if (!intact) damaged.push(i);
          copies.set(i, (copies.get(i) ?? 0) + 1);
          await h.post({ messageType: 'm-acknowledge-ind', mmsVersion: '1.2', transactionId: conf.transactionId! });
          done.add(key);
        }
      }
      if (copies.size < N) return false;
      const s = await b.store.queue.stats();
      return s.waiting === 0 && s.leased === 0;
    },
    3 * SLOW,
  ).catch((e: Error) => {
    const missing = messages.map((_, i) => i).filter((i) => !copies.has(i));
    throw new Error(`${e.message}; never retrieved: ${missing.join(', ') || 'none'}`);
  });
  t.same(
    messages.map((_, i) => i).filter((i) => !copies.has(i)),
    [],
    `no loss: every one of the ${N} messages A accepted was retrieved by its handset at B`,
  );
  t.same(damaged, [], 'each with its subject, text and picture intact');

  await t.test('none twice: a message B accepted once is not delivered again when A resends it', async (t) => {
    const twice = [...copies].filter(([, n]) => n > 1).map(([i, n]) => `${messages[i]!.to}: ${n}`);
    t.same(twice, [], 'no handset got a message twice');
  });
});

/** Which message of the burst an MM4_forward.REQ is, by its Subject (burstMessage's "burst <i>"). */
function burstIndex(head: string): number | undefined {
  const i = /^Subject: burst (\d+)\r?$/im.exec(head)?.[1];
  return i === undefined ? undefined : Number(i);
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
