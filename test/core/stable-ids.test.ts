// Identifiers a receiver can drop a redelivered copy by (delivery is at-least-once): every attempt of one
// delivery carries the same MM7 TransactionID (DeliverReq, DeliveryReportReq, ReadReplyReq), the same REST
// callback eventId, and the same SMS references (concatenation reference, user_message_reference), whether
// the attempt before failed (the receiver answered 5xx), its worker's lease ran out after sending, or the
// report pump handed the same final event out twice (it crashed before acknowledging it). Everything runs
// over loopback with the embedded store and a test clock; the SMSC is the simulator.
import { passThroughAdapter } from '../helpers/adapter.js';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import type { CoreMessage } from '../../src/core/message.js';
import { ReportGenerator } from '../../src/core/reports.js';
import { ReportPump } from '../../src/core/report-pump.js';
import type { Delivery, DeliveryResult, Route, Router } from '../../src/core/router.js';
import { NotifyRoute } from '../../src/mm1/notify-route.js';
import { deliveryIndFor } from '../../src/mm1/pdus.js';
import { SmppPusher, type PushedPdu, type WapPusher } from '../../src/mm1/pusher.js';
import { Tokens } from '../../src/mm1/tokens.js';
import { CallbackRoute } from '../../src/mm7/callback-route.js';
import { VaspRoute, vaspPeer } from '../../src/mm7/vasp-route.js';
import { ConfigSchema, type VaspConfig } from '../../src/ops/config.js';
import { Metrics } from '../../src/ops/metrics.js';
import { SmppClient } from '../../src/smpp/client.js';
import type { SmppEdge } from '../../src/smpp/edge.js';
import { PushSender } from '../../src/smpp/push-sender.js';
import type { ReceiptJob } from '../../src/smpp/receipts.js';
import { TextSmsRoute } from '../../src/smpp/text-route.js';
import { createMemoryStore } from '../../src/store/memory/index.js';
import { OutboundGuard } from '../../src/transport/outbound-guard.js';
import type { LeasedJob, Queue } from '../../src/core/ports.js';
import { startSmsc, type SubmitRecord } from '../helpers/smsc.js';

const T0 = 1_700_000_000_000;
const LEASE_MS = 60_000;
const silent = pino({ level: 'silent' });

/** An HTTP endpoint on loopback: answers HTTP 500 to the first `fail` requests, then `ok(body)`; keeps each body. */
async function endpoint(t: Test, fail: number, ok: (body: string, res: ServerResponse) => void) {
  const bodies: string[] = [];
  let n = 0;
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      bodies.push(body);
      if (n++ < fail) res.writeHead(500).end('busy');
      else ok(body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, bodies };
}

/** A VASP's MM7 endpoint: 500 for the first `fail` requests, then the operation's response with 1000. */
function vaspEndpoint(t: Test, fail: number) {
  return endpoint(t, fail, (body, res) => {
    const rsp = /<(?:[\w-]+:)?(\w+)Req\b/.exec(body)![1]!;
    res
      .writeHead(200, { 'content-type': 'text/xml' })
      .end(
        `<?xml version="1.0"?><e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Header><TransactionID xmlns="${NS}">x</TransactionID></e:Header>` +
          `<e:Body><${rsp}Rsp xmlns="${NS}"><MM7Version>6.8.0</MM7Version><Status><StatusCode>1000</StatusCode></Status></${rsp}Rsp></e:Body></e:Envelope>`,
      );
  });
}
const NS = 'http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-6-MM7-1-4';

/** The operation and TransactionID of each MM7 request the VASP received (the bodies as sent, read by regex). */
function mm7Requests(bodies: string[]): { kind: string; tid: string }[] {
  return bodies.map((b) => ({
    kind: /<(?:[\w-]+:)?(\w+Req)\b/.exec(b)![1]!,
    tid: /<(?:[\w-]+:)?TransactionID\b[^>]*>([^<]*)</.exec(b)![1]!,
  }));
}

