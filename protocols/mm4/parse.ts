// RFC 5322 bytes to an MM4 message, liberally (TS 23.140 §8.4 tables, and the variants peers send):
// - header names in any case, folded fields, bare-LF line endings (header-block.ts);
// - X-Mms-Message-Type tokens in any case ("MM4_Delivery_report.REQ");
// - the delivery status in X-Mms-MM-Status-Code (§8.4.2.1) or the non-standard X-Mms-Status; none, or an unknown
//   one, is 'Indeterminate' with a note: never 'Retrieved';
// - ids quoted, bracketed or bare (kept as written: see bareId);
// - X-Mms-Expiry as an RFC 5322 date, relative seconds or RFC 3339;
// - addresses in From/To/Cc with or without /TYPE=PLMN and @domain, else X-Mms-Sender-Address/X-Mms-To,
//   else Sender, else the SMTP envelope the caller passes;
// - no Date and no Message-ID at all; any version string.
// Work is bounded: the header block by limits.maxHeaderBytes/maxHeaders, the body by protocols/mime's limits.
import type { MimeHeaders, StreamOptions } from '../mime/index.js';
import { parseAddressList, parseMm4Address } from './addresses.js';
import { parseContent } from './content.js';
import { Mm4Error } from './errors.js';
import { bareId, decodeSubject, parseDate } from './fields.js';
import { readHeaderBlock, splitMessage } from './header-block.js';
import { DEFAULT_MM4_LIMITS } from './model.js';
import type { Mm4Address, Mm4Common, Mm4Envelope, Mm4Expiry, Mm4ForwardReq, Mm4Limits, Mm4Message, Mm4UnreadValue } from './model.js';
import {
  MESSAGE_CLASSES,
  MM4_MESSAGE_TYPES,
  MM_STATUSES,
  PRIORITIES,
  READ_STATUSES,
  REQUEST_STATUSES,
  SENDER_VISIBILITIES,
  token,
} from './values.js';

export interface ParseOptions {
  /** The SMTP envelope (MAIL FROM, RCPT TO) of the transaction: used when the header fields name no address. */
  envelope?: Mm4Envelope;
  limits?: Partial<Mm4Limits>;
  /**
   * For an MM4_forward.REQ, once its header fields are read and before its body is: how to stream the body's
   * leaves (protocols/mime StreamOptions; e.g. into a store). Its errors pass through parseMm4 unchanged.
   */
  content?: (head: Mm4ForwardHead) => Promise<StreamOptions | undefined>;
}

/** An MM4_forward.REQ as far as its header fields tell, before its body is read. */
export type Mm4ForwardHead = Omit<Mm4ForwardReq, 'content' | 'unread'>;

/**
 * Reads an MM4 message, whole or as it arrives (`bytes` an async iterable: the header block is read within
 * limits.maxHeaderBytes, a forward's body through protocols/mime's streaming parser, and the body of any other
 * type is left unread). Throws Mm4Error for anything it cannot read; errors of the iterable itself and of
 * `options.content` pass through unchanged.
 */
