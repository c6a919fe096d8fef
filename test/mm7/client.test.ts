// MM7 towards VASPs, end to end over loopback with real Redis: the gateway (in-process) delivers reports and
// MO messages to local HTTP VASPs, each configured with its own schema version; each VASP checks the XML it
// receives with fast-xml-parser (not our codec): the element's namespace and MM7Version must be its own.
// The handset side (MM1) is not built yet: a stand-in route plays it (delivers, or refuses one number).
import { once } from 'node:events';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { basic, restCall } from '../helpers/rest-call.js';
import type { AddressInfo } from 'node:net';
import { XMLParser } from 'fast-xml-parser';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import type { CoreMessage } from '../../src/core/message.js';
import type { Delivery, DeliveryResult, Route } from '../../src/core/router.js';
import { Gateway } from '../../src/gateway.js';
import { ConfigSchema } from '../../src/ops/config.js';
import { redisUrl, testPrefix } from '../helpers/redis.js';
import { until } from '../helpers/until.js';

const BASE = 'http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/';

interface Seen {
  kind: string;
  namespace: string;
  tidNamespace: string;
  transactionId: string;
  mm7Version: string;
  fields: Record<string, unknown>;
  contentType: string;
  body: Buffer;
  authorization: string | undefined;
}

/** A VASP's MM7 endpoint: records each request, answers `answer(kind)` (default 1000) in its own namespace. */
async function vaspServer(t: Test, namespace: string, answer: (kind: string) => number = () => 1000) {
  const seen: Seen[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const contentType = req.headers['content-type'] ?? '';
      const xml = soapOf(body, contentType);
      const parsed = readEnvelope(xml);
      seen.push({ ...parsed, contentType, body, authorization: req.headers.authorization });
      const code = answer(parsed.kind);
      const rsp = parsed.kind.replace(/Req$/, 'Rsp');
      const tid = parsed.transactionId;
      res
        .writeHead(200, { 'content-type': 'text/xml; charset=utf-8' })
        .end(
          `<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header>` +
            `<TransactionID xmlns="${namespace}" soap:mustUnderstand="1">${tid}</TransactionID></soap:Header><soap:Body>` +
            `<${rsp} xmlns="${namespace}"><MM7Version>${parsed.mm7Version}</MM7Version><Status><StatusCode>${code}</StatusCode>` +
            `<StatusText>answer ${code}</StatusText></Status></${rsp}></soap:Body></soap:Envelope>`,
        );
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://vasp:secret@127.0.0.1:${(server.address() as AddressInfo).port}/mm7`, seen };
}

/** The SOAP part: the whole body, or the multipart/related part named by `start` (split by hand). */
function soapOf(body: Buffer, contentType: string): string {
  if (!contentType.startsWith('multipart/')) return body.toString('utf8');
  return partsOf(body, contentType)
    .find((p) => /content-type:\s*text\/xml/i.test(p.head))!
    .body.toString('utf8');
}

function partsOf(body: Buffer, contentType: string): { head: string; body: Buffer }[] {
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)![1]!;
  const text = body.toString('latin1');
  return text
    .split(`--${boundary}`)
    .slice(1, -1)
    .map((chunk) => {
      const c = chunk.replace(/^\r\n/, '').replace(/\r\n$/, '');
      const end = c.indexOf('\r\n\r\n');
      return { head: c.slice(0, end), body: Buffer.from(c.slice(end + 4), 'latin1') };
    });
}

