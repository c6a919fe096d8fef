// MM3 inbound (3GPP TS 23.140 §8.3; RFC 4356 §2.1.2 Internet Mail to MMS): an e-mail to `+N@<our MMS domain>`
// -> the core message and its parts. Pure: no I/O. The RFC 5322 header block and the MIME body are read with
// protocols/mm4's reader (an MM4 message is an e-mail with X-Mms-* fields; it reads the same header block and
// the same MIME tree, bounded the same way).
import { parseAddress } from '../../protocols/address/index.js';
import type { MimeHeaders } from '../../protocols/mime/index.js';
import { parseContentType } from '../../protocols/mime/index.js';
import { decodeSubject, DEFAULT_MM4_LIMITS, Mm4Error, type Mm4Content, type Mm4Part } from '../../protocols/mm4/index.js';
import { parseContent } from '../../protocols/mm4/content.js';
import { splitMessage } from '../../protocols/mm4/header-block.js';
import type { Submission } from '../core/intake.js';
import type { ContentRef, Party } from '../core/message.js';
import { buildMessage, type Lifetime, MULTIPART_MIXED } from '../core/message-builder.js';
import { partyOf } from '../core/party.js';
import { Refusal } from '../core/refusals.js';
import { sanitiseMessage } from '../core/sanitise.js';

/** An e-mail as MM3 takes it: the fields it maps, and the leaves of its MIME tree it keeps. */
export interface InboundMail {
  /** From (RFC 5322 §3.6.2), as written. */
  from?: string;
  subject?: string;
  /** Disposition-Notification-To present: the sender asks to learn when it is read (RFC 8098 §2.1). */
  readReport: boolean;
  parts: Mm4Part[];
}

/** Reads an e-mail (the DATA of an SMTP transaction). Throws Mm4Error for what cannot be read. */
export async function readMail(bytes: Buffer, maxBytes: number): Promise<InboundMail> {
  if (bytes.length > maxBytes) throw new Mm4Error('TOO_LARGE', `message over ${maxBytes} bytes`);
  const { headers, body } = splitMessage(bytes, { ...DEFAULT_MM4_LIMITS, maxBytes });
  const content = await parseContent(headers, body, maxBytes);
  const parts: Mm4Part[] = [];
  keep(content, parts);
  const mail: InboundMail = { readReport: has(headers, 'Disposition-Notification-To'), parts: parts.map(named) };
  const from = headers.get('From');
  if (from !== undefined && from !== '') mail.from = from;
  const subject = headers.get('Subject');
  if (subject !== undefined && subject !== '') mail.subject = decodeSubject(subject);
  return mail;
}

function has(headers: MimeHeaders, name: string): boolean {
  return (headers.get(name) ?? '') !== '';
}

/**
 * The leaves kept, in order. Of a multipart/alternative (RFC 2046 §5.1.4: the same content in several forms)
 * only one form: text/plain when there is one (any handset shows it; HTML would reach most as markup), else
 * the last, the sender's preferred. A text/html that is no alternative of a plain text (HTML-only mail) is
 * kept as a part: it is the content, and dropping it would deliver an empty message.
 */
function keep(c: Mm4Content, out: Mm4Part[]): void {
  if (!('parts' in c)) {
    out.push(c);
    return;
  }
  if (c.contentType.type === 'multipart/alternative') {
    const plain = c.parts.find((p) => !('parts' in p) && p.contentType.type === 'text/plain');
    const chosen = plain ?? c.parts[c.parts.length - 1];
    if (chosen) keep(chosen, out);
    return;
  }
  for (const p of c.parts) keep(p, out);
}

/**
 * An attachment's file name becomes the part's Content-Location (its name in the MM, which handsets show
 * and MM1 writes): the Content-Disposition filename (RFC 2183 §2.3, RFC 2231 forms decoded), else the
 * Content-Type name parameter.
 */
function named(p: Mm4Part): Mm4Part {
  if (p.contentLocation !== undefined) return p;
  const disposition = p.headers?.find((h) => h.name.toLowerCase() === 'content-disposition')?.value;
  let filename: string | undefined;
  if (disposition !== undefined) {
    try {
      // A disposition's parameters have a Content-Type's syntax (RFC 2183 §2): read behind a dummy type.
      filename = parseContentType(`x/${disposition}`).params.filename;
    } catch {
      filename = undefined;
    }
  }
  filename ??= p.contentType.params.name;
  return filename === undefined || filename === '' ? p : { ...p, contentLocation: filename };
}

export interface MailContext {
  /** RCPT TO of the transaction as subscribers (each checked at RCPT: our domain, a number). */
  recipients: readonly Party[];
  /** MAIL FROM: the originator when From names no mailbox. */
  mailFrom?: string;
  /** A recipient asked for a DSN on success (RFC 3461 §4.1 NOTIFY=SUCCESS): a delivery report is due. */
  deliveryReport: boolean;
  lifetime: Lifetime;
}

/**
 * The core message of an e-mail: originated by the sender's mailbox (an `email` party, so that a handset's
 * reply and the reports go back to it by MM3), origin `mm3`, the kept parts in order. Throws a Refusal.
 */
export function mailSubmission(mail: InboundMail, ctx: MailContext, messageId: string, now: number): Submission {
  if (ctx.recipients.length === 0) throw new Refusal('address-error', 'no recipient');
  const originator = originatorOf(mail.from) ?? originatorOf(ctx.mailFrom);
  if (!originator) throw new Refusal('address-error', 'neither From nor MAIL FROM names a mailbox');
  const parts: ContentRef[] = mail.parts.map((p, index) => {
    const ref: ContentRef = { index, contentType: p.contentType.type, size: p.body.length };
    if (Object.keys(p.contentType.params).length > 0) ref.params = { ...p.contentType.params };
    if (p.contentId !== undefined) ref.contentId = p.contentId;
    if (p.contentLocation !== undefined) ref.contentLocation = p.contentLocation;
    return ref;
  });
  const message = buildMessage({
    id: messageId,
    now,
    originator,
    recipients: ctx.recipients.map((r) => ({ ...r, kind: 'to' as const })),
    origin: { iface: 'mm3', peer: 'relay' },
    // Several parts are an MM's multipart.mixed (OMA-TS-MMS_ENC §7.3.11): the mail's own structure is gone.
    contentType: parts.length > 1 ? MULTIPART_MIXED : undefined,
    parts,
    subject: mail.subject,
    lifetime: ctx.lifetime,
    deliveryReport: ctx.deliveryReport,
    readReport: mail.readReport,
  });
  return { message, content: mail.parts.map((p) => p.body), sanitised: sanitiseMessage(message) };
}

/** The mailbox of a From or MAIL FROM value (`Ann <ann@example.org>`, `ann@example.org`), as an e-mail party. */
function originatorOf(text: string | undefined): Party | undefined {
  if (text === undefined) return undefined;
  let s = text.trim();
  const lt = s.lastIndexOf('<');
  if (s.endsWith('>') && lt >= 0) s = s.slice(lt + 1, -1).trim(); // RFC 5322 §3.4 name-addr: the display name goes
  if (s === '') return undefined;
  try {
    // Always an e-mail party, even `+N@domain`: a mail is from a mailbox, never from a handset's number.
    if (parseAddress(s).kind !== 'email') return undefined;
    return partyOf('email', s);
  } catch {
    return undefined;
  }
}
