import { createTransport } from 'nodemailer';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { type Mm4ForwardReq, bareId } from '../../protocols/mm4/index.js';
import { Gateway } from '../../src/gateway.js';
import { ConfigSchema } from '../../src/ops/config.js';
import { Handset, httpRequest } from '../helpers/handset.js';
import { mm7SubmitReq } from '../helpers/mm7-request.js';
import { dropKeys, redisUrl, testPrefix } from '../helpers/redis.js';
import { mm4Sink } from '../helpers/smtp-sink.js';
import { until } from '../helpers/until.js';
import { vaspServer } from '../helpers/vasp-server.js';

const OWN = 'mms.mnc001.mcc001.gprs';
const B_DOMAIN = 'mms.mnc002.mcc001.gprs';
const B_SYSTEM = `system-user@${B_DOMAIN}`;
const LOCAL = '+15550001234';
const TEXT = Buffer.from('Hello across networks');

/** The store of each test: the embedded one, or Redis (the correlations shared by every instance) with a prefix of its own. */
type Backend = 'memory' | 'redis';

async function storeConfig(t: Test, backend: Backend): Promise<Record<string, unknown>> {
  if (backend === 'memory') return {};
  const url = await redisUrl(t);
  const prefix = testPrefix();
  t.teardown(() => dropKeys(url, prefix));
  return { redis: { url }, queue: { prefix } };
}

async function setup(t: Test, backend: Backend, out: Record<string, unknown> = {}) {
  const sink = await mm4Sink(t);
  const vasp = await vaspServer(t);
  const store = await storeConfig(t, backend);
  const config = ConfigSchema.parse({
    ops: { port: 0 },
    ...store,
    queue: { retryBaseMs: 50, retryMaxMs: 200, ...(store.queue as object | undefined) },
    mm1: { port: 0, localPrefixes: ['+1555'], tokenSecret: 'x'.repeat(32), push: 'pap', papUrl: 'http://127.0.0.1:1/pap' },
    mm7: { port: 0, vasps: [{ id: 'shop', username: 'shop', password: 'pw-shop', senders: ['7050'], url: vasp.url }] },
    mm4: {
      enabled: true,
      port: 0,
      domains: [OWN],
      peers: [
        {
          id: 'carrier-b',
          domain: B_DOMAIN,
          prefixes: ['+1666'],
          allow: ['127.0.0.1/32'],
          out: {
            host: '127.0.0.1',
            port: sink.port,
            tls: 'none',
            ackRequest: true,
            resTimeoutMs: 120_000,
            connectTimeoutMs: 2000,
            greetingTimeoutMs: 2000,
            ...out,
          },
        },
      ],
    },
  });
  const gw = new Gateway(config, pino({ level: process.env.TEST_LOG ?? 'silent' }));
  const listeners = await gw.start();
  await gw.whenReady();
  t.teardown(() => gw.stop());
  const url = (iface: string) => listeners.find((l) => l.iface === iface)!.address;
  /** Carrier B sends one MM4 message (header lines; a body for a forward) to the MM4 listener at `mm4`. */
  const sendTo = async (mm4: string, lines: string[], to = `system-user@${OWN}`): Promise<string> => {
    const mailer = createTransport({ host: '127.0.0.1', port: Number(new URL(mm4).port), secure: false, ignoreTLS: true });
    try {
      const info = await mailer.sendMail({ envelope: { from: B_SYSTEM, to: [to] }, raw: `${lines.join('\r\n')}\r\n` });
      return info.response;
    } finally {
      mailer.close();
    }
  };
  const send = (lines: string[], to?: string): Promise<string> => sendTo(url('mm4'), lines, to);
  /** Shop's SubmitReq; resolves to our Message-ID. */
  const submit = async (to: string[], o: { deliveryReport?: boolean; readReply?: boolean } = {}): Promise<string> => {
    const req = mm7SubmitReq({ vasp: 'shop', shortCode: '7050', to, parts: [{ type: 'text/plain', name: 't.txt', body: TEXT }], ...o });
    const auth = `Basic ${Buffer.from('shop:pw-shop').toString('base64')}`;
    const r = await httpRequest(url('mm7'), {
      method: 'POST',
      body: req.body,
      headers: { 'content-type': req.contentType, authorization: auth },
    });
    const id = /<(?:\w+:)?MessageID>([^<]+)</.exec(r.body.toString('utf8'))?.[1];
    if (!id) throw new Error(`not accepted: ${r.body.toString('utf8')}`);
    return id;
  };
  /** The forwards of `messageId` at B, by recipient index (from their X-Mms-Message-ID `<id>.<index>@OWN`). */
  const forwards = async (messageId: string, n: number): Promise<Map<number, Mm4ForwardReq>> =>
    until(`${n} forwards at B`, () => {
      const by = new Map<number, Mm4ForwardReq>();
      for (const s of sink.got) {
        if (s.msg.type !== 'MM4_forward.REQ') continue;
        const m = new RegExp(`^${messageId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(\\d+)@`).exec(bareId(s.msg.messageId));
        if (m) by.set(Number(m[1]), s.msg);
      }
      return by.size >= n ? by : undefined;
    });
  const states = (id: string) => gw.store.queue.states(id);
  const stateIs = (id: string, want: string[]) =>
    until(`states ${want.join(',')}`, async () => {
      const s = await states(id);
      return JSON.stringify(s) === JSON.stringify(want) ? s : undefined;
    });
  return { gw, config, sink, vasp, send, sendTo, submit, forwards, states, stateIs, mm1: url('mm1') };
}