/** The body element, its namespace (resolved from its prefix), MM7Version, TransactionID and child texts. */
function readEnvelope(xml: string) {
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false, processEntities: false }).parse(
    xml,
  ) as Record<string, any>;
  const envKey = Object.keys(doc).find((k) => k.endsWith('Envelope'))!;
  const env = doc[envKey];
  const nsOf = (el: Record<string, any>, name: string, inherited: Record<string, string>) => {
    const prefix = name.includes(':') ? name.split(':')[0]! : '';
    const scope = { ...inherited };
    for (const [k, v] of Object.entries(el)) {
      if (k === '@xmlns') scope[''] = String(v);
      else if (k.startsWith('@xmlns:')) scope[k.slice(7)] = String(v);
    }
    return scope[prefix] ?? '';
  };
  const envScope: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (k.startsWith('@xmlns:')) envScope[k.slice(7)] = String(v);
  const bodyKey = Object.keys(env).find((k) => k.endsWith('Body'))!;
  const body = env[bodyKey] as Record<string, any>;
  const opKey = Object.keys(body).find((k) => !k.startsWith('@'))!;
  const op = body[opKey] as Record<string, any>;
  const kind = opKey.split(':').pop()!;
  const namespace = nsOf(op, opKey, envScope);
  const headerKey = Object.keys(env).find((k) => k.endsWith('Header'));
  const header = headerKey ? (env[headerKey] as Record<string, any>) : {};
  const tidKey = Object.keys(header).find((k) => k.endsWith('TransactionID'));
  const tidEl = tidKey ? header[tidKey] : undefined;
  const transactionId = typeof tidEl === 'object' ? String(tidEl['#text']) : String(tidEl ?? '');
  const tidNamespace = tidKey && typeof tidEl === 'object' ? nsOf(tidEl, tidKey, envScope) : '';
  const local = (o: Record<string, any>) =>
    Object.fromEntries(
      Object.entries(o)
        .filter(([k]) => !k.startsWith('@'))
        .map(([k, v]) => [k.split(':').pop()!, v]),
    );
  const fields = local(op);
  return { kind, namespace, tidNamespace, transactionId, mm7Version: String(fields.MM7Version ?? ''), fields };
}

/** Text of an address element ({Number: '...'} with or without attributes). */
function address(v: unknown): Record<string, string> {
  const o = v as Record<string, any>;
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(o))
    if (!k.startsWith('@')) out[k.split(':').pop()!] = typeof val === 'object' ? String(val['#text']) : String(val);
  return out;
}

/** Stand-in for the MM1 side (not built yet): refuses one number, delivers the rest. */
class HandsetStandIn implements Route {
  readonly peer = 'mm1-standin';
  readonly limits = { rate: 1000, burst: 1000, maxInFlight: 100 };
  readonly delivered: string[] = [];
  async send(d: Delivery): Promise<DeliveryResult> {
    const to = d.message.recipients[d.recipientIndex]!.address;
    if (to === '+15550000002') return { status: 'rejected', detail: 'handset refused the message' };
    this.delivered.push(to);
    return { status: 'delivered' };
  }
}

async function gateway(t: Test, vasps: Record<string, unknown>[], extra: Record<string, unknown> = {}) {
  const url = await redisUrl(t);
  const config = ConfigSchema.parse({
    ...extra,
    redis: { url },
    queue: { prefix: testPrefix(), retryBaseMs: 30, retryMaxMs: 100, maxAttempts: 3 },
    ops: { port: 0 },
    mm7: { port: 0, vasps },
    // MM1 off: a stand-in plays the handsets, so that these tests look at the VASP side alone.
    mm1: { enabled: false },
  });
  const gw = new Gateway(config, pino({ level: 'silent' }));
  const handsets = new HandsetStandIn();
  gw.router.add((m, i) => m.report === undefined && m.recipients[i]!.type === 'plmn', handsets);
  const listeners = await gw.start();
  await gw.whenReady();
  t.teardown(() => gw.stop());
  return { gw, handsets, mm7: listeners.find((l) => l.iface === 'mm7')!.address };
}

function vasp(id: string, extra: Record<string, unknown>) {
  return {
    id,
    username: id,
    password: `pw-${id}`,
    rate: 1000,
    burst: 1000,
    maxInFlight: 100,
    deliveryRate: 1000,
    deliveryBurst: 1000,
    ...extra,
  };
}

