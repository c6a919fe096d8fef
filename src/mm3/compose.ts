// An MM, or a report on one, as an Internet mail message (3GPP TS 23.140 §8.3; RFC 4356 §2.1.1 MMS to Internet
// Mail) in nodemailer's terms: its MailComposer writes the MIME. Every header value goes through it, and it
// replaces CR and LF in header values with spaces (mime-node buildHeaders), so no value here can write a header
// of its own; test/mm3/outbound.test.ts checks that on the bytes a server receives.
import type Mail from 'nodemailer/lib/mailer/index.js';
import type { CoreMessage, Priority, ReportInfo } from '../core/message.js';
import { emailOf } from './addresses.js';

/** A file-name extension per media type, for parts without a name (Content-Location) of their own. */
const EXTENSIONS: Readonly<Record<string, string>> = {
  'image/jpeg': 'jpg',
  'image/jpg': 'jpg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/bmp': 'bmp',
  'image/vnd.wap.wbmp': 'wbmp',
  'image/webp': 'webp',
  'audio/amr': 'amr',
  'audio/amr-wb': 'awb',
  'audio/mpeg': 'mp3',
  'audio/mp4': 'm4a',
  'audio/aac': 'aac',
  'audio/midi': 'mid',
  'audio/x-wav': 'wav',
  'video/3gpp': '3gp',
  'video/3gpp2': '3g2',
  'video/mp4': 'mp4',
  'text/x-vcard': 'vcf',
  'text/vcard': 'vcf',
  'text/x-vcalendar': 'vcs',
  'text/calendar': 'ics',
  'application/pdf': 'pdf',
};

/** SMIL: the MM's presentation (which part shows when, on which region of the screen). */
const SMIL = 'application/smil';

export interface Composed {
  /** The SMTP envelope (RFC 5321 §2.3.1): who bounces go to (`from`, '' = the null reverse-path) and the recipient. */
  envelope: { from: string; to: string[] };
  mail: Mail.Options;
}

/** Text nodemailer's `priority` writes as X-Priority/Importance (what mail clients show of the MM's priority). */
const PRIORITY: Record<Priority, 'high' | 'normal' | 'low'> = { high: 'high', normal: 'normal', low: 'low' };

/**
 * Recipient `recipientIndex` of `m` (an e-mail address) as one mail, whose parts' bytes are `content`
 * (by ContentRef.index): From the originator at our MMS domain, that recipient only in To (the other
 * recipients' copies go separately, and a Bcc must not show), Subject, Date (when the MMSC received it),
 * a Message-ID the same on every attempt (`<id>.<index>@domain`, so that a relay or mailbox can drop the
 * copy of an attempt whose answer was lost), and the parts as multipart/mixed: text/plain inline as text,
 * every other part an attachment with a file name. Throws a RangeError for what has no e-mail form.
 */
export function messageMail(m: CoreMessage, recipientIndex: number, content: readonly Buffer[], domain: string): Composed {
  const to = m.recipients[recipientIndex];
  if (to?.type !== 'email') throw new RangeError(`recipient ${recipientIndex} is no e-mail address`);
  const from = emailOf(m.originator, domain);
  if (from === undefined) throw new RangeError(`an originator of type ${m.originator.type} has no e-mail form`);
  const attachments: NonNullable<Mail.Options['attachments']> = [];
  for (const ref of m.parts) {
    // SMIL is dropped: it lays the MM out on a handset's screen by references to the other parts, which
    // mail clients do not render (they would show an unreadable attachment); the parts it arranges are all
    // here, in order (TS 23.140 §8.3 leaves presentation to the recipient's agent).
    if (ref.contentType === SMIL) continue;
    const body = content[ref.index] ?? Buffer.alloc(0);
    const type = withParams(ref.contentType, ref.params);
    // Text inline, unnamed (a file name would make clients list it as an attachment), quoted-printable so
    // that it stays readable in the raw message.
    if (ref.contentType === 'text/plain')
      attachments.push({
        content: body,
        contentType: type,
        contentDisposition: 'inline',
        filename: false,
        contentTransferEncoding: 'quoted-printable',
      });
    else attachments.push({ content: body, contentType: type, filename: fileName(ref.contentLocation, ref.contentType, ref.index) });
  }
  const mail: Mail.Options = {
    from,
    to: to.address,
    date: new Date(m.receivedAt),
    messageId: `<${m.id}.${recipientIndex}@${domain}>`,
    priority: PRIORITY[m.priority],
    attachments,
    // A message of no parts at all (a subject alone) still has a body: an empty text.
    ...(attachments.length === 0 ? { text: '' } : {}),
  };
  if (m.subject !== undefined) mail.subject = m.subject;
  return { envelope: { from, to: [to.address] }, mail };
}

