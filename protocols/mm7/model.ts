/**
 * Typed MM7 messages (TS 23.140 §8.7, REL-5-MM7-1-x / REL-6-MM7-1-x schemas): one interface per SOAP body
 * element, discriminated on `kind` (= the element's local name). Optional schema elements are optional
 * properties; the parser leaves absent (and empty, e.g. mmsgw's `<MessageClass/>`) elements out.
 */

/**
 * Every message carries the header TransactionID and the namespace/MM7Version pair as received / to send
 * (only a Fault may have them empty).
 */
export interface Mm7Common {
  transactionId: string;
  /** The MM7 namespace URI exactly as received (or to send); see versions.ts. */
  namespace: string;
  mm7Version: string;
}

/** Address element names in AddressType: Number, ShortCode, RFC2822Address. */
export type Mm7AddressKind = 'number' | 'shortCode' | 'email';

export interface Mm7Address {
  kind: Mm7AddressKind;
  /** Text as received, trimmed (e.g. '+3859100010010/TYPE=PLMN' from Nokia MMSCs is kept whole). */
  value: string;
  /** Attribute displayOnly: the address is shown, not delivered to (Rel-6). */
  displayOnly?: boolean;
  addressCoding?: 'encrypted' | 'obfuscated';
  id?: string;
}

export interface Mm7Recipients {
  to: Mm7Address[];
  cc: Mm7Address[];
  bcc: Mm7Address[];
}

/** An xs:dateTime value: the text as received, and its instant when it is a real date. */
export interface Mm7AbsoluteDate {
  text: string;
  /** Milliseconds since the epoch. A dateTime without a zone (mmsgw) is read as UTC. */
  epochMs?: number;
}

/** An xs:duration value (ExpiryDate, EarliestDeliveryTime, ReplyDeadline may be relative). */
export interface Mm7RelativeDate {
  text: string;
  /** Seconds; years count 365 days and months 30 days (the schema gives no calendar to add them to). */
  relativeSeconds: number;
}

export type Mm7DateValue = Mm7AbsoluteDate | Mm7RelativeDate;

export type Mm7MessageClass = 'Personal' | 'Informational' | 'Advertisement' | 'Auto';
export type Mm7Priority = 'Low' | 'Normal' | 'High';
/** ChargedParty (Rel-5: Sender..Neither; Rel-6 adds ThirdParty). */
export type Mm7ChargedParty = 'Sender' | 'Recipient' | 'Both' | 'Neither' | 'ThirdParty';

/**
 * DeliveryReportReq MMStatus. The stage-2 list of §8.7 MM7_delivery_report.REQ (expired, retrieved,
 * rejected, deferred, unrecognised, indeterminate, forwarded, unreachable) plus Rel-6 DeliveryConditionNotMet.
 * A value outside the list is kept as received (peers invent their own).
 */
export type Mm7DeliveryStatus =
  | 'Expired'
  | 'Retrieved'
  | 'Rejected'
  | 'Deferred'
  | 'Unrecognised'
  | 'Indeterminate'
  | 'Forwarded'
  | 'Unreachable'
  | 'DeliveryConditionNotMet';

/** ReadReplyReq MMStatus (§8.7 MM7_read_reply_report.REQ). */
export type Mm7ReadStatus = 'Indeterminate' | 'Read' | 'Deleted';

/** Content: a reference (href="cid:...") into the MIME multipart the SOAP part travels in. */
export interface Mm7Content {
  /** As received, not normalised ('cid: content_15' from xmmc keeps its space). */
  href: string;
  allowAdaptations?: boolean;
}

export interface Mm7ReplyCharging {
  replyChargingSize?: number;
  replyDeadline?: Mm7DateValue;
}

/** Status of every response (StatusCode, StatusText, Details). */
export interface Mm7Status {
  code: number;
  text?: string;
  /** Text content of Details (the schema allows any content; only its text is kept). */
  details?: string;
}

/** Rel-6 application addressing elements, shared by several messages. */
export interface Mm7Application {
  applicId?: string;
  replyApplicId?: string;
  auxApplicInfo?: string;
}

/** SenderIdentification (VASP-originated requests). */
export interface Mm7SenderIdentification {
  vaspId?: string;
  vasId?: string;
  senderAddress?: Mm7Address;
}

// ---- VASP -> MMSC requests ----

export interface SubmitReq extends Mm7Common, Mm7SenderIdentification, Mm7Application {
  kind: 'SubmitReq';
  recipients: Mm7Recipients;
  serviceCode?: string;
  linkedId?: string;
  messageClass?: Mm7MessageClass;
  timeStamp?: Mm7AbsoluteDate;
  replyCharging?: Mm7ReplyCharging;
  earliestDeliveryTime?: Mm7DateValue;
  expiryDate?: Mm7DateValue;
  deliveryReport?: boolean;
  readReply?: boolean;
  priority?: Mm7Priority;
  subject?: string;
  chargedParty?: Mm7ChargedParty;
  chargedPartyId?: string;
  distributionIndicator?: boolean;
  contentClass?: string;
  drmContent?: boolean;
  content?: Mm7Content;
}

