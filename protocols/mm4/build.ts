// MM4 messages to RFC 5322 bytes (TS 23.140 §8.4: "MM4 ... uses SMTP", the information elements mapped to
// X-Mms-* and RFC 5322 fields in the tables of §8.4.1.1 forward.REQ, §8.4.1.2 forward.RES, §8.4.2.1
// delivery_report.REQ, §8.4.2.2 delivery_report.RES, §8.4.3.1 read_reply_report.REQ, §8.4.3.2
// read_reply_report.RES). The fields are written in one stable order, FIELDS below (a new field is a row);
// a field a message does not have is left out. Then MIME-Version, Content-Type (and -Transfer-Encoding), a
// blank line and the body. Lines end in CRLF (RFC 5322 §2.1).
import { formatAddressList, formatMm4Address } from './addresses.js';
import { buildContent } from './content.js';
import { Mm4Error } from './errors.js';
import { encodeSubject, formatDate } from './fields.js';
import type { Mm4Expiry, Mm4Message } from './model.js';

type Get = (m: Mm4Message) => string | undefined;
const yesNo = (v: boolean | undefined): string | undefined => (v === undefined ? undefined : v ? 'Yes' : 'No');
const pick =
  <K extends string>(key: K) =>
  (m: Mm4Message): unknown =>
    (m as unknown as Record<K, unknown>)[key];
const str =
  (key: string): Get =>
  (m) => {
    const v = pick(key)(m);
    return typeof v === 'string' ? v : undefined;
  };
const bool =
  (key: string): Get =>
  (m) => {
    const v = pick(key)(m);
    return typeof v === 'boolean' ? yesNo(v) : undefined;
  };

function expiry(e: Mm4Expiry): string {
  if (e.kind === 'relative') {
    if (!Number.isSafeInteger(e.seconds) || e.seconds < 0) throw new Mm4Error('BUILD_INVALID', 'X-Mms-Expiry seconds');
    return String(e.seconds);
  }
  return formatDate(e.epochMs);
}

/** The write order. Names are spelled as in the §8.4 tables. */
/** `folds`: the value may hold our own folding (CRLF SP), from formatAddressList or encodeSubject. */
export const FIELDS: ReadonlyArray<{ name: string; get: Get; folds?: true }> = [
  { name: 'X-Mms-3GPP-MMS-Version', get: (m) => m.mmsVersion },
  { name: 'X-Mms-Message-Type', get: (m) => m.type },
  { name: 'X-Mms-Transaction-ID', get: (m) => m.transactionId },
  { name: 'X-Mms-Message-ID', get: str('messageId') },
  { name: 'X-Mms-Originator-System', get: (m) => m.originatorSystem },
  { name: 'X-Mms-Ack-Request', get: bool('ackRequest') },
  { name: 'X-Mms-Request-Status-Code', get: str('requestStatus') },
  { name: 'X-Mms-Status-Text', get: str('statusText') },
  { name: 'X-Mms-MM-Status-Code', get: str('mmStatus') },
  { name: 'X-Mms-Read-Status', get: str('readStatus') },
  { name: 'X-Mms-Delivery-Report', get: bool('deliveryReport') },
  { name: 'X-Mms-Read-Reply', get: bool('readReply') },
  { name: 'X-Mms-Expiry', get: (m) => (m.type === 'MM4_forward.REQ' && m.expiry ? expiry(m.expiry) : undefined) },
  { name: 'X-Mms-Message-Class', get: str('messageClass') },
  { name: 'X-Mms-Priority', get: str('priority') },
  { name: 'X-Mms-Sender-Visibility', get: str('senderVisibility') },
  { name: 'Sender', get: (m) => m.sender },
  // §8.4.2.1/§8.4.3.1: a report's From is the MM's recipient, its To the MM's originator.
  { name: 'From', get: (m) => fromOf(m) },
  { name: 'To', get: (m) => toOf(m), folds: true },
  { name: 'Cc', get: (m) => (m.type === 'MM4_forward.REQ' && m.cc.length > 0 ? formatAddressList(m.cc, 2) : undefined), folds: true },
  { name: 'Date', get: (m) => (m.date === undefined ? undefined : formatDate(m.date)) },
  { name: 'Message-ID', get: (m) => (m.rfc822MessageId === undefined ? undefined : `<${m.rfc822MessageId}>`) },
  {
    name: 'Subject',
    get: (m) => (m.type === 'MM4_forward.REQ' && m.subject !== undefined ? encodeSubject(m.subject) : undefined),
    folds: true,
  },
];