function vaspConfig(url: string): VaspConfig & { url: string } {
  return {
    id: 'shop',
    username: 'shop',
    password: 'pw-shop',
    senders: ['7050'],
    maxMessageBytes: 300 * 1024,
    rate: 1000,
    burst: 1000,
    maxInFlight: 100,
    version: 'REL-6-MM7-1-4',
    deliveryRate: 1000,
    deliveryBurst: 1000,
    deliveryMaxInFlight: 100,
    url,
  };
}

const mm7Config = ConfigSchema.parse({}).mm7;

function message(id: string, o: Partial<CoreMessage> = {}): CoreMessage {
  return {
    id,
    originator: { address: '+15550000001', type: 'plmn' },
    recipients: [{ address: '7050', type: 'shortcode', kind: 'to' }],
    subject: 'hello',
    contentType: 'text/plain',
    parts: [{ index: 0, contentType: 'text/plain', size: 5 }],
    expiresAt: T0 + 86_400_000,
    deliveryReport: false,
    readReport: false,
    priority: 'normal',
    messageClass: 'personal',
    origin: { iface: 'mm1', peer: 'mm1' },
    receivedAt: T0,
    ...o,
  };
}

function store() {
  const clock = { now: T0 };
  const s = createMemoryStore({ now: () => clock.now, leaseMs: LEASE_MS });
  return { clock, queue: s.queue, correlations: s.correlations };
}

/** What a worker hands the route for a leased job. */
function delivery(queue: Queue, job: LeasedJob): Delivery {
  return {
    message: job.message,
    recipientIndex: job.recipientIndex,
    attempt: job.attempt,
    content: async () => (await queue.content(job.messageId))!,
  };
}

/** Works the queue as the worker pool would (one job at a time) until nothing is due: a retry is due at once. */
async function drain(queue: Queue, route: Route): Promise<void> {
  for (let rounds = 0; rounds < 100; rounds++) {
    const [job] = await queue.take(1);
    if (!job) return;
    const r: DeliveryResult = await route.send(delivery(queue, job));
    if (r.status === 'retry') await queue.retry(job, r.error, 0);
    else await queue.ack(job, r.status === 'delivered' ? 'delivered' : 'rejected', r.status === 'rejected' ? r.detail : r.detail);
  }
  throw new Error('the queue did not drain');
}

t.test('DeliverReq: retried after a 5xx and after a lease that ran out, with the same TransactionID', async (t) => {
  const vasp = await vaspEndpoint(t, 1);
  const route = new VaspRoute(vaspConfig(vasp.url), { config: mm7Config, metrics: new Metrics(), log: silent });
  const { clock, queue } = store();
  // Two copies to the same VASP (two of its short codes): two deliveries, told apart.
  await queue.enqueue(
    message('m1', {
      recipients: [
        { address: '7050', type: 'shortcode', kind: 'to' },
        { address: '7051', type: 'shortcode', kind: 'to' },
      ],
    }),
    [Buffer.from('hello')],
    [vaspPeer('shop'), vaspPeer('shop')],
  );

  // Attempt 1 of copy 0: the VASP answers 500; the job is retried.
  let [job] = await queue.take(1);
  t.equal(job!.recipientIndex, 0);
  let r = await route.send(delivery(queue, job!));
  t.equal(r.status, 'retry', 'a 500 is retried');
  await queue.retry(job!, 'VASP 500', 0);
  // Attempt 2: the VASP takes it (1000), but the worker dies before it acknowledges: the lease runs out.
  [job] = await queue.take(1);
  t.equal(job!.attempt, 2);
  r = await route.send(delivery(queue, job!));
  t.equal(r.status, 'delivered');
  clock.now += LEASE_MS + 1;
  // Attempt 3, by another worker: the same request again.
  await drain(queue, route);

  const seen = mm7Requests(vasp.bodies);
  const first = seen.filter((s) => /7050/.test(vasp.bodies[seen.indexOf(s)]!.split('<Recipients')[1] ?? ''));
  t.equal(first.length, 3, 'copy 0 was sent three times');
  t.equal(new Set(first.map((s) => s.tid)).size, 1, 'with one TransactionID');
  const second = seen.filter((s) => !first.includes(s));
  t.equal(second.length, 1, 'copy 1 once');
  t.not(second[0]!.tid, first[0]!.tid, 'the other copy has a TransactionID of its own');
  t.ok(seen.every((s) => s.kind === 'DeliverReq'));
});

