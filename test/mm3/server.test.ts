// The MM3 listener over real SMTP on loopback, with the embedded store: an e-mail from an allowed relay to
// +N@<our MMS domain> is queued as an MMS to that subscriber (text/plain kept of an alternative, attachments as
// named parts, the sender's mailbox as originator) and answered 250; another source address (127.0.0.2, still
// loopback) is refused; no relay; no mailboxes but numbers; SIZE at MAIL FROM and during DATA.
import { createTransport } from 'nodemailer';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import type { Route } from '../../src/core/router.js';
import { StaticRouter } from '../../src/core/static-router.js';
import { Mm3Server } from '../../src/mm3/server.js';
import { ConfigSchema } from '../../src/ops/config.js';
import { Metrics } from '../../src/ops/metrics.js';
import { createMemoryStore } from '../../src/store/memory/index.js';
import { rawSession } from './sink.js';

const DOMAIN = 'mms.example.net';
const LOCAL = '+15550001111';
const PNG = Buffer.from(Array.from({ length: 2500 }, (_, i) => (i * 11 + 5) & 0xff));

/** A route for our subscribers (+1555...): never used to deliver here, only to route. */
const local: Route = {
  peer: 'mm1',
  limits: { rate: 100, burst: 100, maxInFlight: 10 },
  send: () => Promise.reject(new Error('not delivered in this test')),
};

async function start(t: Test, mm3: Record<string, unknown> = {}) {
  const config = ConfigSchema.parse({
    mm3: { enabled: true, port: 0, domain: DOMAIN, relays: ['127.0.0.1/32'], maxMessageBytes: 8192, ...mm3 },
  }).mm3;
  const store = createMemoryStore();
  const metrics = new Metrics();
  const router = new StaticRouter().add((m, i) => m.recipients[i]!.address.startsWith('+1555'), local, 'local');
  const server = new Mm3Server({ config, queue: store.queue, throttle: store.throttle, router, metrics, log: pino({ level: 'silent' }) });
  const url = new URL(await server.listen('127.0.0.1', 0));
  t.teardown(() => server.close());
  return { port: Number(url.port), queue: store.queue, metrics };
}

t.test('an e-mail from an allowed relay becomes an MMS to the subscriber, queued, then answered 250', async (t) => {
  const { port, queue, metrics } = await start(t);
  const mailer = createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  t.teardown(() => mailer.close());
  const info = await mailer.sendMail({
    from: 'Ann Example <ann@example.org>',
    to: `${LOCAL}@${DOMAIN}`,
    subject: 'Grüße aus Wien',
    text: 'Hello phone, ü',
    html: '<p>Hello <b>phone</b></p>',
    headers: { 'Disposition-Notification-To': 'ann@example.org' },
    attachments: [{ filename: 'photo.png', content: PNG, contentType: 'image/png' }],
  });
  t.match(info.response, /^250 2\.6\.0 queued as /);
  const id = /queued as (\S+)/.exec(info.response)![1]!;
  const m = await queue.message(id);
  t.match(m, {
    originator: { address: 'ann@example.org', type: 'email' },
    recipients: [{ address: LOCAL, type: 'plmn', kind: 'to' }],
    origin: { iface: 'mm3' },
    subject: 'Grüße aus Wien',
    contentType: 'application/vnd.wap.multipart.mixed',
    readReport: true,
    deliveryReport: false,
  });
  t.same(
    m!.parts.map((p) => [p.contentType, p.contentLocation]),
    [
      ['text/plain', undefined],
      ['image/png', 'photo.png'],
    ],
    'the plain text of the alternative, not the HTML; the attachment named',
  );
  const content = await queue.content(id);
  t.equal(content![0]!.toString('utf8'), 'Hello phone, ü');
  t.ok(content![1]!.equals(PNG), 'the attachment byte for byte');
  t.match(await metrics.registry.metrics(), /mmsc_mm3_messages_total\{direction="in",kind="message",result="accepted",service="mmsc"\} 1/);
});

t.test('an HTML-only e-mail keeps its HTML as the part; NOTIFY=SUCCESS asks for a delivery report', async (t) => {
  const { port, queue } = await start(t);
  const { raw } = await rawSession(t, port);
  await raw.send('EHLO relay.example');
  t.match(await raw.send('MAIL FROM:<bob@example.org>'), /^250 /);
  t.match(await raw.send(`RCPT TO:<${LOCAL}@${DOMAIN}> NOTIFY=SUCCESS,FAILURE`), /^250 /);
  t.match(await raw.send('DATA'), /^354 /);
  const reply = raw.reply();
  raw.write(
    ['From: bob@example.org', 'Subject: html', 'Content-Type: text/html; charset=utf-8', '', '<p>only html</p>', '.', ''].join('\r\n'),
  );
  const r = await reply;
  t.match(r, /^250 2\.6\.0 queued as /);
  const m = await queue.message(/queued as (\S+)/.exec(r)![1]!);
  t.match(m, {
    originator: { address: 'bob@example.org', type: 'email' },
    contentType: 'text/html',
    deliveryReport: true,
    readReport: false,
  });
});

