// MM3 outbound (issue 22): MMs to e-mail recipients and reports to e-mail senders, through the relay (here an
// smtp-server sink on loopback). What it received is read back with protocols/mm4's header and MIME reader:
// From +N@domain, Subject, Message-ID, the text inline, media as named attachments, no SMIL; no header
// injection; DKIM-Signature verified with node:crypto against the public key; 4xx retried, 5xx rejected.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import type { Mm4Multipart, Mm4Part } from '../../protocols/mm4/index.js';
import type { CoreMessage } from '../../src/core/message.js';
import type { Delivery } from '../../src/core/router.js';
import { Mm3RelayRoute } from '../../src/mm3/relay-route.js';
import { ConfigSchema } from '../../src/ops/config.js';
import { Metrics } from '../../src/ops/metrics.js';
import { verifyDkim } from '../helpers/dkim.js';
import { freePort } from '../helpers/free-port.js';
import { textMessage } from '../helpers/messages.js';
import { readBack, sink } from './sink.js';

const DOMAIN = 'mms.example.net';
const log = pino({ level: 'silent' });

const SMIL = Buffer.from('<smil><body><par><img src="pic.jpg"/><text src="t.txt"/></par></body></smil>');
const TEXT = Buffer.from('Hello from a handset, ü\r\n.\r\nstill the text\r\n', 'utf8');
const IMAGE = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7 + 13) & 0xff));
const AUDIO = Buffer.from(Array.from({ length: 500 }, (_, i) => (i * 3) & 0xff));

function route(t: Test, relayPort: number, over: Record<string, unknown> = {}): { r: Mm3RelayRoute; metrics: Metrics } {
  const config = ConfigSchema.parse({
    mm3: { enabled: true, domain: DOMAIN, relayHost: '127.0.0.1', relayPort, relayTls: 'none', ...over },
  }).mm3;
  const metrics = new Metrics();
  const r = new Mm3RelayRoute(config, { metrics, log });
  t.teardown(() => r.close());
  return { r, metrics };
}

/** A multipart.related MM (SMIL, text, a named image, an unnamed audio clip) to an e-mail address. */
function mm(over: Partial<CoreMessage> = {}): CoreMessage {
  return textMessage('msg-1', 1, Date.UTC(2026, 11, 6, 12, 0, 0), {
    recipients: [{ address: 'ann@example.org', type: 'email', kind: 'to' }],
    subject: 'Grüße',
    contentType: 'application/vnd.wap.multipart.related',
    parts: [
      { index: 0, contentType: 'application/smil', contentLocation: 'pres.smil', size: SMIL.length },
      { index: 1, contentType: 'text/plain', params: { charset: 'utf-8' }, contentLocation: 't.txt', size: TEXT.length },
      { index: 2, contentType: 'image/jpeg', contentLocation: 'pic.jpg', size: IMAGE.length },
      { index: 3, contentType: 'audio/amr', size: AUDIO.length },
    ],
    ...over,
  });
}

function delivery(message: CoreMessage, recipientIndex = 0): Delivery {
  return { message, recipientIndex, attempt: 1, content: async () => [SMIL, TEXT, IMAGE, AUDIO] };
}

function disposition(p: Mm4Part): string | undefined {
  return p.headers?.find((h) => h.name.toLowerCase() === 'content-disposition')?.value;
}