t.test('DeliveryReportReq and ReadReplyReq: one TransactionID over retries and a final event handed out twice', async (t) => {
  const vasp = await vaspEndpoint(t, 2);
  const route = new VaspRoute(vaspConfig(vasp.url), { config: mm7Config, metrics: new Metrics(), log: silent });
  const router: Router = { route: (m) => (m.report ? route : undefined) };
  const { clock, queue } = store();
  const reports = new ReportGenerator({ queue, router, log: silent, now: () => clock.now });
  // A message the VASP submitted asking for both reports, delivered to its handset.
  const original = message('m2', {
    originator: { address: '7050', type: 'shortcode' },
    recipients: [{ address: '+15550000002', type: 'plmn', kind: 'to' }],
    deliveryReport: true,
    readReport: true,
    origin: { iface: 'mm7', peer: 'shop' },
  });
  await queue.enqueue(original, [Buffer.from('hello')], ['handsets']);
  const [job] = await queue.take(1);
  await queue.ack(job!, 'delivered');

  // The report pump reads the final event and queues the report, then dies before acknowledging the event.
  const events = await queue.finalEvents(10);
  t.equal(events.length, 1);
  await reports.final(original, 0, 'delivered');
  // After the lease the event is handed out again: a new pump queues the report again.
  clock.now += LEASE_MS + 1;
  const pump = new ReportPump({ queue, reports, log: silent });
  t.equal(await pump.once(), 1, 'the event came back');
  // The handset's read report arrives twice (it retried m-read-rec-ind).
  await reports.read(original, 0, 'read');
  await reports.read(original, 0, 'read');

  await drain(queue, route);
  const seen = mm7Requests(vasp.bodies);
  const dr = seen.filter((s) => s.kind === 'DeliveryReportReq');
  const rr = seen.filter((s) => s.kind === 'ReadReplyReq');
  t.ok(dr.length >= 1 && rr.length >= 1, 'both reports reached the VASP');
  t.ok(dr.length + rr.length >= 4, 'after 500s (retries)');
  t.equal(new Set(dr.map((s) => s.tid)).size, 1, 'every DeliveryReportReq carries one TransactionID');
  t.equal(new Set(rr.map((s) => s.tid)).size, 1, 'every ReadReplyReq carries one TransactionID');
  t.not(dr[0]!.tid, rr[0]!.tid, 'two reports, two TransactionIDs');
});