export interface CancelReq extends Mm7Common, Mm7SenderIdentification {
  kind: 'CancelReq';
  messageId: string;
}

export interface ReplaceReq extends Mm7Common, Mm7SenderIdentification {
  kind: 'ReplaceReq';
  messageId: string;
  serviceCode?: string;
  timeStamp?: Mm7AbsoluteDate;
  readReply?: boolean;
  earliestDeliveryTime?: Mm7DateValue;
  distributionIndicator?: boolean;
  contentClass?: string;
  drmContent?: boolean;
  content?: Mm7Content;
}

// ---- MMSC -> VASP requests ----

export interface DeliverReq extends Mm7Common, Mm7Application {
  kind: 'DeliverReq';
  mmsRelayServerId?: string;
  vaspId?: string;
  vasId?: string;
  linkedId?: string;
  /** Mandatory in the schema, but Nokia MC5.0 (vectors deliver-req4) omits it: accepted without. */
  sender?: Mm7Address;
  recipients?: Mm7Recipients;
  timeStamp?: Mm7AbsoluteDate;
  replyChargingId?: string;
  priority?: Mm7Priority;
  subject?: string;
  content?: Mm7Content;
}

export interface DeliveryReportReq extends Mm7Common, Mm7Application {
  kind: 'DeliveryReportReq';
  mmsRelayServerId?: string;
  messageId: string;
  recipient: Mm7Address;
  sender: Mm7Address;
  /** Element `Date` in the schema. */
  timeStamp: Mm7AbsoluteDate;
  mmStatus: Mm7DeliveryStatus | (string & {});
  statusText?: string;
}

export interface ReadReplyReq extends Mm7Common, Mm7Application {
  kind: 'ReadReplyReq';
  mmsRelayServerId?: string;
  messageId: string;
  recipient: Mm7Address;
  sender: Mm7Address;
  timeStamp: Mm7AbsoluteDate;
  mmStatus: Mm7ReadStatus | (string & {});
  statusText?: string;
}

// ---- Responses ----

export interface Mm7ResponseBase extends Mm7Common {
  status: Mm7Status;
}
export interface SubmitRsp extends Mm7ResponseBase {
  kind: 'SubmitRsp';
  messageId?: string;
}
export interface CancelRsp extends Mm7ResponseBase {
  kind: 'CancelRsp';
}
export interface ReplaceRsp extends Mm7ResponseBase {
  kind: 'ReplaceRsp';
}
export interface DeliverRsp extends Mm7ResponseBase {
  kind: 'DeliverRsp';
  serviceCode?: string;
}
export interface DeliveryReportRsp extends Mm7ResponseBase {
  kind: 'DeliveryReportRsp';
}
export interface ReadReplyRsp extends Mm7ResponseBase {
  kind: 'ReadReplyRsp';
}
/** The MMSC's generic error response (also the usual Fault detail). */
export interface RSErrorRsp extends Mm7ResponseBase {
  kind: 'RSErrorRsp';
}
/** The VASP's generic error response. */
export interface VASPErrorRsp extends Mm7ResponseBase {
  kind: 'VASPErrorRsp';
}

/** The MM7 error response carried in a Fault's detail. */
export interface Mm7FaultDetail {
  kind: 'RSErrorRsp' | 'VASPErrorRsp';
  mm7Version: string;
  status: Mm7Status;
}

/**
 * A SOAP 1.1 Fault (§8.7: errors are answered as a Fault whose detail is an RSErrorRsp/VASPErrorRsp).
 * A fault may answer a request that had no readable TransactionID or namespace: those are then '' (and the
 * builder sends no Header for an empty TransactionID). mm7Version is the detail's, '' without one.
 */
export interface Mm7Fault extends Mm7Common {
  kind: 'Fault';
  /** Local part of faultcode: 'Client' | 'Server' | 'VersionMismatch' | 'MustUnderstand' | ... */
  faultCode: string;
  faultString: string;
  detail?: Mm7FaultDetail;
}

export type Mm7Request = SubmitReq | CancelReq | ReplaceReq | DeliverReq | DeliveryReportReq | ReadReplyReq;
export type Mm7Response = SubmitRsp | CancelRsp | ReplaceRsp | DeliverRsp | DeliveryReportRsp | ReadReplyRsp | RSErrorRsp | VASPErrorRsp;
export type Mm7Message = Mm7Request | Mm7Response | Mm7Fault;
export type Mm7Kind = Mm7Message['kind'];
