/**
 * Our MM4 outbound (src/mm4/peer-route.ts, Mm4PeerRoute) against a peer nobody here wrote: a private Postfix
 * instance started by run.sh on loopback, which requires STARTTLS (smtpd_tls_security_level = encrypt, a
 * self-signed certificate) and stores what it accepts in a Maildir. A forward with a text and an image part
 * goes out with TLS mode 'starttls-required'; the file Postfix stored is parsed back with parseMm4 and compared
 * with what was sent. Then the same mode towards a Postfix smtpd that offers no STARTTLS, and towards the
 * STARTTLS one without its CA, must end in `retry` with nothing sent in clear and nothing stored.
 * A check is one line: `ok` or `FAIL`; the last line is `N passed, M failed`.
 *
 * Environment (set by run.sh): TLS_PORT (Postfix smtpd, STARTTLS required), PLAIN_PORT (Postfix smtpd without
 * TLS, syslog_name postfix-plain), CA_FILE (the self-signed certificate), MAILDIR (where Postfix delivers the
 * peer domain's mail), MAILLOG (Postfix's maillog_file), SETUP_PASSED (run.sh's own ok lines).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { type Mm4ForwardReq, type Mm4Multipart, type Mm4Part, parseMm4 } from '../../protocols/mm4/index.js';
import type { CoreMessage } from '../../src/core/message.js';
import type { Delivery, DeliveryResult } from '../../src/core/router.js';
import { MM4_PEER_DEFAULTS, type Mm4PeerOutbound } from '../../src/mm4/peer-options.js';
import { Mm4PeerRoute } from '../../src/mm4/peer-route.js';

const OWN = 'mms.mnc001.mcc001.gprs';
const PEER_DOMAIN = 'mms.mnc002.mcc001.gprs';
const ORIGINATOR = '+15550001234';
const RECIPIENT = '+15559998888';

function env(name: string): string {
  const v = process.env[name];
  if (v === undefined || v === '') throw new Error(`${name} is not set (run conformance/mm4/run.sh)`);
  return v;
}

let passed = Number(process.env.SETUP_PASSED ?? 0);
let failed = Number(process.env.SETUP_FAILED ?? 0);
function report(name: string, ok: boolean, detail?: string): boolean {
  console.log(`${ok ? 'ok' : 'FAIL'} ${name}${detail ? ` (${detail})` : ''}`);
  if (ok) passed++;
  else failed++;
  return ok;
}

/** Text with a lone "." line and non-ASCII (DATA dot-stuffing, 8bit/QP); an image with every byte value. */
const TEXT = Buffer.from('Hello carrier B, from A: Grüße.\r\n.\r\nThe line above is a lone dot.\r\n', 'utf8');
const IMAGE = Buffer.concat([Buffer.from('GIF89a', 'latin1'), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 31 + 7) & 0xff))]);
const SUBJECT = 'Grüße über MM4 (interop)';

function message(id: string): CoreMessage {
  const now = Date.now();
  return {
    id,
    originator: { address: ORIGINATOR, type: 'plmn' },
    recipients: [{ address: RECIPIENT, type: 'plmn', kind: 'to' }],
    subject: SUBJECT,
    contentType: 'application/vnd.wap.multipart.related',
    contentTypeParams: { type: 'text/plain' },
    parts: [
      { index: 0, contentType: 'text/plain', params: { charset: 'utf-8' }, contentId: '<text1>', size: TEXT.length },
      { index: 1, contentType: 'image/gif', contentLocation: 'image1.gif', size: IMAGE.length },
    ],
    expiresAt: now + 3 * 86_400_000,
    deliveryReport: true,
    readReport: false,
    priority: 'high',
    messageClass: 'personal',
    origin: { iface: 'mm7', peer: 'vasp-interop' },
    receivedAt: now,
  };
}

function delivery(m: CoreMessage): Delivery {
  return { message: m, recipientIndex: 0, attempt: 1, content: async () => [TEXT, IMAGE] };
}

