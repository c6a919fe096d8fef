// The MM4 listener over real SMTP on loopback, with the embedded store: a peer's MM4_forward.REQ to a local
// subscriber is queued and answered 250; default deny, no relay, SIZE at MAIL FROM and during DATA, a store
// that is down, a malformed message. nodemailer is the peer where it can be (the happy path); a raw socket
// where the exact replies to single commands matter.
import { connect, type Socket } from 'node:net';
import { createTransport } from 'nodemailer';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import type { Route } from '../../src/core/router.js';
import { StaticRouter } from '../../src/core/static-router.js';
import { Mm4Server } from '../../src/mm4/server.js';
import { ConfigSchema } from '../../src/ops/config.js';
import { Metrics } from '../../src/ops/metrics.js';
import { createMemoryStore } from '../../src/store/memory/index.js';

const DOMAIN = 'mms.mnc001.mcc001.gprs';
const LOCAL = '+15550001111';

/** A route for our subscribers (+1555...): never used to deliver here, only to route. */
const local: Route = {
  peer: 'mm1',
  limits: { rate: 100, burst: 100, maxInFlight: 10 },
  send: () => Promise.reject(new Error('not delivered in this test')),
};

type Mm4Input = Record<string, unknown>;

async function start(t: Test, mm4: Mm4Input = {}, opts: { enqueueFails?: boolean } = {}) {
  const config = ConfigSchema.parse({
    mm4: {
      enabled: true,
      port: 0,
      domains: [DOMAIN],
      maxMessageBytes: 4096,
      peers: [
        { id: 'carrier-b', allow: ['127.0.0.1/32', '::1/128'], rate: 1000, burst: 1000 },
        { id: 'far-away', allow: ['192.0.2.0/24'] },
      ],
      ...mm4,
    },
  }).mm4;
  const store = createMemoryStore();
  const queue = opts.enqueueFails
    ? Object.assign(Object.create(store.queue) as typeof store.queue, {
        enqueue: () => Promise.reject(new Error('store down')),
      })
    : store.queue;
  const metrics = new Metrics();
  const router = new StaticRouter().add((m, i) => m.recipients[i]!.address.startsWith('+1555'), local, 'local');
  const server = new Mm4Server({ config, queue, throttle: store.throttle, router, metrics, log: pino({ level: 'silent' }) });
  const url = new URL(await server.listen('127.0.0.1', 0));
  t.teardown(() => server.close());
  return { port: Number(url.port), queue: store.queue, metrics };
}

function forwardReq(opts: { to?: string; body?: string; messageId?: string } = {}): string {
  const to = opts.to ?? `${LOCAL}/TYPE=PLMN@${DOMAIN}`;
  return [
    'X-Mms-3GPP-MMS-Version: 6.10.0',
    'X-Mms-Message-Type: MM4_forward.REQ',
    'X-Mms-Transaction-ID: "tx-0001@mms.mnc002.mcc001.gprs"',
    `X-Mms-Message-ID: "${opts.messageId ?? 'msg-0001@mms.mnc002.mcc001.gprs'}"`,
    'X-Mms-Originator-System: system-user@mms.mnc002.mcc001.gprs',
    'X-Mms-Ack-Request: No',
    'From: +15559998888/TYPE=PLMN@mms.mnc002.mcc001.gprs',
    `To: ${to}`,
    'Subject: hello',
    'Date: Sun, 06 Dec 2026 12:00:00 +0000',
    'Content-Type: text/plain; charset=utf-8',
    '',
    opts.body ?? 'Hi there',
    '',
  ].join('\r\n');
}