t.test('a source address that is no allowed relay is refused at the greeting (127.0.0.2, loopback)', async (t) => {
  const { port, metrics } = await start(t);
  const { raw, greeting } = await rawSession(t, port, '127.0.0.2');
  t.match(greeting, /^554 5\.7\.1 /);
  await raw.closed;
  t.match(await metrics.registry.metrics(), /mmsc_mm3_sessions_total\{result="refused",service="mmsc"\} 1/);
  const none = await start(t, { relays: [] });
  const { greeting: g2 } = await rawSession(t, none.port);
  t.match(g2, /^554 /, 'no relays configured: nobody (default deny)');
});

t.test('RCPT TO: another domain is relay denied, a non-number mailbox refused, a number of ours taken', async (t) => {
  const { port } = await start(t);
  const { raw } = await rawSession(t, port);
  await raw.send('EHLO relay.example');
  t.match(await raw.send('MAIL FROM:<ann@example.org>'), /^250 /);
  t.match(await raw.send(`RCPT TO:<${LOCAL}@other.example>`), /^550 5\.7\.1 relay denied/);
  t.match(await raw.send('RCPT TO:<someone@example.org>'), /^550 5\.7\.1 /);
  t.match(await raw.send(`RCPT TO:<postmaster@${DOMAIN}>`), /^550 5\.1\.1 no such mailbox/);
  t.match(await raw.send(`RCPT TO:<${LOCAL}@${DOMAIN.toUpperCase()}>`), /^250 /, 'domains compare without case');
  t.match(await raw.send(`RCPT TO:<15550002222@${DOMAIN}>`), /^250 /, 'international digits without "+"');
});

t.test("a subscriber no route reaches is refused at RCPT, 550 5.4.4 (the catalogue's unroutable); the others still go", async (t) => {
  const { port, queue } = await start(t);
  const { raw } = await rawSession(t, port);
  await raw.send('EHLO relay.example');
  await raw.send('MAIL FROM:<ann@example.org>');
  t.match(await raw.send(`RCPT TO:<+19990001111@${DOMAIN}>`), /^550 5\.4\.4 recipient \+19990001111 cannot be reached/);
  const mailer = createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  t.teardown(() => mailer.close());
  const info = await mailer.sendMail({ from: 'ann@example.org', to: [`+19990001111@${DOMAIN}`, `${LOCAL}@${DOMAIN}`], text: 'hi' });
  t.same(info.rejected, [`+19990001111@${DOMAIN}`]);
  const m = await queue.message(/queued as (\S+)/.exec(info.response)![1]!);
  t.same(
    m?.recipients.map((r) => r.address),
    [LOCAL],
    'queued for the reachable one',
  );
});

t.test('SIZE over the limit is refused at MAIL FROM, and a bigger DATA with 552', async (t) => {
  const { port, queue, metrics } = await start(t);
  const { raw } = await rawSession(t, port);
  const ehlo = await raw.send('EHLO relay.example');
  t.match(ehlo, /250[- ]SIZE 8192\r?$/m);
  t.match(await raw.send('MAIL FROM:<ann@example.org> SIZE=9000'), /^552 /);
  t.match(await raw.send('MAIL FROM:<ann@example.org> SIZE=100'), /^250 /);
  t.match(await raw.send(`RCPT TO:<${LOCAL}@${DOMAIN}>`), /^250 /);
  t.match(await raw.send('DATA'), /^354 /);
  const reply = raw.reply();
  raw.write(`From: ann@example.org\r\nSubject: big\r\n\r\n${'x'.repeat(76)}\r\n`.repeat(120));
  raw.write('.\r\n');
  t.match(await reply, /^552 /);
  t.equal((await queue.stats()).waiting, 0);
  t.match(
    await metrics.registry.metrics(),
    /mmsc_mm3_messages_total\{direction="in",kind="message",result="message-too-large",service="mmsc"\} 1/,
  );
});

t.test('malformed MIME is answered 554, not a crash', async (t) => {
  const { port } = await start(t);
  const { raw } = await rawSession(t, port);
  await raw.send('EHLO relay.example');
  await raw.send('MAIL FROM:<ann@example.org>');
  await raw.send(`RCPT TO:<${LOCAL}@${DOMAIN}>`);
  await raw.send('DATA');
  const reply = raw.reply();
  raw.write(
    [
      'From: ann@example.org',
      'Content-Type: multipart/mixed; boundary="b"',
      '',
      '--b',
      'Content-Type: text/plain',
      '',
      'never closed',
      '.',
      '',
    ].join('\r\n'),
  );
  t.match(await reply, /^554 5\.6\.0 malformed e-mail/);
  t.match(await raw.send('NOOP'), /^250 /, 'the session goes on');
});