function peer(port: number, over: Partial<Mm4PeerOutbound> = {}): Mm4PeerOutbound {
  return {
    ...MM4_PEER_DEFAULTS,
    id: 'postfix',
    prefixes: ['+1555999'],
    domain: PEER_DOMAIN,
    host: '127.0.0.1',
    port,
    tls: 'starttls-required',
    originatorSystem: `system-user@${OWN}`,
    timeouts: { connectMs: 5000, greetingMs: 5000, socketMs: 15_000 },
    ...over,
  };
}

async function send(p: Mm4PeerOutbound, m: CoreMessage): Promise<DeliveryResult> {
  const route = new Mm4PeerRoute(p, { ownDomain: OWN, log: pino({ level: 'silent' }) });
  try {
    return await route.send(delivery(m));
  } finally {
    route.close();
  }
}

function stored(maildir: string): string[] {
  const files: string[] = [];
  for (const sub of ['new', 'cur']) {
    try {
      for (const f of readdirSync(join(maildir, sub))) files.push(join(maildir, sub, f));
    } catch {
      // Postfix creates the Maildir with the first delivery.
    }
  }
  return files.sort();
}

async function until<T>(what: () => T | undefined, ms: number): Promise<T | undefined> {
  const end = Date.now() + ms;
  for (;;) {
    const v = what();
    if (v !== undefined || Date.now() > end) return v;
    await sleep(100);
  }
}