function fromOf(m: Mm4Message): string | undefined {
  if (m.type === 'MM4_forward.REQ') return formatMm4Address(m.from);
  if (m.type === 'MM4_delivery_report.REQ' || m.type === 'MM4_read_reply_report.REQ') return formatMm4Address(m.recipient);
  return undefined;
}

function toOf(m: Mm4Message): string | undefined {
  if (m.type === 'MM4_forward.REQ') return m.to.length > 0 ? formatAddressList(m.to, 2) : undefined;
  if ((m.type === 'MM4_delivery_report.REQ' || m.type === 'MM4_read_reply_report.REQ') && m.originator) {
    return formatMm4Address(m.originator);
  }
  return undefined;
}

export interface BuildOptions {
  /**
   * The boundary of the multipart at each depth (0 = the MM's own). Default: `mm4-<depth>-` and a digest of the
   * transaction id, so a message is a function of its model; another is tried if it occurs in the content.
   */
  boundary?: (depth: number) => string;
}

/** The message as RFC 5322 bytes. Throws Mm4Error BUILD_INVALID for a value that cannot be written. */
export function buildMm4(msg: Mm4Message, options: BuildOptions = {}): Buffer {
  const lines: string[] = [];
  for (const f of FIELDS) {
    const v = fieldValue(f, msg);
    if (v === undefined) continue;
    // Only our own folding (CRLF SP, from encodeSubject and formatAddressList) may break a line: any other CR,
    // LF or NUL in a value (folded-looking ones included) would end the field or write one of the caller's.
    if (/[\0\r\n]/.test(f.folds ? v.replace(/\r\n /g, '') : v))
      throw new Mm4Error('BUILD_INVALID', `${f.name} contains a line break or NUL`);
    if (v.length > 998 && !v.includes('\r\n')) throw new Mm4Error('BUILD_INVALID', `${f.name} is over 998 characters`);
    lines.push(`${f.name}: ${v}`);
  }
  if (msg.type !== 'MM4_forward.REQ') return Buffer.from(`${lines.join('\r\n')}\r\n`, 'utf8');
  const { fields, body } = contentOf(msg, options);
  lines.push('MIME-Version: 1.0', ...fields.map((h) => `${h.name}: ${h.value}`));
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8'), ...body]);
}

function fieldValue(f: { name: string; get: Get }, msg: Mm4Message): string | undefined {
  try {
    return f.get(msg);
  } catch (e) {
    if (e instanceof RangeError) throw new Mm4Error('BUILD_INVALID', `${f.name}: ${e.message}`, { cause: e });
    throw e;
  }
}

function contentOf(msg: Extract<Mm4Message, { type: 'MM4_forward.REQ' }>, options: BuildOptions): ReturnType<typeof buildContent> {
  if (options.boundary) return buildContent(msg.content, options.boundary);
  let last: unknown;
  for (let salt = 0; salt < 8; salt++) {
    const tag = digest(`${msg.transactionId}/${salt}`);
    try {
      return buildContent(msg.content, (depth) => `mm4-${depth}-${tag}`);
    } catch (e) {
      if (!(e instanceof Mm4Error) || !/occurs inside/.test(e.detail)) throw e;
      last = e;
    }
  }
  throw last;
}

// FNV-1a, 32 bits, in hex: not a secret, only a boundary unlikely to occur in the content.
function digest(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}