/** A line-by-line SMTP client: each call sends one command and resolves to the whole reply. */
class Raw {
  private buf = '';
  private waiting: ((reply: string) => void) | undefined;
  readonly closed: Promise<void>;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.buf += d;
      this.flush();
    });
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
  }

  static async open(port: number): Promise<{ raw: Raw; greeting: string }> {
    const socket = connect(port, '127.0.0.1');
    const raw = new Raw(socket);
    return { raw, greeting: await raw.reply() };
  }

  private flush(): void {
    // A reply ends with a line "ddd text" (RFC 5321 §4.2.1: "ddd-" continues it).
    const m = /(^|\r\n)\d{3} [^\r\n]*\r\n/.exec(this.buf);
    if (!m || !this.waiting) return;
    const end = m.index + m[0].length;
    const reply = this.buf.slice(0, end);
    this.buf = this.buf.slice(end);
    const w = this.waiting;
    this.waiting = undefined;
    w(reply.trimEnd());
  }

  reply(): Promise<string> {
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.flush();
    });
  }

  send(line: string): Promise<string> {
    const r = this.reply();
    this.socket.write(`${line}\r\n`);
    return r;
  }

  write(bytes: string): void {
    this.socket.write(bytes);
  }

  end(): void {
    this.socket.destroy();
  }
}

async function session(t: Test, port: number): Promise<Raw> {
  const { raw, greeting } = await Raw.open(port);
  t.teardown(() => raw.end());
  t.match(greeting, /^220 /, 'greeted');
  return raw;
}

t.test("an allowed peer's forward to a local subscriber is queued, then answered 250 (nodemailer as the peer)", async (t) => {
  const { port, queue, metrics } = await start(t);
  const mailer = createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  t.teardown(() => mailer.close());
  const info = await mailer.sendMail({
    envelope: { from: `+15559998888/TYPE=PLMN@mms.mnc002.mcc001.gprs`, to: [`${LOCAL}/TYPE=PLMN@${DOMAIN}`] },
    raw: forwardReq(),
  });
  t.match(info.response, /^250 2\.6\.0 queued as /);
  t.equal((await queue.stats()).waiting, 1, 'the message is in the queue');
  const id = /queued as (\S+)/.exec(info.response)![1]!;
  const m = await queue.message(id);
  t.match(m, {
    originator: { address: '+15559998888', type: 'plmn' },
    recipients: [{ address: LOCAL, type: 'plmn', kind: 'to' }],
    origin: { iface: 'mm4', peer: 'carrier-b' },
    subject: 'hello',
    contentType: 'text/plain',
  });
  t.same(
    (await queue.content(id))?.map((b) => b.toString('utf8')),
    ['Hi there\r\n'],
  );
  const text = await metrics.registry.metrics();
  t.match(text, /mmsc_mm4_messages_total\{peer="carrier-b",type="MM4_forward.REQ",result="accepted",service="mmsc"\} 1/);
  t.match(text, /mmsc_mm4_sessions_total\{peer="carrier-b",result="accepted",service="mmsc"\} 1/);
});

t.test('EHLO announces SIZE (with the limit) and 8BITMIME; no AUTH when no peer uses it', async (t) => {
  const { port } = await start(t);
  const raw = await session(t, port);
  const ehlo = await raw.send('EHLO peer.example');
  t.match(ehlo, /250[- ]SIZE 4096\r?$/m);
  t.match(ehlo, /250[- ]8BITMIME/);
  t.notMatch(ehlo, /AUTH/);
  t.notMatch(ehlo, /STARTTLS/);
});

t.test('an address no peer may use is refused at the greeting, 5.7.1 (default deny)', async (t) => {
  const { port, metrics } = await start(t, { peers: [{ id: 'far-away', allow: ['192.0.2.0/24'] }] });
  const { raw, greeting } = await Raw.open(port);
  t.teardown(() => raw.end());
  t.match(greeting, /^554 5\.7\.1 /);
  await raw.closed;
  t.match(await metrics.registry.metrics(), /mmsc_mm4_sessions_total\{peer="unknown",result="refused",service="mmsc"\} 1/);
});