export async function parseMm4(bytes: Uint8Array | AsyncIterable<Uint8Array>, options: ParseOptions = {}): Promise<Mm4Message> {
  const limits = { ...DEFAULT_MM4_LIMITS, ...options.limits };
  let headers: MimeHeaders;
  let body: Buffer | AsyncIterable<Buffer>;
  if (bytes instanceof Uint8Array) {
    if (bytes.length > limits.maxBytes) throw new Mm4Error('TOO_LARGE', `message over ${limits.maxBytes} bytes`);
    const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    ({ headers, body } = splitMessage(buf, limits));
  } else {
    ({ headers, body } = await readHeaderBlock(bytes, limits));
  }
  const r = new Reader(headers);
  const typeText = r.get('X-Mms-Message-Type');
  if (typeText === undefined) throw new Mm4Error('MISSING_FIELD', 'X-Mms-Message-Type');
  const type = token(MM4_MESSAGE_TYPES, typeText);
  if (type === undefined) throw new Mm4Error('UNKNOWN_TYPE', 'X-Mms-Message-Type is not an MM4 message');
  const common = r.common();
  const env = options.envelope ?? {};
  const max = limits.maxRecipients;
  switch (type) {
    case 'MM4_forward.REQ': {
      let to = r.list('To', max);
      const cc = r.list('Cc', max);
      if (to.length + cc.length === 0) to = r.list('X-Mms-To', max);
      if (to.length + cc.length === 0) to = envelopeRecipients(env, max);
      if (to.length + cc.length === 0) throw new Mm4Error('MISSING_FIELD', 'no recipient in To, Cc, X-Mms-To or the envelope');
      if (to.length + cc.length > max) throw new Mm4Error('BAD_ADDRESS', `more than ${max} recipients`);
      const from = r.originator(['From', 'X-Mms-Sender-Address', 'Sender'], env.mailFrom);
      if (!from) throw new Mm4Error('MISSING_FIELD', 'no originator in From, X-Mms-Sender-Address, Sender or the envelope');
      const head: Mm4ForwardHead = {
        ...common,
        type,
        messageId: r.required('X-Mms-Message-ID'),
        from,
        to,
        cc,
        ...opt('subject', mapped(r.get('Subject'), decodeSubject)),
        ...opt('ackRequest', r.yesNo('X-Mms-Ack-Request')),
        ...opt('deliveryReport', r.yesNo('X-Mms-Delivery-Report')),
        ...opt('readReply', r.yesNo('X-Mms-Read-Reply')),
        ...opt('expiry', r.expiry()),
        ...opt('messageClass', r.token('X-Mms-Message-Class', MESSAGE_CLASSES)),
        ...opt('priority', r.token('X-Mms-Priority', PRIORITIES)),
        ...opt('senderVisibility', r.token('X-Mms-Sender-Visibility', SENDER_VISIBILITIES)),
      };
      const stream = options.content ? await options.content(head) : undefined;
      const content = await parseContent(headers, body, limits.maxBytes, stream);
      return r.finish({ ...head, content });
    }
    case 'MM4_delivery_report.REQ': {
      const raw = r.get('X-Mms-MM-Status-Code') ?? r.get('X-Mms-Status');
      const known = raw === undefined ? undefined : token(MM_STATUSES, raw);
      if (raw !== undefined && known === undefined) r.unread('X-Mms-MM-Status-Code', raw);
      return r.finish({
        ...common,
        type,
        messageId: r.required('X-Mms-Message-ID'),
        ...r.parties(env),
        ...opt('ackRequest', r.yesNo('X-Mms-Ack-Request')),
        mmStatus: known ?? 'Indeterminate',
        ...opt('mmStatusNote', known !== undefined ? undefined : raw === undefined ? ('absent' as const) : ('unknown' as const)),
        ...opt('statusText', r.get('X-Mms-Status-Text')),
      });
    }
    case 'MM4_read_reply_report.REQ': {
      const raw = r.get('X-Mms-Read-Status');
      if (raw === undefined) throw new Mm4Error('MISSING_FIELD', 'X-Mms-Read-Status');
      // MM1's spelling (OMA-TS-MMS_ENC §7.3.38 "Deleted without being read") is read as Deleted.
      const readStatus = token(READ_STATUSES, raw) ?? (/^deleted/i.test(raw.trim()) ? 'Deleted' : undefined);
      if (readStatus === undefined) throw new Mm4Error('MISSING_FIELD', 'X-Mms-Read-Status is neither Read nor Deleted');
      return r.finish({
        ...common,
        type,
        messageId: r.required('X-Mms-Message-ID'),
        ...r.parties(env),
        ...opt('ackRequest', r.yesNo('X-Mms-Ack-Request')),
        readStatus,
        ...opt('statusText', r.get('X-Mms-Status-Text')),
      });
    }
    default:
      return r.finish({
        ...common,
        type,
        ...opt('messageId', r.get('X-Mms-Message-ID')),
        requestStatus: r.requestStatus(),
        ...opt('statusText', r.get('X-Mms-Status-Text')),
      });
  }
}

function envelopeRecipients(env: Mm4Envelope, max: number): Mm4Address[] {
  const list = env.rcptTo ?? [];
  if (list.length > max) throw new Mm4Error('BAD_ADDRESS', `envelope: more than ${max} recipients`);
  return list.map((a) => parseMm4Address(a, 'RCPT TO'));
}

