// The vertical slice through `mmsc serve` (a real process) with the Redis store: a VASP's MM7 SubmitReq
// reaches a handset (WAP push over SMPP to the SMSC simulator, retrieval and acknowledgement over MM1 HTTP),
// and the VASP gets its DeliveryReportReq (Retrieved; Expired for a message never fetched); a text-only
// subscriber gets the SMS fallback whose link opens the web view. The SMSC is the test suite's simulator
// (helpers/smsc.ts), a stand-in for a real SMSC; everything else is the shipped gateway.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { ConfigSchema } from '../../src/ops/config.js';
import { createStore } from '../../src/store/index.js';
import { Handset, httpRequest } from '../helpers/handset.js';
import { mm7SubmitReq } from '../helpers/mm7-request.js';
import { MMSC_BIN, ROOT } from '../helpers/paths.js';
import { redisUrl, testPrefix } from '../helpers/redis.js';
import { freePort } from '../helpers/free-port.js';
import { startSmsc } from '../helpers/smsc.js';
import { jpegOf } from '../helpers/media.js';
import { until } from '../helpers/until.js';

const NS = 'http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-6-MM7-1-4';
/** A real JPEG of 20,000 bytes (every part's bytes are checked against its type at intake). */
const PICTURE = jpegOf(20_000);
const TEXT = 'Your ticket for Saturday';

interface Report {
  messageId: string;
  status: string;
  recipient: string;
}

