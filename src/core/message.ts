/**
 * The canonical message every edge maps to and from (MM1 m-send-req, MM4 forward, MM7 SubmitReq, REST):
 * one originator, N recipients, content as references to stored parts, and the delivery options that
 * survive across interfaces. Times are epoch milliseconds so that the model serialises as plain JSON.
 */

/** Interfaces a message can arrive on or leave by. */
export type InterfaceName = 'mm1' | 'mm3' | 'mm4' | 'mm7' | 'smpp' | 'rest';

/** Address kinds, as protocols/address parses them. */
export type AddressType = 'plmn' | 'shortcode' | 'email' | 'ipv4' | 'ipv6' | 'other';

export interface Party {
  /** Canonical address text: `+15551234567` for PLMN, `12345` for short codes, the e-mail address, ... */
  address: string;
  type: AddressType;
}

export interface Recipient extends Party {
  kind: 'to' | 'cc' | 'bcc';
  /**
   * The network serving this number after porting, as the portability lookup answered when the message
   * entered (core/portability.ts): 'home' (ours) or a peer carrier's id. Unset: not ported, or not looked
   * up; the routes then go by prefixes. Kept with the message, so that every delivery attempt routes alike.
   */
  network?: string;
}

/** A stored body part: the bytes live in the content store under (messageId, index). */
export interface ContentRef {
  index: number;
  contentType: string;
  params?: Record<string, string | number>;
  contentId?: string;
  contentLocation?: string;
  size: number;
}

export type Priority = 'low' | 'normal' | 'high';
export type MessageClass = 'personal' | 'advertisement' | 'informational' | 'auto';

export interface CoreMessage {
  /** Message-ID, unique gateway-wide; receivers use it to drop redelivered duplicates. */
  id: string;
  originator: Party;
  recipients: Recipient[];
  subject?: string;
  /** Media type of the whole message (e.g. application/vnd.wap.multipart.related) and its parameters. */
  contentType: string;
  contentTypeParams?: Record<string, string | number>;
  parts: ContentRef[];
  /** After this the message is not delivered any more: each pending recipient ends `expired`. */
  expiresAt: number;
  /** Deferred delivery: not before this time. */
  earliestDeliveryAt?: number;
  deliveryReport: boolean;
  readReport: boolean;
  priority: Priority;
  messageClass: MessageClass;
  /** Where it came from, so that reports go back the same way. */
  origin: Origin;
  /** Value-added-service data a VASP submitted (MM7), kept for charging records and its reports. */
  service?: ServiceInfo;
  /** Set on report messages only (see ReportInfo). */
  report?: ReportInfo;
  /** Set on acknowledgements only (see AckInfo). */
  ack?: AckInfo;
  /** What a sender's API submission asked beyond delivery (issue 24; see SenderOptions). */
  sender?: SenderOptions;
  receivedAt: number;
}

/** Traffic class of a sender's message: consent, frequency caps and quiet hours apply to marketing only. */
export type TrafficClass = 'transactional' | 'marketing';

/**
 * What a sender's API (REST) submission asks beyond delivery, kept with the message so that every instance
 * and every later step (events, consent, the SMS fallback) sees it. An MM7 submission has no such field: its
 * MessageClass Advertisement counts as marketing (see trafficClassOf).
 */
export interface SenderOptions {
  /** The sender's own reference, echoed in every event of the message (at most 128 characters). */
  clientRef?: string;
  trafficClass?: TrafficClass;
  /** A handset that cannot take MMS gets an SMS instead: `text` (default: the subject) and the web-view link. */
  fallback?: { sms: boolean; text?: string };
}

/** The traffic class of any message: the sender's when given, else marketing for MM7/MM1 advertisements. */
export function trafficClassOf(m: CoreMessage): TrafficClass {
  return m.sender?.trafficClass ?? (m.messageClass === 'advertisement' ? 'marketing' : 'transactional');
}

/**
 * The interface and peer a message came from. A REST submission may name a callbackUrl: its delivery
 * events are POSTed there as JSON.
 */
export interface Origin {
  iface: InterfaceName;
  peer: string;
  callbackUrl?: string;
  /** Where the events go when callbackUrl keeps failing (the sender's API: issue 24). */
  failoverUrl?: string;
  /**
   * The id the peer gave the message, as written (MM4: its X-Mms-Message-ID, TS 23.140 §8.4.1.1), so that a
   * report on it names it in the peer's own terms (§8.4.2.1, §8.4.3.1).
   */
  messageRef?: string;
}