/** `{ [key]: value }` when value is defined, else nothing (exactOptionalPropertyTypes: absent, not undefined). */
function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function mapped<T>(v: string | undefined, f: (s: string) => T): T | undefined {
  return v === undefined ? undefined : f(v);
}

class Reader {
  private readonly notes: Mm4UnreadValue[] = [];

  constructor(private readonly headers: MimeHeaders) {}

  /** The first field of that name, any case; empty values count as absent. */
  get(name: string): string | undefined {
    const v = this.headers.get(name);
    return v === undefined || v === '' ? undefined : v;
  }

  required(name: string): string {
    const v = this.get(name);
    if (v === undefined) throw new Mm4Error('MISSING_FIELD', name);
    return v;
  }

  unread(field: string, value: string): void {
    if (this.notes.length < 32) this.notes.push({ field, value: value.slice(0, 200) });
  }

  common(): Omit<Mm4Common, 'unread'> {
    const dateText = this.get('Date');
    const date = dateText === undefined ? undefined : parseDate(dateText);
    if (dateText !== undefined && date === undefined) this.unread('Date', dateText);
    return {
      mmsVersion: this.required('X-Mms-3GPP-MMS-Version'),
      transactionId: this.required('X-Mms-Transaction-ID'),
      ...opt('originatorSystem', this.get('X-Mms-Originator-System')),
      ...opt('date', date),
      ...opt('rfc822MessageId', mapped(this.get('Message-ID'), bareId)),
      ...opt('sender', this.get('Sender')),
    };
  }

  yesNo(name: string): boolean | undefined {
    const v = this.get(name);
    if (v === undefined) return undefined;
    const t = v.trim().toLowerCase();
    if (t === 'yes' || t === 'true') return true;
    if (t === 'no' || t === 'false') return false;
    this.unread(name, v);
    return undefined;
  }

  token<T extends string>(name: string, list: readonly T[]): T | undefined {
    const v = this.get(name);
    if (v === undefined) return undefined;
    const t = token(list, v);
    if (t === undefined) this.unread(name, v);
    return t;
  }

  expiry(): Mm4Expiry | undefined {
    const v = this.get('X-Mms-Expiry');
    if (v === undefined) return undefined;
    if (/^\d{1,10}$/.test(v.trim())) return { kind: 'relative', seconds: Number(v.trim()) };
    const ms = parseDate(v);
    if (ms !== undefined) return { kind: 'absolute', epochMs: ms };
    this.unread('X-Mms-Expiry', v);
    return undefined;
  }

  requestStatus(): (typeof REQUEST_STATUSES)[number] {
    const v = this.get('X-Mms-Request-Status-Code');
    if (v === undefined) throw new Mm4Error('MISSING_FIELD', 'X-Mms-Request-Status-Code');
    const t = token(REQUEST_STATUSES, v);
    if (t !== undefined) return t;
    // An unknown code is not success: read it as the generic error and keep what was written.
    this.unread('X-Mms-Request-Status-Code', v);
    return 'Error-unspecified';
  }

  list(name: string, max: number): Mm4Address[] {
    return this.headers.getAll(name).flatMap((v) => parseAddressList(v, name, max));
  }

  /** The first of `names` that holds an address, else the envelope's. */
  originator(names: readonly string[], envelope: string | undefined): Mm4Address | undefined {
    for (const n of names) {
      const v = this.get(n);
      if (v !== undefined) return parseMm4Address(v, n);
    }
    return envelope === undefined || envelope.trim() === '' ? undefined : parseMm4Address(envelope, 'MAIL FROM');
  }

  /** A report's parties (§8.4.2.1, §8.4.3.1): From = the MM's recipient, To = the MM's originator. */
  parties(env: Mm4Envelope): { recipient: Mm4Address; originator?: Mm4Address } {
    const recipient = this.originator(['From', 'X-Mms-Sender-Address', 'Sender'], env.mailFrom);
    if (!recipient) throw new Mm4Error('MISSING_FIELD', 'no recipient address in From or the envelope');
    const to = this.list('To', 1)[0] ?? this.list('X-Mms-To', 1)[0] ?? envelopeRecipients(env, 1)[0];
    return to ? { recipient, originator: to } : { recipient };
  }

  finish<T extends Mm4Message>(m: T): T {
    return this.notes.length > 0 ? { ...m, unread: this.notes } : m;
  }
}