t.test('RCPT TO in a domain not ours is refused 550 5.7.1 (no relay); ours is taken', async (t) => {
  const { port } = await start(t);
  const raw = await session(t, port);
  await raw.send('EHLO peer.example');
  t.match(await raw.send('MAIL FROM:<+15559998888/TYPE=PLMN@mms.mnc002.mcc001.gprs>'), /^250 /);
  t.match(await raw.send('RCPT TO:<+15550001111/TYPE=PLMN@mms.mnc003.mcc001.gprs>'), /^550 5\.7\.1 relay denied/);
  t.match(await raw.send('RCPT TO:<user@example.org>'), /^550 5\.7\.1 /);
  t.match(await raw.send(`RCPT TO:<${LOCAL}/TYPE=PLMN@${DOMAIN.toUpperCase()}>`), /^250 /, 'domains compare without case');
});

t.test('RCPT TO a mailbox of our domain (where a peer sends MM4_forward.RES and reports) is taken; one elsewhere is not', async (t) => {
  const { port } = await start(t);
  const raw = await session(t, port);
  await raw.send('EHLO peer.example');
  t.match(await raw.send('MAIL FROM:<system-user@mms.mnc002.mcc001.gprs>'), /^250 /);
  t.match(await raw.send(`RCPT TO:<system-user@${DOMAIN}>`), /^250 /, 'the X-Mms-Originator-System mailbox we send');
  t.match(await raw.send(`RCPT TO:<PostMaster@${DOMAIN.toUpperCase()}>`), /^250 /, 'any case');
  t.match(await raw.send(`RCPT TO:<system-user@x.${DOMAIN}>`), /^550 5\.7\.1 /, 'a subdomain is another domain');
});

t.test('SIZE over the limit is refused at MAIL FROM with 552', async (t) => {
  const { port } = await start(t);
  const raw = await session(t, port);
  await raw.send('EHLO peer.example');
  t.match(await raw.send('MAIL FROM:<+15559998888/TYPE=PLMN@mms.mnc002.mcc001.gprs> SIZE=5000'), /^552 /);
  t.match(await raw.send('MAIL FROM:<+15559998888/TYPE=PLMN@mms.mnc002.mcc001.gprs> SIZE=4000'), /^250 /);
});

async function transaction(raw: Raw, data: string): Promise<string> {
  await raw.send('EHLO peer.example');
  await raw.send('MAIL FROM:<+15559998888/TYPE=PLMN@mms.mnc002.mcc001.gprs>');
  await raw.send(`RCPT TO:<${LOCAL}/TYPE=PLMN@${DOMAIN}>`);
  const go = await raw.send('DATA');
  if (!go.startsWith('354')) return go;
  // RFC 5321 §4.5.2: a line starting with "." gets another.
  const r = raw.reply();
  raw.write(`${data.replace(/^\./gm, '..')}\r\n.\r\n`);
  return r;
}

t.test('DATA over the limit (no SIZE declared) is answered 552 5.3.4, nothing queued', async (t) => {
  const { port, queue } = await start(t);
  const raw = await session(t, port);
  t.match(await transaction(raw, forwardReq({ body: 'x'.repeat(5000) })), /^552 5\.3\.4 /);
  t.equal((await queue.stats()).waiting, 0);
  // The session goes on: the next transaction is taken.
  t.match(await transaction(raw, forwardReq()), /^250 /);
});

t.test('a store that is down answers 451 4.3.0: the peer retries', async (t) => {
  const { port } = await start(t, {}, { enqueueFails: true });
  const raw = await session(t, port);
  t.match(await transaction(raw, forwardReq()), /^451 4\.3\.0 /);
});

t.test('a malformed MM4 message is refused 554 5.6.0, with a metric', async (t) => {
  const { port, metrics, queue } = await start(t);
  const raw = await session(t, port);
  t.match(await transaction(raw, 'Subject: not MM4\r\n\r\nhello\r\n'), /^554 5\.6\.0 /);
  t.equal((await queue.stats()).waiting, 0);
  t.match(
    await metrics.registry.metrics(),
    /mmsc_mm4_messages_total\{peer="carrier-b",type="unparsed",result="format-corrupt",service="mmsc"\} 1/,
  );
});