t.test('an MM to an e-mail address arrives as multipart/mixed: text inline, media as named attachments, no SMIL', async (t) => {
  const relay = await sink(t);
  const { r, metrics } = route(t, relay.port);
  const result = await r.send(delivery(mm()));
  t.match(result, { status: 'delivered', detail: /accepted by the mail relay 127\.0\.0\.1:\d+: 250/ });
  t.equal(r.peer, 'mm3:relay');
  t.equal(relay.received.length, 1);
  const got = relay.received[0]!;
  t.equal(got.mailFrom, `+15550000001@${DOMAIN}`, 'the envelope sender is the originator at our MMS domain');
  t.same(got.rcptTo, ['ann@example.org']);
  const { headers, content } = await readBack(got.bytes);
  t.equal(headers.get('From'), `+15550000001@${DOMAIN}`);
  t.equal(headers.get('To'), 'ann@example.org');
  t.equal(headers.get('Message-ID'), `<msg-1.0@${DOMAIN}>`);
  t.equal(headers.get('Date'), 'Sun, 06 Dec 2026 12:00:00 +0000');
  t.match(headers.get('Subject'), /^=\?UTF-8\?/, 'the subject RFC 2047-encoded');
  t.equal(content.contentType.type, 'multipart/mixed');
  const parts = (content as Mm4Multipart).parts as Mm4Part[];
  t.same(
    parts.map((p) => p.contentType.type),
    ['text/plain', 'image/jpeg', 'audio/amr'],
    'SMIL dropped',
  );
  const [text, image, audio] = parts;
  t.ok(text!.body.equals(TEXT), 'the text byte for byte (a lone "." line survives DATA)');
  t.equal(text!.contentType.params.charset, 'utf-8');
  t.equal(disposition(text!), 'inline');
  t.ok(image!.body.equals(IMAGE), 'the image byte for byte');
  t.equal(disposition(image!), 'attachment; filename=pic.jpg', 'named from its Content-Location');
  t.ok(audio!.body.equals(AUDIO));
  t.equal(disposition(audio!), 'attachment; filename=part4.amr', 'an unnamed part named after its type');
  t.match(
    await metrics.registry.metrics(),
    /mmsc_mm3_messages_total\{direction="out",kind="message",result="delivered",service="mmsc"\} 1/,
  );
});

t.test('a short code originator is code@domain; a message of no parts still has a body', async (t) => {
  const relay = await sink(t);
  const { r } = route(t, relay.port);
  const m = mm({ originator: { address: '12345', type: 'shortcode' }, parts: [], subject: 'ping' });
  t.match(await r.send(delivery(m)), { status: 'delivered' });
  const { headers } = await readBack(relay.received[0]!.bytes);
  t.equal(headers.get('From'), `12345@${DOMAIN}`);
  t.equal(relay.received[0]!.mailFrom, `12345@${DOMAIN}`);
  t.equal(headers.get('Subject'), 'ping');
});

t.test('CR/LF in the subject or a part name cannot write a header field', async (t) => {
  const relay = await sink(t);
  const { r } = route(t, relay.port);
  const m = mm({ subject: 'hi\r\nBcc: evil@example.org\r\nX-Injected: 1' });
  m.parts[2]!.contentLocation = 'pic.jpg\r\nX-Part-Injected: 1';
  t.match(await r.send(delivery(m)), { status: 'delivered' });
  const raw = relay.received[0]!.bytes.toString('latin1');
  t.notMatch(raw, /^Bcc:/im, 'no Bcc field');
  t.notMatch(raw, /^X-Injected:/im);
  t.notMatch(raw, /^X-Part-Injected:/im);
  t.same(relay.received[0]!.rcptTo, ['ann@example.org'], 'nobody else in the envelope');
  const { headers } = await readBack(relay.received[0]!.bytes);
  t.equal(headers.getAll('Subject').length, 1);
});

t.test('with a DKIM key configured the mail is signed, and the signature verifies with the public key', async (t) => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const dir = mkdtempSync(join(tmpdir(), 'mm3-dkim-'));
  const keyFile = join(dir, 'dkim.pem');
  writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const relay = await sink(t);
  const { r } = route(t, relay.port, { dkimDomain: DOMAIN, dkimSelector: 'mm3', dkimKeyFile: keyFile });
  t.match(await r.send(delivery(mm())), { status: 'delivered' });
  const bytes = relay.received[0]!.bytes;
  const tags = verifyDkim(bytes, publicKey);
  t.equal(tags.d, DOMAIN);
  t.equal(tags.s, 'mm3');
  t.match(tags.h, /from/i, 'From is signed');
  // The same check fails on a changed message: it is a real verification.
  const tampered = Buffer.from(bytes.toString('latin1').replace('ann@example.org', 'bob@example.org'), 'latin1');
  t.throws(() => verifyDkim(tampered, publicKey), /does not verify/);
  const unsigned = await sink(t);
  const { r: plain } = route(t, unsigned.port);
  await plain.send(delivery(mm()));
  t.notMatch(unsigned.received[0]!.bytes.toString('latin1'), /^DKIM-Signature:/im, 'no key, no signature');
});