async function slice(t: Test) {
  const smsc = await startSmsc({ systemId: 'mmsc', password: 'secret' });
  t.teardown(() => smsc.stop());
  const reports: Report[] = [];
  const vasp = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const xml = Buffer.concat(chunks).toString('utf8');
      const kind = /<(?:\w+:)?(\w+Req)[\s>]/.exec(xml.slice(xml.indexOf('Body')))?.[1] ?? 'unknown';
      if (kind === 'DeliveryReportReq') {
        reports.push({
          messageId: /<(?:\w+:)?MessageID>([^<]+)</.exec(xml)?.[1] ?? '',
          status: /<(?:\w+:)?MMStatus>([^<]+)</.exec(xml)?.[1] ?? '',
          recipient: /<(?:\w+:)?Recipient>\s*<(?:\w+:)?Number>([^<]+)</.exec(xml)?.[1] ?? '',
        });
      }
      const rsp = kind.replace(/Req$/, 'Rsp');
      res
        .writeHead(200, { 'content-type': 'text/xml' })
        .end(
          `<?xml version="1.0"?><e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Header><TransactionID xmlns="${NS}">x</TransactionID></e:Header>` +
            `<e:Body><${rsp} xmlns="${NS}"><MM7Version>6.8.0</MM7Version><Status><StatusCode>1000</StatusCode></Status></${rsp}></e:Body></e:Envelope>`,
        );
    });
  });
  vasp.listen(0, '127.0.0.1');
  await once(vasp, 'listening');
  t.teardown(() => new Promise<void>((r) => vasp.close(() => r())));

  const redis = await redisUrl(t);
  const prefix = testPrefix();
  const mm1Port = await freePort();
  const publicUrl = `http://127.0.0.1:${mm1Port}`;
  const file = {
    queue: { retryBaseMs: 100, retryMaxMs: 500 },
    ops: { port: 0 },
    mm7: {
      port: 0,
      vasps: [
        {
          id: 'tickets',
          username: 'tickets',
          password: 'pw-t',
          senders: ['7070'],
          url: `http://127.0.0.1:${(vasp.address() as AddressInfo).port}/mm7`,
        },
      ],
    },
    mm1: { port: mm1Port, publicUrl, tokenSecret: 'slice-test-secret-0123', localPrefixes: ['+1555'], renotifyMs: 1000 },
    smpp: {
      smscs: [
        { id: 'sim', host: '127.0.0.1', port: smsc.port, systemId: 'mmsc', password: 'secret', sourceAddr: '7070', enquireLinkMs: 5000 },
      ],
    },
  };
  const dir = mkdtempSync(join(tmpdir(), 'mmsc-slice-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(file));
  const child = spawn(process.execPath, [MMSC_BIN, 'serve'], {
    cwd: ROOT,
    env: { ...process.env, MMSC_CONFIG: join(dir, 'config.json'), REDIS_URL: redis, MMSC_QUEUE_PREFIX: prefix, MMSC_LOG_LEVEL: 'warn' },
  });
  t.teardown(() => child.kill('SIGKILL'));
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const mm7 = await until('the mm7 listener line', () => /^mm7\s+listening on (\S+)$/m.exec(out)?.[1], 15_000).catch((e: Error) => {
    throw new Error(`${e.message}; stderr: ${err}`);
  });
  t.match(out, new RegExp(`^mm1\\s+listening on http://127\\.0\\.0\\.1:${mm1Port}$`, 'm'), 'serve prints the mm1 listener');
  t.match(out, /^smpp\s+binding to smpp:\/\/127\.0\.0\.1:\d+/m, 'and the SMSC');
  await until('bound to the SMSC', () => smsc.binds.length > 0);
  const config = ConfigSchema.parse({ redis: { url: redis }, queue: { prefix } });
  const store = createStore({ redis: config.redis, queue: config.queue }, pino({ level: 'silent' }));
  await store.ready();
  t.teardown(() => store.close());

  const submit = async (to: string, extra: { expiry?: string } = {}): Promise<string> => {
    const req = mm7SubmitReq({
      vasp: 'tickets',
      shortCode: '7070',
      to: [to.slice(1)],
      subject: 'Ticket',
      deliveryReport: true,
      ...extra,
      parts: [
        { type: 'text/plain; charset=utf-8', name: 'ticket.txt', body: Buffer.from(TEXT) },
        { type: 'image/jpeg', name: 'code.jpg', body: PICTURE },
      ],
    });
    const a = await httpRequest(mm7, {
      method: 'POST',
      body: req.body,
      headers: { 'content-type': req.contentType, authorization: `Basic ${Buffer.from('tickets:pw-t').toString('base64')}` },
    });
    const id = /<(?:\w+:)?MessageID>([^<]+)</.exec(a.body.toString('utf8'))?.[1];
    if (!id) throw new Error(`not accepted: ${a.body.toString('utf8')}`);
    return id;
  };
  return { smsc, reports, submit, store, publicUrl };
}

t.test(
  'MM7 SubmitReq -> push over SMPP -> retrieval and acknowledgement -> DeliveryReportReq Retrieved; unretrieved -> Expired; text-only -> SMS with a working link',
  async (t) => {
    const { smsc, reports, submit, store, publicUrl } = await slice(t);
    const b = new Handset('+15550000002', publicUrl);

    // 1. Retrieved.
    const id = await submit(b.msisdn);
    const n = await until('the notification to B', () => b.pushes(smsc).find((p) => p.messageType === 'm-notification-ind'));
    if (n.messageType !== 'm-notification-ind') throw new Error('unreachable');
    const conf = await b.retrieve(n.contentLocation);
    t.equal(conf.status, 200);
    // A multipart message without a SMIL is given one (issue 25): Message-Size is what the handset gets.
    t.equal(
      n.messageSize,
      conf.pdu?.parts?.reduce((sum, p) => sum + p.data.length, 0),
      'Message-Size: the parts retrieved',
    );
    t.ok(
      conf.pdu?.parts?.some((p) => p.contentType.mediaType === 'application/smil'),
      'a SMIL generated',
    );
    t.equal(conf.pdu?.messageId, id, 'B retrieved the message');
    t.equal(conf.pdu?.from, '7070/TYPE=PLMN', "from the VASP's short code");
    t.ok(
      conf.pdu?.parts?.some((p) => p.data.equals(PICTURE)),
      'with the picture',
    );
    t.equal((await b.post({ messageType: 'm-acknowledge-ind', mmsVersion: '1.2', transactionId: conf.pdu!.transactionId! })).status, 204);
    const retrieved = await until('the DeliveryReportReq (Retrieved)', () => reports.find((r) => r.messageId === id));
    t.equal(retrieved.status, 'Retrieved');
    t.equal(retrieved.recipient, '+15550000002', 'about B');

    // 2. Never fetched: Expired at its ExpiryDate (a relative one, 4 s).
    const c = new Handset('+15550000004', publicUrl);
    const late = await submit(c.msisdn, { expiry: 'PT4S' });
    await until('the notification to C', () => c.pushes(smsc).find((p) => p.messageType === 'm-notification-ind'));
    const expired = await until('the DeliveryReportReq (Expired)', () => reports.find((r) => r.messageId === late), 15_000);
    t.equal(expired.status, 'Expired');
    t.same(await store.queue.states(late), ['expired']);

    // 3. A text-only subscriber: the SMS fallback, whose link opens the web view with the text and the picture.
    await store.subscribers.setTextOnly('+15550000005', true);
    const forText = await submit('+15550000005');
    const sms = await until('the fallback SMS', () =>
      smsc.submits.find((s) => s.destinationAddr === '15550000005' && s.dataCoding !== 0x04),
    );
    const link = sms.text.split(' ').pop()!;
    t.ok(link.startsWith(`${publicUrl}/m/`), `the link is on the MM1 listener (${sms.text})`);
    const page = await httpRequest(link);
    t.equal(page.status, 200);
    const html = page.body.toString('utf8');
    t.match(html, TEXT, 'the page shows the text');
    const src = /<img[^>]* src="([^"]+)"/.exec(html)?.[1];
    t.ok(src, 'and an image');
    const img = await httpRequest(new URL(src!, link).href);
    t.equal(img.status, 200);
    t.ok(img.body.equals(PICTURE), 'which is the picture sent');
    await until('the fallback recorded as delivered', async () => (await store.queue.states(forText))?.[0] === 'delivered');
  },
);