t.test('a recipient no route reaches refuses the forward 550 5.4.4 (unroutable)', async (t) => {
  const { port, queue } = await start(t);
  const raw = await session(t, port);
  await raw.send('EHLO peer.example');
  await raw.send('MAIL FROM:<+15559998888/TYPE=PLMN@mms.mnc002.mcc001.gprs>');
  await raw.send(`RCPT TO:<+4479000000/TYPE=PLMN@${DOMAIN}>`);
  await raw.send('DATA');
  const r = raw.reply();
  raw.write(`${forwardReq({ to: `+4479000000/TYPE=PLMN@${DOMAIN}` })}\r\n.\r\n`);
  t.match(await r, /^550 5\.4\.4 /);
  t.equal((await queue.stats()).waiting, 0);
});

t.test('a peer that uses AUTH: MAIL before AUTH refused 5.7.1, wrong password 535, right one taken', async (t) => {
  const { port } = await start(t, { peers: [{ id: 'hub', authUser: 'hub', authPassword: 'secret-pw' }] });
  const raw = await session(t, port);
  t.match(await raw.send('EHLO peer.example'), /AUTH PLAIN LOGIN/);
  t.match(await raw.send('MAIL FROM:<+15559998888/TYPE=PLMN@mms.mnc002.mcc001.gprs>'), /^550 5\.7\.1 /);
  const plain = (u: string, p: string) => Buffer.from(`\0${u}\0${p}`).toString('base64');
  t.match(await raw.send(`AUTH PLAIN ${plain('hub', 'wrong')}`), /^535 /);
  t.match(await raw.send(`AUTH PLAIN ${plain('hub', 'secret-pw')}`), /^235 /);
  t.match(await raw.send('MAIL FROM:<+15559998888/TYPE=PLMN@mms.mnc002.mcc001.gprs>'), /^250 /);
});

t.test("a peer's connection cap: the session over it is refused 421", async (t) => {
  const { port } = await start(t, { peers: [{ id: 'carrier-b', allow: ['127.0.0.1/32'], maxConnections: 1 }] });
  const first = await session(t, port);
  t.match(await first.send('EHLO peer.example'), /^250/);
  const { raw, greeting } = await Raw.open(port);
  t.teardown(() => raw.end());
  t.match(greeting, /^421 4\.7\.0 /);
});

t.test('config: a peer identified by nothing, and mm4 enabled without domains, fail naming the key', async (t) => {
  const bad = (mm4: Mm4Input) => ConfigSchema.safeParse({ mm4 }).error?.issues.map((i) => i.path.join('.'));
  t.same(bad({ peers: [{ id: 'x' }] }), ['mm4.peers.0.allow']);
  t.same(bad({ enabled: true }), ['mm4.domains']);
  t.same(bad({ peers: [{ id: 'x', allow: ['10.0.0.0/33'] }] }), ['mm4.peers.0.allow.0']);
  t.same(bad({ peers: [{ id: 'x', authUser: 'u' }] }), ['mm4.peers.0.authPassword']);
});

t.test('a peer that stalls mid-DATA is cut after mm4.dataTimeoutMs, and nothing is queued', async (t) => {
  const { port, queue } = await start(t, { dataTimeoutMs: 300 });
  const raw = await session(t, port);
  await raw.send('EHLO peer.example');
  await raw.send('MAIL FROM:<+15559998888/TYPE=PLMN@mms.mnc002.mcc001.gprs>');
  await raw.send(`RCPT TO:<${LOCAL}/TYPE=PLMN@${DOMAIN}>`);
  t.match(await raw.send('DATA'), /^354/);
  raw.write(forwardReq().slice(0, 100));
  const started = Date.now();
  await raw.closed;
  t.ok(Date.now() - started < 5000, 'closed by the DATA timeout, not the idle one');
  t.equal((await queue.stats()).waiting, 0);
});