function submitReq(ns: string, version: string, vaspId: string, shortCode: string, numbers: string[]): string {
  return (
    `<?xml version="1.0"?><env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Header>` +
    `<mm7:TransactionID xmlns:mm7="${ns}">t-1</mm7:TransactionID></env:Header><env:Body><mm7:SubmitReq xmlns:mm7="${ns}">` +
    `<mm7:MM7Version>${version}</mm7:MM7Version><mm7:SenderIdentification><mm7:VASPID>${vaspId}</mm7:VASPID>` +
    `<mm7:SenderAddress><mm7:ShortCode>${shortCode}</mm7:ShortCode></mm7:SenderAddress></mm7:SenderIdentification>` +
    `<mm7:Recipients><mm7:To>${numbers.map((n) => `<mm7:Number>${n}</mm7:Number>`).join('')}</mm7:To></mm7:Recipients>` +
    `<mm7:ServiceCode>svc-9</mm7:ServiceCode><mm7:LinkedID>link-77</mm7:LinkedID><mm7:DeliveryReport>true</mm7:DeliveryReport>` +
    `<mm7:Subject>hello</mm7:Subject></mm7:SubmitReq></env:Body></env:Envelope>`
  );
}

function post(url: string, body: string, user: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'text/xml; charset=utf-8',
          authorization: `Basic ${Buffer.from(`${user}:pw-${user}`).toString('base64')}`,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

t.test('DeliveryReportReq goes back to the submitting VASP in its configured schema version', async (t) => {
  const rel5 = await vaspServer(t, `${BASE}REL-5-MM7-1-2`);
  const rel6 = await vaspServer(t, `${BASE}REL-6-MM7-1-4`);
  const { mm7 } = await gateway(t, [
    vasp('old', { senders: ['7001'], url: rel5.url, version: 'REL-5-MM7-1-2' }),
    vasp('new', { senders: ['7002'], url: rel6.url, version: 'REL-6-MM7-1-4' }),
  ]);
  // Each VASP submits in the other's version: the reports must still come in the VASP's configured one.
  const a = await post(mm7, submitReq(`${BASE}REL-6-MM7-1-4`, '6.8.0', 'old', '7001', ['15550000001', '15550000002']), 'old');
  const b = await post(mm7, submitReq(`${BASE}REL-5-MM7-1-0`, '5.3.0', 'new', '7002', ['15550000003']), 'new');
  const idA = /<(?:\w+:)?MessageID>([^<]+)</.exec(a)?.[1];
  const idB = /<(?:\w+:)?MessageID>([^<]+)</.exec(b)?.[1];
  t.ok(idA && idB, 'both submissions accepted with a MessageID');

  await until('two reports at the REL-5 VASP', () => rel5.seen.length >= 2);
  await until('one report at the REL-6 VASP', () => rel6.seen.length >= 1);
  for (const s of rel5.seen) {
    t.equal(s.kind, 'DeliveryReportReq');
    t.equal(s.namespace, `${BASE}REL-5-MM7-1-2`, 'namespace of REL-5-MM7-1-2');
    t.equal(s.mm7Version, '5.6.0', 'MM7Version of REL-5-MM7-1-2');
    t.equal(s.tidNamespace, `${BASE}REL-5-MM7-1-2`, 'TransactionID header in the same namespace');
    t.ok(s.transactionId.length > 0, 'a TransactionID');
    t.equal(s.fields.MessageID, idA);
    t.same(address(s.fields.Sender), { ShortCode: '7001' }, 'Sender: the short code the VASP sent from');
    t.match(s.contentType, /^text\/xml/);
    t.equal(s.authorization, `Basic ${Buffer.from('vasp:secret').toString('base64')}`, 'credentials from the URL');
  }
  const byRecipient = new Map(rel5.seen.map((s) => [address(s.fields.Recipient).Number, s.fields.MMStatus]));
  t.equal(byRecipient.get('+15550000001'), 'Retrieved', 'delivered recipient reported Retrieved');
  t.equal(byRecipient.get('+15550000002'), 'Rejected', 'refused recipient reported Rejected');
  const r6 = rel6.seen[0]!;
  t.equal(r6.kind, 'DeliveryReportReq');
  t.equal(r6.namespace, `${BASE}REL-6-MM7-1-4`);
  t.equal(r6.mm7Version, '6.8.0');
  t.equal(r6.fields.MessageID, idB);
  t.equal(r6.fields.MMStatus, 'Retrieved');
  t.same(address(r6.fields.Recipient), { Number: '+15550000003' });
});

t.test('DeliverReq: a message to a VASP short code arrives with its content as a SOAP attachment', async (t) => {
  const rel6 = await vaspServer(t, `${BASE}REL-6-MM7-1-1`);
  const { gw } = await gateway(t, [vasp('mo', { senders: ['7010'], url: rel6.url, version: 'REL-6-MM7-1-1' })]);
  const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(3000, 0x5a), Buffer.from([0xff, 0xd9])]);
  const now = Date.now();
  const message: CoreMessage = {
    id: `mo-${now}`,
    originator: { address: '+15550000042', type: 'plmn' },
    recipients: [{ address: '7010', type: 'shortcode', kind: 'to' }],
    subject: 'vote',
    contentType: 'application/vnd.wap.multipart.mixed',
    parts: [
      { index: 0, contentType: 'text/plain', params: { charset: 'utf-8' }, size: 6, contentLocation: 'text.txt' },
      { index: 1, contentType: 'image/jpeg', size: jpeg.length, contentId: '<img1>' },
    ],
    expiresAt: now + 3600_000,
    deliveryReport: false,
    readReport: false,
    priority: 'high',
    messageClass: 'personal',
    origin: { iface: 'mm1', peer: 'handset' },
    receivedAt: now,
  };
  const route = gw.router.route(message, 0);
  t.equal(route?.peer, 'mm7:mo', 'a message to the short code routes to the VASP');
  await gw.store.queue.enqueue(message, [Buffer.from('YES 42'), jpeg], [route!.peer]);
  gw.workers.notify();
  const s = await until('the DeliverReq', () => rel6.seen[0]);
  t.equal(s.kind, 'DeliverReq');
  t.equal(s.namespace, `${BASE}REL-6-MM7-1-1`);
  t.equal(s.mm7Version, '6.5.0');
  t.same(address(s.fields.Sender), { Number: '+15550000042' });
  t.equal(s.fields.Subject, 'vote');
  t.equal(s.fields.Priority, 'High');
  t.match(s.contentType, /^multipart\/related/);
  // The attachment: a multipart/mixed with the text and the JPEG, bytes intact.
  const outer = partsOf(s.body, s.contentType);
  t.equal(outer.length, 2, 'SOAP part + content part');
  const content = outer.find((p) => /multipart\/mixed/i.test(p.head))!;
  t.ok(content, 'the content part is multipart/mixed');
  const inner = partsOf(content.body, /content-type:\s*([^\r\n]+)/i.exec(content.head)![1]!);
  t.equal(inner.length, 2);
  const decode = (p: { head: string; body: Buffer }) =>
    /base64/i.test(p.head) ? Buffer.from(p.body.toString('latin1'), 'base64') : p.body;
  t.equal(decode(inner[0]!).toString(), 'YES 42');
  t.ok(decode(inner[1]!).equals(jpeg), 'the JPEG arrives byte for byte');
  t.match(inner[1]!.head, /content-id:\s*<img1>/i);
  const href = (s.fields.Content as Record<string, string>)['@href'];
  t.match(
    content.head,
    new RegExp(`content-id:\\s*<${href!.replace(/^cid:/, '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}>`, 'i'),
    'Content href names the content part',
  );
  t.same(await waitStates(gw, message.id, ['delivered']), ['delivered']);
});