t.test('REST callback: one eventId over a retried POST and a final event handed out twice', async (t) => {
  const receiver = await endpoint(t, 1, (_b, res) => res.writeHead(204).end());
  // The receiver is on loopback, which the outbound guard refuses unless the operator allows it.
  const guard = new OutboundGuard({ allow: ['127.0.0.1/32'] });
  const route = new CallbackRoute(vaspConfig('http://127.0.0.1:9/unused'), {
    config: mm7Config,
    metrics: new Metrics(),
    log: silent,
    guard,
  });
  const router: Router = { route: (m) => (m.report ? route : undefined) };
  const { clock, queue } = store();
  const reports = new ReportGenerator({ queue, router, log: silent, now: () => clock.now });
  const original = message('m3', {
    originator: { address: '7050', type: 'shortcode' },
    recipients: [
      { address: '+15550000002', type: 'plmn', kind: 'to' },
      { address: '+15550000003', type: 'plmn', kind: 'to' },
    ],
    deliveryReport: true,
    origin: { iface: 'rest', peer: 'shop', callbackUrl: receiver.url },
  });
  await queue.enqueue(original, [Buffer.from('hello')], ['handsets', 'handsets']);
  for (const job of await queue.take(2)) await queue.ack(job, job.recipientIndex === 0 ? 'delivered' : 'rejected', 'refused');

  // A pump queues both reports and dies before acknowledging; the next one queues them again.
  t.equal((await queue.finalEvents(10)).length, 2);
  await reports.final(original, 0, 'delivered');
  await reports.final(original, 1, 'rejected', 'refused');
  clock.now += LEASE_MS + 1;
  t.equal(await new ReportPump({ queue, reports, log: silent }).once(), 2);

  await drain(queue, route);
  const events = receiver.bodies.map((b) => JSON.parse(b) as { eventId: string; recipient: string; state: string });
  const byRecipient = (r: string) => events.filter((e) => e.recipient === r);
  t.ok(events.length >= 3, 'a retried POST (the first answer was 500)');
  t.equal(new Set(byRecipient('+15550000002').map((e) => e.eventId)).size, 1, "recipient 0's event: one eventId");
  t.equal(new Set(byRecipient('+15550000003').map((e) => e.eventId)).size, 1, "recipient 1's event: one eventId");
  t.not(byRecipient('+15550000002')[0]!.eventId, byRecipient('+15550000003')[0]!.eventId, 'two events, two eventIds');
});

/** Polls until cond() holds; fails after `ms` (a guard against hanging, not a timing assertion). */
async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** An SMSC simulator that refuses the first `refuse` submits with ESME_RSYSERR (transient), and a client bound to it. */
async function smscLink(t: Test, refuse: number) {
  let n = 0;
  const smsc = await startSmsc({ systemId: 'mmsc', password: 'secret', statusFor: () => (n++ < refuse ? 0x08 : 0) });
  const client = new SmppClient({
    id: 'sim',
    host: '127.0.0.1',
    port: smsc.port,
    systemId: 'mmsc',
    password: 'secret',
    log: silent,
    reconnectMinMs: 20,
    reconnectMaxMs: 200,
  });
  t.teardown(async () => {
    await client.close();
    await smsc.stop();
  });
  client.start();
  await until(() => client.bound, 'bound');
  const smscConfig = ConfigSchema.parse({
    smpp: { smscs: [{ id: 'sim', host: '127.0.0.1', port: smsc.port, systemId: 'mmsc', password: 'secret' }] },
  }).smpp.smscs[0]!;
  return { smsc, client, smscConfig };
}

/** The concatenation reference of a submit (UDH IE 0x00, 8-bit reference), if it has one. */
function concatRef(s: SubmitRecord): number | undefined {
  const ie = s.udh?.find((e) => e[0] === 0x00);
  return ie?.[2];
}