t.test('a DKIM key file that is no private key fails the config, naming the key', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mm3-dkim-'));
  writeFileSync(join(dir, 'bad.pem'), 'not a key');
  const r = ConfigSchema.safeParse({ mm3: { dkimDomain: DOMAIN, dkimSelector: 's', dkimKeyFile: join(dir, 'bad.pem') } });
  t.notOk(r.success);
  t.match(r.error?.issues[0], { path: ['mm3', 'dkimKeyFile'], message: /not a readable PEM private key/ });
  const half = ConfigSchema.safeParse({ mm3: { dkimDomain: DOMAIN } });
  t.match(half.error?.issues[0], { message: /go together/ });
});

t.test('relay replies: 4xx retried, 5xx rejected with the reply, a refused connection retried', async (t) => {
  const deferring = await sink(t, { data: () => [451, 'Requested action aborted: local error in processing'] });
  t.match(await route(t, deferring.port).r.send(delivery(mm())), { status: 'retry', error: /451 Requested action aborted/ });
  const greylisting = await sink(t, { rcpt: () => [450, 'Greylisted, try again later'] });
  t.match(await route(t, greylisting.port).r.send(delivery(mm())), { status: 'retry', error: /450 Greylisted/ });
  const unknown = await sink(t, { rcpt: () => [550, '5.1.1 No such user here'] });
  const { r, metrics } = route(t, unknown.port);
  t.match(await r.send(delivery(mm())), { status: 'rejected', detail: /refused it: 550 5\.1\.1 No such user here/ });
  t.match(await metrics.registry.metrics(), /mmsc_mm3_messages_total\{direction="out",kind="message",result="rejected",service="mmsc"\} 1/);
  const refused = await route(t, await freePort()).r.send(delivery(mm()));
  t.match(refused, { status: 'retry', error: /not reached: .*ECONNREFUSED/ });
});

t.test('over mm3.maxMessageBytes: rejected without connecting', async (t) => {
  const relay = await sink(t);
  const small = route(t, relay.port, { maxMessageBytes: 2048 }).r;
  t.match(await small.send(delivery(mm())), { status: 'rejected', detail: /over mm3\.maxMessageBytes \(2048\)/ });
  // The parts fit, the mail (headers, base64) does not.
  const tight = route(t, relay.port, { maxMessageBytes: SMIL.length + TEXT.length + IMAGE.length + AUDIO.length + 10 }).r;
  t.match(await tight.send(delivery(mm())), { status: 'rejected', detail: /e-mail of \d+ bytes is over/ });
  t.equal(relay.received.length, 0);
});

t.test("a report on an e-mail sender's message goes to its mailbox as plain text, from the null reverse-path", async (t) => {
  const relay = await sink(t);
  const { r, metrics } = route(t, relay.port);
  const report = textMessage('orig-1-r0', 1, Date.UTC(2026, 11, 6, 13, 0, 0), {
    originator: { address: '+15550001234', type: 'plmn' },
    recipients: [{ address: 'ann@example.org', type: 'email', kind: 'to' }],
    parts: [],
    subject: 'Holiday',
    origin: { iface: 'mm3', peer: 'relay' },
    report: {
      kind: 'read',
      messageId: 'orig-1',
      recipientIndex: 0,
      to: { iface: 'mm3', peer: 'relay' },
      status: 'read',
      at: Date.UTC(2026, 11, 6, 13, 0, 0),
    },
  });
  t.match(await r.send(delivery(report)), { status: 'delivered' });
  const got = relay.received[0]!;
  t.equal(got.mailFrom, '', 'MAIL FROM:<> (RFC 5321 §4.5.5): a report never bounces back');
  t.same(got.rcptTo, ['ann@example.org']);
  const { headers, content } = await readBack(got.bytes);
  t.equal(headers.get('From'), `+15550001234@${DOMAIN}`);
  t.equal(headers.get('Subject'), 'Read: Holiday');
  t.equal(headers.get('Auto-Submitted'), 'auto-replied');
  t.equal(content.contentType.type, 'text/plain');
  const body = (content as Mm4Part).body.toString('utf8');
  t.match(body, /Your message "Holiday" was read by \+15550001234/);
  t.match(body, /MMS message id: orig-1/);
  t.match(await metrics.registry.metrics(), /mmsc_mm3_messages_total\{direction="out",kind="report",result="delivered",service="mmsc"\} 1/);
});