async function waitStates(gw: Gateway, id: string, want: string[]): Promise<string[] | undefined> {
  const end = Date.now() + 10_000;
  for (;;) {
    const s = await gw.store.queue.states(id);
    if ((s && JSON.stringify(s) === JSON.stringify(want)) || Date.now() > end) return s;
    await new Promise((r) => setTimeout(r, 25));
  }
}

t.test('a VASP that refuses (3001) or is down: retried, then dead-lettered with the reason', async (t) => {
  const refusing = await vaspServer(t, `${BASE}REL-6-MM7-1-4`, () => 3001);
  const dead = createServer();
  dead.listen(0, '127.0.0.1');
  await once(dead, 'listening');
  const downUrl = `http://127.0.0.1:${(dead.address() as AddressInfo).port}/mm7`;
  await new Promise<void>((r) => dead.close(() => r()));
  const { gw } = await gateway(t, [
    vasp('busy', { senders: ['7020'], url: refusing.url }),
    vasp('down', { senders: ['7030'], url: downUrl }),
  ]);
  const now = Date.now();
  const mo = (id: string, to: string): CoreMessage => ({
    id,
    originator: { address: '+15550000077', type: 'plmn' },
    recipients: [{ address: to, type: 'shortcode', kind: 'to' }],
    contentType: 'text/plain',
    parts: [{ index: 0, contentType: 'text/plain', size: 2 }],
    expiresAt: now + 3600_000,
    deliveryReport: false,
    readReport: false,
    priority: 'normal',
    messageClass: 'personal',
    origin: { iface: 'mm1', peer: 'handset' },
    receivedAt: now,
  });
  await gw.store.queue.enqueue(mo(`busy-${now}`, '7020'), [Buffer.from('hi')], ['mm7:busy']);
  await gw.store.queue.enqueue(mo(`down-${now}`, '7030'), [Buffer.from('hi')], ['mm7:down']);
  gw.workers.notify();
  t.same(await waitStates(gw, `busy-${now}`, ['failed']), ['failed'], 'refused job ends failed');
  t.same(await waitStates(gw, `down-${now}`, ['failed']), ['failed'], 'unreachable job ends failed');
  t.equal(refusing.seen.length, 3, 'three attempts (maxAttempts 3)');
  const dl = await gw.store.queue.deadLetters(10);
  const busy = dl.find((d) => d.messageId === `busy-${now}`);
  const down = dl.find((d) => d.messageId === `down-${now}`);
  t.match(busy?.error, /VASP busy answered 3001/, 'the dead letter says what the VASP answered');
  t.equal(busy?.peer, 'mm7:busy');
  t.match(down?.error, /VASP down not reached/, 'the dead letter says the VASP was not reached');
  t.equal(down?.attempts, 3);
});