/**
 * An answer the gateway owes a peer for one of its requests (MM4: MM4_forward.RES when the forward asked for
 * one, TS 23.140 §8.4.1.2; the RES of a report, §8.4.2.2, §8.4.3.2), queued as a message with no parts so
 * that it is retried, throttled and survives a crash like any other. Its one recipient is the mailbox it
 * goes to (MM4: the X-Mms-Originator-System of the request).
 */
export interface AckInfo {
  /** The peer the request came from: the answer goes back by that interface and peer. */
  to: Origin;
  /** What is answered, e.g. 'MM4_forward.RES'. */
  type: string;
  /** The request's transaction id exactly as written: echoed byte for byte. */
  transactionId: string;
  /** The request's message id as written, when it had one. */
  messageRef?: string;
  /** 'Ok', or the error status of the protocol (MM4 X-Mms-Request-Status-Code). */
  status: string;
  statusText?: string;
}

/**
 * A report is itself a message through the queue (so that it is retried, throttled and dead-lettered like
 * any other): its originator is the recipient it reports on, its one recipient the original originator,
 * and `report` says what happened. The route of a report is chosen by `to`, the origin of the original.
 */
export interface ReportInfo {
  /** `event`: a sender's API event (issue 24), POSTed as a webhook; its type and data are in `event`. */
  kind: 'delivery' | 'read' | 'event';
  /** The Message-ID the report is about. */
  messageId: string;
  /** Index of the reported recipient in the original message. */
  recipientIndex: number;
  /** Where the original came from: the report goes back there. */
  to: Origin;
  /**
   * delivery: delivered | rejected | failed | expired (terminal queue states); read: read | deleted; event: the
   * nearest of these for views that show a status (a failure type's own, `read`, else `delivered`).
   */
  status: 'delivered' | 'rejected' | 'failed' | 'expired' | 'read' | 'deleted';
  /** kind `event` only: what happened. */
  event?: ReportEvent;
  detail?: string;
  /** When it happened (epoch ms). */
  at: number;
  /** The original's service data a VASP expects back (LinkedID, application ids). */
  service?: ServiceInfo;
}

/**
 * The data of a sender's event (src/core/sender-events.ts) carried in a queued event message. The types are
 * the strings of SenderEventType and RefusalCode, not imported: that module imports this one.
 */
export interface ReportEvent {
  /** A SenderEventType: accepted, delivered, read, ... */
  type: string;
  /** A RefusalCode, on failures. */
  code?: string;
  /** media-unavailable: the URL. */
  url?: string;
}

/** What a VASP says about its service (3GPP TS 23.140 §8.7.1 SubmitReq); none of it changes delivery. */
export interface ServiceInfo {
  vasId?: string;
  serviceCode?: string;
  linkedId?: string;
  chargedParty?: string;
  chargedPartyId?: string;
  contentClass?: string;
  drmContent?: boolean;
  allowAdaptations?: boolean;
  distributionIndicator?: boolean;
  replyCharging?: { size?: number; deadline?: string };
}

/**
 * Per-recipient states. The last five are terminal; `cancelled` = withdrawn by the sender (MM7 CancelReq);
 * `notified` = the recipient was told of the message (an MM1 notification pushed) and is to fetch it: a
 * wait, not a retry.
 */
export type RecipientState =
  | 'queued'
  | 'delivering'
  | 'retrying'
  | 'deferred'
  | 'notified'
  | 'delivered'
  | 'rejected'
  | 'failed'
  | 'expired'
  | 'cancelled';

export const TERMINAL_STATES: ReadonlySet<RecipientState> = new Set(['delivered', 'rejected', 'failed', 'expired', 'cancelled']);

/** One entry of a recipient's history; the events later issues turn into delivery reports. */
export interface StateEvent {
  at: number;
  state: RecipientState;
  attempt: number;
  detail?: string;
}

/** Per-recipient delivery job id: the message id and the recipient's index. */
export function jobId(messageId: string, recipientIndex: number): string {
  return `${messageId}/${recipientIndex}`;
}

/** The inverse of jobId (message ids may contain '/': the index is after the last one). */
export function parseJobId(job: string): { messageId: string; recipientIndex: number } {
  const slash = job.lastIndexOf('/');
  return { messageId: job.slice(0, slash), recipientIndex: Number(job.slice(slash + 1)) };
}