const head = (type: string, tx: string, extra: string[] = []) => [
  'X-Mms-3GPP-MMS-Version: 6.10.0',
  `X-Mms-Message-Type: ${type}`,
  `X-Mms-Transaction-ID: ${tx}`,
  ...extra,
];

for (const backend of ['memory', 'redis'] as const) {
  t.test(`${backend}: MM4_forward.RES closes the recipient its Transaction-ID names, of two at the same peer`, async (t) => {
    const { gw, send, submit, forwards, states, stateIs } = await setup(t, backend);
    // No delivery report asked: the RES is the end of the forward (with one asked, see below).
    const id = await submit(['+16660000002', '+16660000003']);
    const fw = await forwards(id, 2);
    await stateIs(id, ['notified', 'notified']);
    t.not(fw.get(0)!.transactionId, fw.get(1)!.transactionId, 'one Transaction-ID per forward');
    t.same(
      gw.router.names().filter((n) => n.startsWith('mm4')),
      ['mm4 reports', 'mm4 responses', 'mm4 carrier-b'],
      'the route table: reports and RES to a peer, then its forwards',
    );

    // The second recipient's RES first, its Transaction-ID bracketed (bareId correlates the forms).
    const r1 = await send(head('MM4_forward.RES', `<${fw.get(1)!.transactionId}>`, ['X-Mms-Request-Status-Code: Ok']));
    t.match(r1, /^250 /);
    t.same(await stateIs(id, ['notified', 'delivered']), ['notified', 'delivered'], 'only the named recipient ends');

    const r0 = await send(
      head('MM4_forward.RES', fw.get(0)!.transactionId, [
        'X-Mms-Request-Status-Code: Error-content-not-accepted',
        'X-Mms-Status-Text: too big',
      ]),
    );
    t.match(r0, /^250 /);
    await stateIs(id, ['rejected', 'delivered']);
    const history = await gw.store.queue.history(id, 0);
    t.match(history.at(-1)?.detail ?? '', /Error-content-not-accepted \(too big\)/, 'the status and its text in the history');

    t.match(await send(head('MM4_forward.RES', 'no-such-tx@b', ['X-Mms-Request-Status-Code: Ok'])), /^250 /, 'a late RES: 250 anyway');
    t.same(await states(id), ['rejected', 'delivered'], 'and it changes nothing');
    await t.rejects(
      send(head('MM4_forward.RES', fw.get(1)!.transactionId, ['X-Mms-Request-Status-Code: Ok']), 'system-user@mms.elsewhere.example'),
      { message: /550 5\.7\.1 relay denied/ },
      'a mailbox in a domain not ours is still relaying',
    );

    const metrics = await gw.metrics.registry.getSingleMetricAsString('mmsc_mm4_res_latency_seconds');
    t.match(metrics, /mmsc_mm4_res_latency_seconds_count\{[^}]*peer="carrier-b"[^}]*\} 2$/m, 'two RES latencies observed');
    const correlated = await gw.metrics.registry.getSingleMetricAsString('mmsc_mm4_correlated_total');
    t.match(correlated, /type="MM4_forward.RES",result="unknown"[^}]*\} 1$/m, 'the late RES counted');
  });

  t.test(
    `${backend}: a RES with Error-network-problem has the forward sent again, same X-Mms-Message-ID, new Transaction-ID`,
    async (t) => {
      const { send, submit, forwards, sink, stateIs } = await setup(t, backend, { resTimeoutMs: 1000 });
      const id = await submit(['+16660000004']);
      const first = (await forwards(id, 1)).get(0)!;
      await send(head('MM4_forward.RES', first.transactionId, ['X-Mms-Request-Status-Code: Error-network-problem']));
      const again = await until('a second forward', () => {
        const f = sink.got.filter((s) => s.msg.type === 'MM4_forward.REQ');
        return f.length >= 2 ? (f[1]!.msg as Mm4ForwardReq) : undefined;
      });
      t.equal(again.messageId, first.messageId, 'the same X-Mms-Message-ID: the peer can drop a copy');
      t.not(again.transactionId, first.transactionId);
      await send(head('MM4_forward.RES', again.transactionId, ['X-Mms-Request-Status-Code: Ok']));
      await stateIs(id, ['delivered']);
    },
  );

  t.test(`${backend}: delivery reports end the recipient as their status says; Indeterminate never delivers; RES when asked`, async (t) => {
    const { gw, send, submit, forwards, states, stateIs, sink, vasp } = await setup(t, backend);
    const id = await submit(['+16660000011', '+16660000012', '+16660000013'], { deliveryReport: true, readReply: true });
    const fw = await forwards(id, 3);
    await stateIs(id, ['notified', 'notified', 'notified']);
    const from = (n: string) => `From: ${n}/TYPE=PLMN@${B_DOMAIN}`;

    // A RES Ok says B took the forward, not that the recipient retrieved it: the report is awaited.
    await send(head('MM4_forward.RES', fw.get(0)!.transactionId, ['X-Mms-Request-Status-Code: Ok']));
    await until('the RES noted', async () =>
      (await gw.store.queue.history(id, 0)).some((h) => /awaiting its delivery report/.test(h.detail ?? '')),
    );
    t.same(await states(id), ['notified', 'notified', 'notified'], 'not delivered by the RES');

    // Recipient 0: Retrieved, by X-Mms-Message-ID (quoted), a Transaction-ID of the peer's own.
    await send(
      head('MM4_delivery_report.REQ', 'dr-1@b', [
        `X-Mms-Message-ID: "${bareId(fw.get(0)!.messageId)}"`,
        'X-Mms-MM-Status-Code: Retrieved',
        from('+16660000011'),
      ]),
    );
    await stateIs(id, ['delivered', 'notified', 'notified']);

    // Recipient 1: no status at all, then Indeterminate, then Deferred: notes, never delivered.
    const mid1 = `X-Mms-Message-ID: ${fw.get(1)!.messageId}`;
    await send(head('MM4_delivery_report.REQ', 'dr-2@b', [mid1, from('+16660000012')]));
    await send(head('MM4_delivery_report.REQ', 'dr-3@b', [mid1, 'X-Mms-MM-Status-Code: Indeterminate', from('+16660000012')]));
    await send(head('MM4_delivery_report.REQ', 'dr-4@b', [mid1, 'X-Mms-Status: Deferred', from('+16660000012')]));
    t.same((await states(id))?.[1], 'notified', 'not delivered by a report that does not say Retrieved');
    const notes = (await gw.store.queue.history(id, 1)).map((h) => h.detail ?? '');
    t.ok(
      notes.some((d) => /Indeterminate: status absent/.test(d)),
      'the absent status noted',
    );
    t.ok(
      notes.some((d) => /: Deferred/.test(d)),
      'Deferred noted',
    );

    // Recipient 2: Expired, about an X-Mms-Message-ID we never gave but echoing the forward's Transaction-ID;
    // it asks for a RES, with its Transaction-ID quoted: echoed as written.
    await send([
      ...head('MM4_delivery_report.REQ', `"${fw.get(2)!.transactionId}"`, [
        'X-Mms-Message-ID: unknown@b',
        'X-Mms-MM-Status-Code: Expired',
        'X-Mms-Ack-Request: Yes',
        `X-Mms-Originator-System: ${B_SYSTEM}`,
        from('+16660000013'),
      ]),
    ]);
    await stateIs(id, ['delivered', 'notified', 'expired']);
    const res = await until('MM4_delivery_report.RES at B', () => sink.got.find((s) => s.msg.type === 'MM4_delivery_report.RES'));
    t.ok(res.bytes.includes(Buffer.from(`\r\nX-Mms-Transaction-ID: "${fw.get(2)!.transactionId}"\r\n`)), 'Transaction-ID byte for byte');
    t.match(res.msg, { requestStatus: 'Ok', messageId: 'unknown@b' });
    t.same(res.rcptTo, [B_SYSTEM], 'to the originator system');

    // A read report on recipient 0.
    await send(
      head('MM4_read_reply_report.REQ', 'rr-1@b', [
        `X-Mms-Message-ID: ${fw.get(0)!.messageId}`,
        'X-Mms-Read-Status: Read',
        from('+16660000011'),
      ]),
    );
    const seen = await until('the VASP reports', () => {
      const kinds = vasp.seen.map((s) => s.kind);
      return kinds.filter((k) => k === 'DeliveryReportReq').length >= 2 && kinds.includes('ReadReplyReq') ? vasp.seen : undefined;
    });
    const dr = seen.filter((s) => s.kind === 'DeliveryReportReq').map((s) => /MMStatus>(\w+)</.exec(s.body)?.[1]);
    t.same(dr.sort(), ['Expired', 'Retrieved'], 'DeliveryReportReq for the two final recipients only');
    t.match(seen.find((s) => s.kind === 'ReadReplyReq')?.body, /MMStatus>Read</, 'ReadReplyReq Read');
    t.match(seen.find((s) => s.kind === 'ReadReplyReq')?.body, /\+?16660000011/, 'from the reader');

    // A report from B about a forward we never sent: taken, nothing changes.
    t.match(
      await send(head('MM4_delivery_report.REQ', 'dr-9@b', ['X-Mms-Message-ID: nope@b', 'X-Mms-MM-Status-Code: Retrieved', from('+1666')])),
      /^250 /,
    );
    t.same((await states(id))?.[1], 'notified');
  });

  t.test(`${backend}: a forward from B with X-Mms-Ack-Request gets its RES; reports on it go back to B as MM4 REQs`, async (t) => {
    const { gw, send, sink, mm1 } = await setup(t, backend);
    const tx = '"tx-in-1@mms.mnc002.mcc001.gprs"';
    const mid = '<msg-in-1@mms.mnc002.mcc001.gprs>';
    const answer = await send(
      [
        ...head('MM4_forward.REQ', tx, [
          `X-Mms-Message-ID: ${mid}`,
          `X-Mms-Originator-System: ${B_SYSTEM}`,
          'X-Mms-Ack-Request: Yes',
          'X-Mms-Delivery-Report: Yes',
          'X-Mms-Read-Reply: Yes',
          `From: +16669990000/TYPE=PLMN@${B_DOMAIN}`,
          `To: ${LOCAL}/TYPE=PLMN@${OWN}`,
          'Content-Type: text/plain; charset=utf-8',
        ]),
        '',
        'Hello from B',
      ],
      `${LOCAL}/TYPE=PLMN@${OWN}`,
    );
    t.match(answer, /^250 /);
    const id = /queued as (\S+)/.exec(answer)![1]!;
    const res = await until('MM4_forward.RES at B', () => sink.got.find((s) => s.msg.type === 'MM4_forward.RES'));
    t.ok(res.bytes.includes(Buffer.from(`\r\nX-Mms-Transaction-ID: ${tx}\r\n`)), 'Transaction-ID echoed byte for byte');
    t.ok(res.bytes.includes(Buffer.from(`\r\nX-Mms-Message-ID: ${mid}\r\n`)), 'Message-ID echoed');
    t.match(res.msg, { requestStatus: 'Ok' });
    t.same(res.rcptTo, [B_SYSTEM]);
    // Counted once our client has B's 250, which may come just after B stored it.
    const sent = await until('the RES counted', async () => {
      const text = await gw.metrics.registry.getSingleMetricAsString('mmsc_mm4_sent_total');
      return /type="MM4_forward.RES",result="delivered"/.test(text) ? text : undefined;
    });
    t.match(sent, /type="MM4_forward.RES",result="delivered"[^}]*\} 1$/m, 'the RES counted as sent, once');

    // The handset retrieves it (as the MM1 server ends it) and reads it.
    t.equal(await gw.store.queue.complete(id, 0, 'delivered', 'retrieved (test)'), 'completed');
    const dr = await until('MM4_delivery_report.REQ at B', () => sink.got.find((s) => s.msg.type === 'MM4_delivery_report.REQ'));
    t.match(dr.msg, { messageId: mid, mmStatus: 'Retrieved' }, "the peer's X-Mms-Message-ID as written, Retrieved");
    t.match(dr.msg, { recipient: { address: { kind: 'plmn', number: LOCAL }, domain: OWN } }, 'From: our recipient');
    t.match(dr.msg, { originator: { address: { kind: 'plmn', number: '+16669990000' }, domain: B_DOMAIN } }, 'To: their originator');
    t.same(dr.rcptTo, [`+16669990000/TYPE=PLMN@${B_DOMAIN}`]);

    const handset = new Handset(LOCAL, mm1);
    const rr = await handset.post({
      messageType: 'm-read-rec-ind',
      mmsVersion: '1.2',
      messageId: id,
      to: ['+16669990000/TYPE=PLMN'],
      from: { insertAddress: true },
      readStatus: 'Read',
    });
    t.equal(rr.status, 204);
    const read = await until('MM4_read_reply_report.REQ at B', () => sink.got.find((s) => s.msg.type === 'MM4_read_reply_report.REQ'));
    t.match(read.msg, { messageId: mid, readStatus: 'Read' });
  });
}

t.test('redis: a RES that reaches another instance of the gateway closes the forward the first one sent', async (t) => {
  const { config, sendTo, submit, forwards, stateIs } = await setup(t, 'redis');
  const id = await submit(['+16660000021', '+16660000022']);
  const fw = await forwards(id, 2);
  await stateIs(id, ['notified', 'notified']);
  // A second instance on the same Redis prefix, with listeners of its own.
  const other = new Gateway(config, pino({ level: process.env.TEST_LOG ?? 'silent' }));
  const listeners = await other.start();
  await other.whenReady();
  t.teardown(() => other.stop());
  const mm4 = listeners.find((l) => l.iface === 'mm4')!.address;
  t.match(await sendTo(mm4, head('MM4_forward.RES', fw.get(1)!.transactionId, ['X-Mms-Request-Status-Code: Ok'])), /^250 /);
  t.same(await stateIs(id, ['notified', 'delivered']), ['notified', 'delivered'], 'closed by the RES the other instance received');
});