/** The events before a final one (accepted, queued, scheduled): a REST submission with a callbackUrl gets them too. */
const PROGRESS: ReadonlySet<string> = new Set(['accepted', 'queued', 'scheduled']);

t.test('REST: delivery events are POSTed as JSON to the callbackUrl; a 404 callback is not retried', async (t) => {
  const events: Array<Record<string, unknown>> = [];
  let answer = 204;
  const cb = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      // The final events only: accepted and queued come first (test/rest/webhooks.test.ts looks at them).
      if (PROGRESS.has(String(body.type))) return void res.writeHead(204).end();
      events.push({
        ...body,
        contentType: req.headers['content-type'],
        path: req.url,
      });
      res.writeHead(answer).end();
    });
  });
  cb.listen(0, '127.0.0.1');
  await once(cb, 'listening');
  t.teardown(() => new Promise<void>((r) => cb.close(() => r())));
  const cbUrl = `http://127.0.0.1:${(cb.address() as AddressInfo).port}/events`;
  // The callback receiver is on loopback, which the outbound guard refuses unless the operator allows it.
  const { gw, mm7 } = await gateway(t, [vasp('rest', { senders: ['7040'] })], { outbound: { allow: ['127.0.0.1/32'] } });
  const send = async (to: string[]) => {
    const form = new FormData();
    for (const n of to) form.append('to', n);
    form.append('text', 'hello');
    form.append('callbackUrl', cbUrl);
    const r = await restCall(mm7, 'POST', '/v1/messages', { body: form, auth: basic('rest', 'pw-rest') });
    t.equal(r.status, 202);
    return (r.body as { messageId: string }).messageId;
  };
  const id = await send(['+15550000001', '+15550000002']);
  await until('two events', () => events.length >= 2);
  const byRecipient = new Map(events.map((e) => [e.recipient, e]));
  t.match(byRecipient.get('+15550000001'), {
    type: 'delivered',
    messageId: id,
    contentType: 'application/json',
    path: '/events',
  });
  t.match(byRecipient.get('+15550000002'), { messageId: id, type: 'rejected', detail: 'handset refused the message' });
  t.not(events[0]!.eventId, events[1]!.eventId, 'each event has its own id');
  t.ok(!Number.isNaN(Date.parse(String(events[0]!.at))), 'at is a date');

  answer = 404;
  const id2 = await send(['+15550000003']);
  await until('the third event', () => events.length >= 3);
  await new Promise((r) => setTimeout(r, 300));
  t.equal(events.length, 3, 'a 404 from the callback is final: not retried');
  const reportJob = (await gw.store.queue.deadLetters(10)).find((d) => d.messageId === id2);
  t.equal(reportJob, undefined, 'and not a dead letter of the original');
});