/** The header block of a stored message, unfolded, as [name, value] in order. */
function headerFields(bytes: Buffer): [string, string][] {
  const text = bytes.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const block = (end < 0 ? text : text.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  return block.split(/\r?\n/).map((l) => {
    const i = l.indexOf(':');
    return [l.slice(0, i).trim(), l.slice(i + 1).trim()] as [string, string];
  });
}

async function main(): Promise<number> {
  const tlsPort = Number(env('TLS_PORT'));
  const plainPort = Number(env('PLAIN_PORT'));
  const ca = readFileSync(env('CA_FILE'), 'utf8');
  const maildir = env('MAILDIR');
  const maillog = env('MAILLOG');

  // --- 1. A forward over STARTTLS (required by both sides), stored by Postfix, parsed back.
  const before = stored(maildir).length;
  const m = message(`interop-${Date.now().toString(36)}`);
  const r = await send(peer(tlsPort, { ca }), m);
  // Accepted by Postfix (250); the MM asks for a delivery report, so the recipient waits for the peer's
  // MM4_delivery_report.REQ (TS 23.140 §8.4.2.1) instead of ending delivered at the 250.
  report(
    "forward to Postfix with tls 'starttls-required' and the self-signed CA: accepted, awaiting the delivery report",
    r.status === 'waiting' && /awaiting MM4_delivery_report/.test(r.detail ?? ''),
    JSON.stringify(r),
  );
  const file = await until(() => stored(maildir)[before], 20_000);
  if (!report('Postfix stored the forward in its Maildir', file !== undefined, maildir)) return 1;
  // Postfix's virtual(8) writes Maildir files with LF line ends (the local mail store's convention); the
  // message on the wire had CRLF (RFC 5321 §2.3.8). Back to the wire form before comparing bytes.
  const bytes = Buffer.from(readFileSync(file!).toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
  const fields = headerFields(bytes);
  const field = (name: string): string | undefined => fields.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
  const received = field('Received') ?? '';
  report(
    "Postfix's Received: field says the session was encrypted",
    /\(using TLSv1\.[23] with cipher /.test(received),
    received.slice(0, 160),
  );
  report(
    "Postfix's Delivered-To: is the envelope recipient in the PLMN form",
    field('Delivered-To') === `${RECIPIENT}/TYPE=PLMN@${PEER_DOMAIN}`,
    field('Delivered-To'),
  );
  report(
    "Postfix's Return-Path: is the envelope originator in the PLMN form",
    field('Return-Path') === `<${ORIGINATOR}/TYPE=PLMN@${OWN}>`,
    field('Return-Path'),
  );

  let fwd: Mm4ForwardReq | undefined;
  try {
    const parsed = await parseMm4(bytes);
    if (parsed.type === 'MM4_forward.REQ') fwd = parsed;
    report('the stored message parses back as MM4_forward.REQ', fwd !== undefined, parsed.type);
  } catch (err) {
    report('the stored message parses back as MM4_forward.REQ', false, String(err));
  }
  if (fwd) {
    report('X-Mms-Message-ID as sent', fwd.messageId === `${m.id}.0@${OWN}`, fwd.messageId);
    report('X-Mms-3GPP-MMS-Version 6.10.0', fwd.mmsVersion === '6.10.0', fwd.mmsVersion);
    report('X-Mms-Originator-System as sent', fwd.originatorSystem === `system-user@${OWN}`, fwd.originatorSystem);
    report('Subject as sent (RFC 2047, non-ASCII)', fwd.subject === SUBJECT, fwd.subject);
    const from = fwd.from.address;
    report(
      'From: the originator at our domain',
      from.kind === 'plmn' && from.number === ORIGINATOR && fwd.from.domain === OWN,
      JSON.stringify(fwd.from),
    );
    const to = fwd.to[0]?.address;
    report(
      'To: the recipient at the peer domain, and only it',
      fwd.to.length === 1 && fwd.cc.length === 0 && to?.kind === 'plmn' && to.number === RECIPIENT && fwd.to[0]?.domain === PEER_DOMAIN,
      JSON.stringify(fwd.to),
    );
    report('X-Mms-Priority High, X-Mms-Delivery-Report Yes', fwd.priority === 'High' && fwd.deliveryReport === true);
    const root = fwd.content as Mm4Multipart;
    report(
      'body: multipart/related with type=text/plain and two parts',
      root.contentType?.type === 'multipart/related' && root.contentType.params.type === 'text/plain' && root.parts?.length === 2,
      root.contentType?.type,
    );
    const [text, image] = (root.parts ?? []) as Mm4Part[];
    report(
      'text part: byte for byte, content type and Content-ID',
      !!text && text.body.equals(TEXT) && text.contentType.type === 'text/plain' && text.contentId === 'text1',
      text ? `${text.body.length} bytes, ${text.contentType.type}, ${text.contentId}` : 'missing',
    );
    report(
      'image part: byte for byte, content type and Content-Location',
      !!image && image.body.equals(IMAGE) && image.contentType.type === 'image/gif' && image.contentLocation === 'image1.gif',
      image ? `${image.body.length} bytes, ${image.contentType.type}, ${image.contentLocation}` : 'missing',
    );
  }

  // --- 2. 'starttls-required' towards an smtpd that offers no STARTTLS: not sent in clear, retried.
  const plain = await send(peer(plainPort, { ca }), message(`interop-plain-${Date.now().toString(36)}`));
  report(
    "tls 'starttls-required' to a Postfix smtpd without STARTTLS: retry, not sent in clear",
    plain.status === 'retry',
    JSON.stringify(plain),
  );
  const plainLog = await until(() => {
    const lines = readFileSync(maillog, 'utf8')
      .split('\n')
      .filter((l) => /postfix-plain\/smtpd\[\d+\]: disconnect from/.test(l));
    return lines.length > 0 ? lines[lines.length - 1] : undefined;
  }, 10_000);
  report(
    "Postfix's log of that session: no MAIL, no DATA",
    plainLog !== undefined && !/ (mail|rcpt|data)=/.test(plainLog),
    plainLog?.replace(/^.*disconnect from /, ''),
  );

  // --- 3. 'starttls-required' without the CA: the self-signed certificate is not trusted, nothing sent.
  const untrusted = await send(peer(tlsPort), message(`interop-noca-${Date.now().toString(36)}`));
  report(
    "tls 'starttls-required' without the peer's CA: retry (certificate not verified), nothing sent",
    untrusted.status === 'retry' && /certificate/i.test(untrusted.error),
    JSON.stringify(untrusted),
  );
  await sleep(1000);
  report(
    'Postfix stored nothing more than the one forward',
    stored(maildir).length === before + 1,
    `${stored(maildir).length - before} new`,
  );

  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

process.exitCode = await main().catch((err: unknown) => {
  console.log(`FAIL outbound driver crashed (${err instanceof Error ? err.stack : String(err)})`);
  console.log(`${passed} passed, ${failed + 1} failed`);
  return 1;
});
