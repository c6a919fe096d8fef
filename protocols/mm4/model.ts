/**
 * Typed MM4 messages (3GPP TS 23.140 §8.4): one interface per message, discriminated on `type` (the
 * X-Mms-Message-Type token). Fields the spec makes mandatory and we need are required; the rest optional.
 * Parsing is liberal (see parse.ts); building writes exactly these fields (see build.ts).
 */
import type { MmsAddress } from '../address/index.js';
import type { ContentType, MimeHeader } from '../mime/index.js';
import type { Mm4MessageClass, Mm4MmStatus, Mm4Priority, Mm4ReadStatus, Mm4RequestStatus, Mm4SenderVisibility } from './values.js';

/**
 * An originator or recipient: an MMS address (protocols/address) and the domain of the MMS Relay/Server it
 * belongs to, when written as `+15551234567/TYPE=PLMN@mms.mnc001.mcc310.gprs` (§8.4.4). An e-mail address
 * (MM3 side) is `{ kind: 'email' }` without a domain.
 */
export interface Mm4Address {
  address: MmsAddress;
  domain?: string;
}

/** An X-Mms-Expiry value: an instant, or seconds after the forward was sent. */
export type Mm4Expiry = { kind: 'absolute'; epochMs: number } | { kind: 'relative'; seconds: number };

/** A leaf of the MM's MIME tree: the body is decoded (no transfer encoding). */
export interface Mm4Part {
  contentType: ContentType;
  contentId?: string;
  contentLocation?: string;
  /** Fields other than Content-Type/-Transfer-Encoding/-ID/-Location (e.g. Content-Disposition), as written. */
  headers?: MimeHeader[];
  /** Empty when the part was streamed out of the parser (ParseOptions.content): then streamedBytes is its size. */
  body: Buffer;
  /** Decoded size of a part whose body went to a PartSink instead of `body`. */
  streamedBytes?: number;
}

/** A multipart/* node of the MM's MIME tree (its boundary is chosen when it is built). */
export interface Mm4Multipart {
  contentType: ContentType;
  contentId?: string;
  parts: Mm4Content[];
}

export type Mm4Content = Mm4Part | Mm4Multipart;

/** A header value the parser found but could not read (an unknown token, an unparseable date): kept, not guessed. */
export interface Mm4UnreadValue {
  field: string;
  value: string;
}

/** Fields every MM4 message carries (§8.4.1-§8.4.3 tables: version, type, transaction id). */
export interface Mm4Common {
  /** X-Mms-3GPP-MMS-Version as received or to send, e.g. '6.10.0' (peers send 5.x, 6.x and odd ones like '1.0'). */
  mmsVersion: string;
  /**
   * X-Mms-Transaction-ID exactly as written on the wire (quoted, bracketed or bare), so that a RES echoes it
   * byte for byte; `bareId()` gives the form to correlate on.
   */
  transactionId: string;
  /** X-Mms-Originator-System: where the RES goes (`originatorSystemOf()` reads its three forms). */
  originatorSystem?: string;
  /** RFC 5322 Date, when present (some peers send none). */
  date?: number;
  /** RFC 5322 Message-ID without its angle brackets, when present. */
  rfc822MessageId?: string;
  /** RFC 5322 Sender (the originating system's mailbox in MM4), as written. */
  sender?: string;
  /** Parser only: values of known fields that could not be read. */
  unread?: Mm4UnreadValue[];
}

/** MM4_forward.REQ (§8.4.1.1): the MM itself. */
export interface Mm4ForwardReq extends Mm4Common {
  type: 'MM4_forward.REQ';
  /** X-Mms-Message-ID as written (see transactionId). */
  messageId: string;
  /** From; a parser falls back on X-Mms-Sender-Address, Sender and the SMTP envelope (in that order). */
  from: Mm4Address;
  /** To/Cc; a parser falls back on X-Mms-To and the SMTP envelope when both are absent. */
  to: Mm4Address[];
  cc: Mm4Address[];
  subject?: string;
  ackRequest?: boolean;
  deliveryReport?: boolean;
  readReply?: boolean;
  expiry?: Mm4Expiry;
  messageClass?: Mm4MessageClass;
  priority?: Mm4Priority;
  senderVisibility?: Mm4SenderVisibility;
  content: Mm4Content;
}

/** MM4_forward.RES (§8.4.1.2). */
export interface Mm4ForwardRes extends Mm4Common {
  type: 'MM4_forward.RES';
  messageId?: string;
  requestStatus: Mm4RequestStatus;
  statusText?: string;
}

/**
 * MM4_delivery_report.REQ (§8.4.2.1). Per the table the report's From is the recipient of the original MM and
 * its To the original sender.
 */
export interface Mm4DeliveryReportReq extends Mm4Common {
  type: 'MM4_delivery_report.REQ';
  messageId: string;
  recipient: Mm4Address;
  originator?: Mm4Address;
  ackRequest?: boolean;
  /**
   * X-Mms-MM-Status-Code (or the non-standard X-Mms-Status). Absent or unknown is 'Indeterminate' with
   * `mmStatusNote` saying why: never 'Retrieved'.
   */
  mmStatus: Mm4MmStatus;
  mmStatusNote?: 'absent' | 'unknown';
  statusText?: string;
}

/** MM4_delivery_report.RES (§8.4.2.2). */
export interface Mm4DeliveryReportRes extends Mm4Common {
  type: 'MM4_delivery_report.RES';
  messageId?: string;
  requestStatus: Mm4RequestStatus;
  statusText?: string;
}

/** MM4_read_reply_report.REQ (§8.4.3.1): From is the recipient who read (or deleted) the MM, To its originator. */
export interface Mm4ReadReplyReportReq extends Mm4Common {
  type: 'MM4_read_reply_report.REQ';
  messageId: string;
  recipient: Mm4Address;
  originator?: Mm4Address;
  ackRequest?: boolean;
  readStatus: Mm4ReadStatus;
  statusText?: string;
}

/** MM4_read_reply_report.RES (§8.4.3.2). */
export interface Mm4ReadReplyReportRes extends Mm4Common {
  type: 'MM4_read_reply_report.RES';
  messageId?: string;
  requestStatus: Mm4RequestStatus;
  statusText?: string;
}

export type Mm4Message =
  | Mm4ForwardReq
  | Mm4ForwardRes
  | Mm4DeliveryReportReq
  | Mm4DeliveryReportRes
  | Mm4ReadReplyReportReq
  | Mm4ReadReplyReportRes;

/** The SMTP envelope of the transaction that carried the message: the parser's last resort for addresses. */
export interface Mm4Envelope {
  mailFrom?: string;
  rcptTo?: string[];
}

export interface Mm4Limits {
  /** Most bytes of the whole message. */
  maxBytes: number;
  /** Most bytes of the top-level header block, line endings included. */
  maxHeaderBytes: number;
  /** Most physical lines (continuation lines count) of the top-level header block. */
  maxHeaders: number;
  /** Most addresses in To, Cc and the envelope together. */
  maxRecipients: number;
}

export const DEFAULT_MM4_LIMITS: Mm4Limits = Object.freeze({
  maxBytes: 10 * 1024 * 1024,
  maxHeaderBytes: 64 * 1024,
  maxHeaders: 500,
  maxRecipients: 1000,
});
