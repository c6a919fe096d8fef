/**
 * MM3 (3GPP TS 23.140 §8.3, RFC 4356) against software nobody here wrote: an MM to an e-mail recipient goes
 * through our MM3 relay route (src/mm3/relay-route.ts) to the private Postfix instance run.sh started, which
 * delivers it to a Maildir; the stored mail is then read by Python's standard `email` package (read_mail.py),
 * as a mail client would: From the originator as +N@<our MMS domain>, the subject decoded, the text as text,
 * the image as a named attachment with the same bytes, no SMIL.
 * A check is one line: `ok` or `FAIL`; the last line is `N passed, M failed`.
 *
 * Environment (set by run.sh): TLS_PORT (Postfix smtpd offering STARTTLS), MAILDIR (where Postfix delivers
 * the e-mail domain's mail).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import type { CoreMessage } from '../../src/core/message.js';
import { Mm3RelayRoute } from '../../src/mm3/relay-route.js';
import { ConfigSchema } from '../../src/ops/config.js';
import { Metrics } from '../../src/ops/metrics.js';

const OWN = 'mms.mnc001.mcc001.gprs';
const ORIGINATOR = '+15550001234';
const MAILBOX = 'alice@example.org';
const SUBJECT = 'Grüße vom Handy (MM3 interop)';
const TEXT = Buffer.from('Hi Alice, a picture from my phone. Grüße!\r\n', 'utf8');
const IMAGE = Buffer.concat([Buffer.from('GIF89a', 'latin1'), Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 13 + 5) & 0xff))]);
const SMIL = Buffer.from('<smil><body><par><img src="holiday.gif"/><text src="note.txt"/></par></body></smil>');

let passed = 0;
let failed = 0;
function report(name: string, ok: boolean, detail?: string): boolean {
  console.log(`${ok ? 'ok' : 'FAIL'} ${name}${detail ? ` (${detail})` : ''}`);
  if (ok) passed++;
  else failed++;
  return ok;
}

function env(name: string): string {
  const v = process.env[name];
  if (v === undefined || v === '') throw new Error(`${name} is not set (run conformance/mm4/run.sh)`);
  return v;
}

function stored(maildir: string): string[] {
  const files: string[] = [];
  for (const sub of ['new', 'cur']) {
    try {
      for (const f of readdirSync(join(maildir, sub))) files.push(join(maildir, sub, f));
    } catch {
      // Postfix creates the Maildir with its first delivery.
    }
  }
  return files.sort();
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface ReadMail {
  from: string;
  to: string;
  subject: string;
  messageId: string;
  contentType: string;
  parts: Array<{ type: string; filename: string | null; disposition: string | null; sha256: string; size: number; text?: string }>;
}

async function main(): Promise<number> {
  const maildir = env('MAILDIR');
  const config = ConfigSchema.parse({
    mm3: { domain: OWN, relayHost: '127.0.0.1', relayPort: Number(env('TLS_PORT')), relayTls: 'opportunistic' },
  }).mm3;
  const route = new Mm3RelayRoute(config, { metrics: new Metrics(), log: pino({ level: 'silent' }) });
  const now = Date.now();
  const m: CoreMessage = {
    id: `mm3-interop-${now.toString(36)}`,
    originator: { address: ORIGINATOR, type: 'plmn' },
    recipients: [{ address: MAILBOX, type: 'email', kind: 'to' }],
    subject: SUBJECT,
    contentType: 'application/vnd.wap.multipart.related',
    contentTypeParams: { type: 'application/smil' },
    parts: [
      { index: 0, contentType: 'application/smil', contentId: '<smil>', size: SMIL.length },
      { index: 1, contentType: 'image/gif', contentLocation: 'holiday.gif', size: IMAGE.length },
      { index: 2, contentType: 'text/plain', params: { charset: 'utf-8' }, contentLocation: 'note.txt', size: TEXT.length },
    ],
    expiresAt: now + 86_400_000,
    deliveryReport: false,
    readReport: false,
    priority: 'normal',
    messageClass: 'personal',
    origin: { iface: 'mm1', peer: 'mm1' },
    receivedAt: now,
  };
  const before = stored(maildir);
  let result: Awaited<ReturnType<Mm3RelayRoute['send']>>;
  try {
    result = await route.send({ message: m, recipientIndex: 0, attempt: 1, content: async () => [SMIL, IMAGE, TEXT] });
  } finally {
    route.close();
  }
  report('MM3 e-mail through Postfix (STARTTLS offered, opportunistic): accepted', result.status === 'delivered', JSON.stringify(result));
  let file: string | undefined;
  for (let i = 0; i < 100 && file === undefined; i++) {
    file = stored(maildir).find((f) => !before.includes(f));
    if (file === undefined) await sleep(100);
  }
  if (!report('Postfix delivered it to the mailbox (Maildir)', file !== undefined, file)) return 1;
  const mail = JSON.parse(execFileSync('python3', ['conformance/mm4/read_mail.py', file!], { encoding: 'utf8' })) as ReadMail;
  report('From: the originator at our MMS domain', mail.from === `${ORIGINATOR}@${OWN}`, mail.from);
  report('To: the mailbox', mail.to === MAILBOX, mail.to);
  report('Subject decoded as sent (non-ASCII, RFC 2047)', mail.subject === SUBJECT, mail.subject);
  report('a multipart/mixed mail', mail.contentType === 'multipart/mixed', mail.contentType);
  const text = mail.parts.find((p) => p.type === 'text/plain');
  // Postfix stores a Maildir file with its own line ends (LF), as the mail client then reads it.
  report(
    'the text as inline text, as sent',
    text?.text === TEXT.toString('utf8').replace(/\r\n/g, '\n') && text.disposition !== 'attachment',
    JSON.stringify(text),
  );
  const image = mail.parts.find((p) => p.type === 'image/gif');
  report(
    'the image as a named attachment, byte for byte',
    image?.filename === 'holiday.gif' && image.disposition === 'attachment' && image.sha256 === sha256(IMAGE),
    JSON.stringify(image && { ...image, sha256: image.sha256.slice(0, 12) }),
  );
  report(
    'no SMIL part (mail clients do not render it)',
    !mail.parts.some((p) => p.type === 'application/smil'),
    mail.parts.map((p) => p.type).join(', '),
  );
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

process.exitCode = await main().catch((err: unknown) => {
  console.log(`FAIL MM3 driver crashed (${err instanceof Error ? err.stack : String(err)})`);
  console.log(`${passed} passed, ${failed + 1} failed`);
  return 1;
});