t.test('SMS text: every attempt of one job carries the same concatenation reference and user_message_reference', async (t) => {
  const { smsc, client, smscConfig } = await smscLink(t, 1);
  const { queue, correlations } = store();
  const route = new TextSmsRoute(smscConfig, client, correlations, { viewLink: (id) => `http://127.0.0.1/m/${id}`, log: silent });
  // A text the gateway wrote itself (origin smpp): its text part goes out, in three segments.
  const text = 'x'.repeat(400);
  const texts = [
    message('sms-1', {
      origin: { iface: 'smpp', peer: 'keywords' },
      recipients: [{ address: '+15550000002', type: 'plmn', kind: 'to' }],
      parts: [{ index: 0, contentType: 'text/plain', size: text.length }],
    }),
  ];
  texts.push({ ...texts[0]!, id: 'sms-2' });
  for (const m of texts) await queue.enqueue(m, [Buffer.from(text)], ['smpp:sim']);

  const [job] = await queue.take(1);
  t.equal(job!.messageId, 'sms-1');
  t.equal((await route.send(delivery(queue, job!))).status, 'retry', 'the SMSC refused the first segment (system error)');
  await queue.retry(job!, 'SMSC busy', 0);
  await drain(queue, route);

  const one = smsc.submits.slice(0, 4);
  const two = smsc.submits.slice(4);
  t.equal(one.length, 4, 'sms-1: the refused segment, then three');
  t.equal(two.length, 3, 'sms-2: three segments');
  t.equal(new Set(one.map(concatRef)).size, 1, 'sms-1: one concatenation reference on every attempt');
  t.ok(
    one.every((s) => s.userMessageReference !== undefined),
    'user_message_reference is sent',
  );
  t.equal(new Set(one.map((s) => s.userMessageReference)).size, 1, 'sms-1: one user_message_reference on every attempt');
  t.equal(new Set(two.map((s) => s.userMessageReference)).size, 1);
  t.not(two[0]!.userMessageReference, one[0]!.userMessageReference, 'another job has a reference of its own');
});

t.test('WAP push: the pushes of one job carry the same concatenation reference and user_message_reference', async (t) => {
  const { smsc, client, smscConfig } = await smscLink(t, 0);
  const sender = new PushSender(smscConfig, client);
  const edge = { pushSender: () => sender } as unknown as SmppEdge;
  const pusher = new SmppPusher(edge);
  // An m-delivery-ind is small; this one (a long Message-ID) is not, so that the push takes three segments.
  const report = message('r1', {
    report: {
      kind: 'delivery',
      messageId: 'x'.repeat(300),
      recipientIndex: 0,
      to: { iface: 'mm1', peer: 'mm1' },
      status: 'delivered',
      at: T0,
    },
  });
  const pdu: PushedPdu = deliveryIndFor(report, T0);
  const job = (messageId: string) => ({ messageId, recipientIndex: 0, expiresAt: T0 + 86_400_000 });
  await pusher.push('+15550000001', pdu, job('job-a'));
  await pusher.push('+15550000001', pdu, job('job-a'));
  await pusher.push('+15550000001', pdu, job('job-b'));
  const a = smsc.submits.slice(0, 6);
  const b = smsc.submits.slice(6);
  t.equal(a.length, 6, 'two pushes of three segments');
  t.ok(
    a.every((s) => concatRef(s) !== undefined),
    'concatenated',
  );
  t.equal(new Set(a.map(concatRef)).size, 1, "one job's pushes: one concatenation reference");
  t.equal(new Set(a.map((s) => s.userMessageReference)).size, 1, "one job's pushes: one user_message_reference");
  t.ok(a[0]!.userMessageReference !== undefined);
  t.not(b[0]!.userMessageReference, a[0]!.userMessageReference, 'another job: another reference');
});

t.test('MM1 notification and report routes name the job to the pusher: the same on every attempt', async (t) => {
  const keys: (string | undefined)[] = [];
  const pusher: WapPusher = {
    push: async (_address: string, _pdu: PushedPdu, job?: ReceiptJob) => {
      keys.push(job && `${job.messageId}/${job.recipientIndex}`);
      return 'pushed';
    },
  };
  const config = ConfigSchema.parse({}).mm1;
  const route = new NotifyRoute({
    config,
    tokens: new Tokens('0123456789abcdef'),
    pusher,
    textRoute: () => undefined,
    adapter: passThroughAdapter,
    metrics: new Metrics(),
    log: silent,
    now: () => T0,
  });
  const m = message('0-0123456789abcdef', { recipients: [{ address: '+15550000002', type: 'plmn', kind: 'to' }] });
  for (const attempt of [1, 2]) await route.send({ message: m, recipientIndex: 0, attempt, content: async () => [Buffer.from('hello')] });
  t.equal(keys.length, 2);
  t.ok(keys[0] !== undefined && keys[0] === keys[1], 'the same key on both attempts');
});