t.test('REST: callbacks to loopback in any form reach loopback when outbound.allow covers it', async (t) => {
  const events: Array<{ path: string; local: string; messageId: string }> = [];
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const e = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { messageId: string; type: string };
      if (PROGRESS.has(e.type)) return void res.writeHead(204).end();
      events.push({ path: req.url ?? '', local: req.socket.localAddress ?? '', messageId: e.messageId });
      res.writeHead(204).end();
    });
  };
  // One port on 127.0.0.1 and ::1 (localhost may resolve to either).
  const v4 = createServer(handler).listen(0, '127.0.0.1');
  await once(v4, 'listening');
  const port = (v4.address() as AddressInfo).port;
  const v6 = createServer(handler).listen(port, '::1');
  await once(v6, 'listening');
  t.teardown(() => Promise.all([v4, v6].map((s) => new Promise<void>((r) => s.close(() => r())))));
  const forms = ['127.0.0.1', '127.1', '2130706433', '0x7f000001', '[::1]', '[::ffff:127.0.0.1]', 'localhost'];
  const { mm7 } = await gateway(t, [vasp('loop', { senders: ['7050'] })], { outbound: { allow: ['127.0.0.0/8', '::1/128'] } });
  const ids = new Map<string, string>();
  for (const [i, host] of forms.entries()) {
    const form = new FormData();
    form.append('to', '+15550000001');
    form.append('text', 'hello');
    form.append('callbackUrl', `http://${host}:${port}/cb/${i}`);
    const r = await restCall(mm7, 'POST', '/v1/messages', { body: form, auth: basic('loop', 'pw-loop') });
    t.equal(r.status, 202, `${host}: accepted`);
    ids.set(`/cb/${i}`, (r.body as { messageId: string }).messageId);
  }
  await until('an event per form', () => events.length >= forms.length);
  t.strictSame(events.map((e) => e.path).sort(), forms.map((_, i) => `/cb/${i}`).sort(), 'each callback arrived once');
  for (const e of events) t.equal(e.messageId, ids.get(e.path), `${e.path}: the event of its message`);
  t.equal(events.find((e) => e.path === '/cb/4')?.local, '::1', '[::1] over IPv6');
  t.ok(
    events.filter((e) => e.path !== '/cb/4' && e.path !== '/cb/6').every((e) => e.local === '127.0.0.1'),
    'the IPv4 forms to 127.0.0.1',
  );
});

t.test('a message that expires before any attempt: the VASP still gets DeliveryReportReq Expired', async (t) => {
  const vaspSide = await vaspServer(t, `${BASE}REL-6-MM7-1-4`);
  const { mm7 } = await gateway(t, [vasp('late', { senders: ['7060'], url: vaspSide.url })]);
  // Due only after it expires: the store ends it 'expired' in a take, without a worker ever holding it.
  const xml = submitReq(`${BASE}REL-6-MM7-1-4`, '6.8.0', 'late', '7060', ['15550000008']).replace(
    '<mm7:Subject>hello</mm7:Subject>',
    '<mm7:ExpiryDate>PT1S</mm7:ExpiryDate><mm7:EarliestDeliveryTime>PT2S</mm7:EarliestDeliveryTime><mm7:Subject>hello</mm7:Subject>',
  );
  const answer = await post(mm7, xml, 'late');
  const id = /<(?:\w+:)?MessageID>([^<]+)</.exec(answer)?.[1];
  t.ok(id, `accepted (${/<(?:\w+:)?StatusText>([^<]*)</.exec(answer)?.[1]})`);
  const report = await until('the Expired report', () => vaspSide.seen.find((s) => s.kind === 'DeliveryReportReq'), 15_000);
  t.equal(report.fields.MessageID, id);
  t.equal(report.fields.MMStatus, 'Expired');
  t.same(address(report.fields.Recipient), { Number: '+15550000008' });
});