/** What happened to the MM, as a sentence's verb phrase. */
const STATUS_TEXT: Record<ReportInfo['status'], string> = {
  delivered: 'was delivered to',
  rejected: 'was refused for',
  failed: 'could not be delivered to',
  expired: 'expired before it could be delivered to',
  read: 'was read by',
  deleted: 'was deleted without being read by',
};

const STATUS_SUBJECT: Record<ReportInfo['status'], string> = {
  delivered: 'Delivered',
  rejected: 'Not delivered',
  failed: 'Not delivered',
  expired: 'Expired',
  read: 'Read',
  deleted: 'Deleted unread',
};

/**
 * A delivery or read report (`r.report` set: its originator is the handset reported on, its one recipient
 * the e-mail sender of the original) as a plain-text mail. Not a DSN (RFC 3464) or MDN (RFC 8098): the MMS
 * states (TS 23.140 §8.1.4 Retrieved/Rejected/Expired/..., §8.1.5 Read/Deleted) have no equivalent in their
 * vocabularies, and a DSN would say the relay's delivery into a mailbox, not the handset's retrieval, so it
 * is written for a person. Sent with the null reverse-path (RFC 5321 §4.5.5) and Auto-Submitted
 * (RFC 3834 §5): a report nobody can take must not bounce back and forth.
 */
export function reportMail(r: CoreMessage, domain: string): Composed {
  const info = r.report;
  const to = r.recipients[0];
  if (!info || !to || to.type !== 'email') throw new RangeError('not a report to an e-mail address');
  const from = emailOf(r.originator, domain);
  if (from === undefined) throw new RangeError(`a reported recipient of type ${r.originator.type} has no e-mail form`);
  const about = r.subject === undefined ? 'Your message' : `Your message "${r.subject}"`;
  const lines = [
    `${about} ${STATUS_TEXT[info.status]} ${r.originator.address} (${new Date(info.at).toUTCString()}).`,
    ...(info.detail === undefined ? [] : ['', `Detail: ${info.detail}`]),
    '',
    `MMS message id: ${info.messageId}`,
  ];
  const mail: Mail.Options = {
    from,
    to: to.address,
    subject: `${STATUS_SUBJECT[info.status]}: ${r.subject ?? '(no subject)'}`,
    date: new Date(r.receivedAt),
    messageId: `<${r.id}@${domain}>`,
    text: `${lines.join('\r\n')}\r\n`,
    headers: { 'Auto-Submitted': 'auto-replied' },
  };
  return { envelope: { from: '', to: [to.address] }, mail };
}

/** A media type with its parameters, as Content-Type writes them (nodemailer quotes what needs quoting). */
function withParams(type: string, params: Record<string, string | number> | undefined): string {
  const entries = Object.entries(params ?? {}).filter(([k]) => k !== 'name');
  if (type === 'text/plain' && !entries.some(([k]) => k === 'charset')) entries.push(['charset', 'utf-8']);
  return [type, ...entries.map(([k, v]) => `${k}=${quote(String(v))}`)].join('; ');
}

function quote(v: string): string {
  return /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+$/.test(v) ? v : `"${v.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * The attachment's file name: the part's Content-Location (its name in the MM, OMA-TS-MMS_CONF) without
 * any path, or `part<index>.<extension of its type>`. The core sanitiser already took control characters out
 * of names at intake.
 */
export function fileName(location: string | undefined, type: string, index: number): string {
  const base = location?.split(/[/\\]/).pop()?.trim();
  if (base !== undefined && base !== '' && base !== '.' && base !== '..') return base;
  return `part${index + 1}.${EXTENSIONS[type] ?? 'bin'}`;
}
