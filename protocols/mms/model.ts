import type { ContentType, EncodedStringValue, ExtraHeader, ParamValue, Part } from '../wsp/model.js';
import type {
  CancelStatus,
  ContentClass,
  MboxUnit,
  MessageClass,
  MessageType,
  MmFlagsAction,
  MmState,
  Priority,
  ReadStatus,
  RecommendedRetrievalMode,
  ReplyCharging,
  ResponseStatus,
  RetrieveStatus,
  SenderVisibility,
  Status,
  StoreStatus,
  YesNo,
} from './tables.js';

/** An enumerated header: its spec token, or the raw octet when the value is not in the table. */
export type Enum<T extends string> = T | number;

/**
 * Expiry / Delivery-Time / Reply-Charging-Deadline (§7.3.20, §7.3.12, §7.3.44): a Date is absolute, a
 * number is seconds relative to the time the recipient's MMSC received the PDU.
 */
export type TimeValue = Date | number;

/** From (§7.3.21): the address, or Insert-address-token asking the MMSC to insert the sender. */
export type FromValue = EncodedStringValue | { insertAddress: true };

/** Forms used only in M-Mbox-Delete.conf / M-Delete.conf (§7.3.10, §7.3.48, §7.3.49): value per message index. */
export interface Indexed<T> {
  index: number;
  value: T;
}

/** §7.3.37 Previously-Sent-By. */
export interface PreviouslySentBy {
  count: number;
  address: EncodedStringValue;
}
/** §7.3.38 Previously-Sent-Date. */
export interface PreviouslySentDate {
  count: number;
  date: Date;
}
/** §7.3.32 MM-Flags. */
export interface MmFlags {
  action: Enum<MmFlagsAction>;
  flag: EncodedStringValue;
}
/** §7.3.28 Mbox-Totals / §7.3.26 Mbox-Quotas. */
export interface MboxCount {
  unit: Enum<MboxUnit>;
  value: number;
}
/** §7.3.18 Element-Descriptor: a content reference and its parameters. */
export interface ElementDescriptor {
  contentReference: string;
  params?: Record<string, ParamValue>;
}

/**
 * Every header field of OMA-TS-MMS_ENC-V1_3 Table 25, camelCased from its spec name without `X-Mms-`.
 * Key order is wire order: the encoder writes fields in the order the object lists them (after the
 * mandatory Message-Type, Transaction-ID, MMS-Version, and with Content-Type last).
 */
export interface MmsHeaders {
  transactionId?: string;
  mmsVersion?: string;
  bcc?: EncodedStringValue[];
  cc?: EncodedStringValue[];
  contentLocation?: string | Indexed<string>;
  date?: Date;
  deliveryReport?: Enum<YesNo>;
  deliveryTime?: TimeValue;
  expiry?: TimeValue;
  from?: FromValue;
  messageClass?: Enum<MessageClass> | string;
  messageId?: string;
  messageSize?: number;
  priority?: Enum<Priority>;
  readReport?: Enum<YesNo>;
  reportAllowed?: Enum<YesNo>;
  responseStatus?: Enum<ResponseStatus> | Indexed<Enum<ResponseStatus>>;
  responseText?: EncodedStringValue | Indexed<EncodedStringValue>;
  senderVisibility?: Enum<SenderVisibility>;
  status?: Enum<Status>;
  subject?: EncodedStringValue;
  to?: EncodedStringValue[];
  retrieveStatus?: Enum<RetrieveStatus>;
  retrieveText?: EncodedStringValue;
  readStatus?: Enum<ReadStatus>;
  replyCharging?: Enum<ReplyCharging>;
  replyChargingDeadline?: TimeValue;
  replyChargingId?: string;
  replyChargingSize?: number;
  previouslySentBy?: PreviouslySentBy[];
  previouslySentDate?: PreviouslySentDate[];
  store?: Enum<YesNo>;
  mmState?: Enum<MmState>;
  mmFlags?: MmFlags;
  storeStatus?: Enum<StoreStatus>;
  storeStatusText?: EncodedStringValue;
  stored?: Enum<YesNo>;
  /** §7.3.3 Attributes: the header fields asked for, by model name (raw code when unknown). */
  attributes?: Array<string | number>;
  totals?: Enum<YesNo>;
  mboxTotals?: MboxCount;
  quotas?: Enum<YesNo>;
  mboxQuotas?: MboxCount;
  messageCount?: number;
  /** 0x2E Content: carried as raw value octets. */
  content?: Buffer;
  start?: number;
  /** 0x30 Additional-headers: carried as raw value octets. */
  additionalHeaders?: Buffer;
  distributionIndicator?: Enum<YesNo>;
  elementDescriptor?: ElementDescriptor;
  limit?: number;
  recommendedRetrievalMode?: Enum<RecommendedRetrievalMode>;
  recommendedRetrievalModeText?: EncodedStringValue;
  statusText?: EncodedStringValue;
  applicId?: string;
  replyApplicId?: string;
  auxApplicInfo?: string;
  contentClass?: Enum<ContentClass>;
  drmContent?: Enum<YesNo>;
  adaptationAllowed?: Enum<YesNo>;
  replaceId?: string;
  cancelId?: string;
  cancelStatus?: Enum<CancelStatus>;
  contentType?: ContentType;
  /**
   * Headers kept without interpretation, in wire order: unassigned well-known codes and application
   * headers (text name/value), and repeats of single-valued fields.
   */
  extraHeaders?: ExtraHeader[];
  /** Entries of a multipart body (zero-copy slices of the input). */
  parts?: Part[];
  /** A body that is not multipart (zero-copy slice of the input). */
  body?: Buffer;
}

interface Pdu<T extends MessageType> extends MmsHeaders {
  messageType: T;
  mmsVersion: string;
}

// One interface per message type (OMA-TS-MMS_ENC-V1_3 §6): the fields the spec makes mandatory are
// required; every other field stays optional, because real peers send more than the tables list.
export interface SendReq extends Pdu<'m-send-req'> {
  transactionId: string;
  from: FromValue;
  contentType: ContentType;
}
export interface SendConf extends Pdu<'m-send-conf'> {
  transactionId: string;
  responseStatus: Enum<ResponseStatus>;
}
export interface NotificationInd extends Pdu<'m-notification-ind'> {
  transactionId: string;
  messageClass: Enum<MessageClass> | string;
  messageSize: number;
  expiry: TimeValue;
  contentLocation: string;
}
export interface NotifyRespInd extends Pdu<'m-notifyresp-ind'> {
  transactionId: string;
  status: Enum<Status>;
}
export interface RetrieveConf extends Pdu<'m-retrieve-conf'> {
  date: Date;
  contentType: ContentType;
}
export interface AcknowledgeInd extends Pdu<'m-acknowledge-ind'> {
  transactionId: string;
}
export interface DeliveryInd extends Pdu<'m-delivery-ind'> {
  messageId: string;
  to: EncodedStringValue[];
  date: Date;
  status: Enum<Status>;
}
export interface ReadRecInd extends Pdu<'m-read-rec-ind'> {
  messageId: string;
  to: EncodedStringValue[];
  from: FromValue;
  readStatus: Enum<ReadStatus>;
}
export interface ReadOrigInd extends Pdu<'m-read-orig-ind'> {
  messageId: string;
  to: EncodedStringValue[];
  from: FromValue;
  date: Date;
  readStatus: Enum<ReadStatus>;
}
export interface ForwardReq extends Pdu<'m-forward-req'> {
  transactionId: string;
  from: FromValue;
  contentLocation: string;
}
export interface ForwardConf extends Pdu<'m-forward-conf'> {
  transactionId: string;
  responseStatus: Enum<ResponseStatus>;
}
export interface MboxStoreReq extends Pdu<'m-mbox-store-req'> {
  transactionId: string;
  contentLocation: string;
}
export interface MboxStoreConf extends Pdu<'m-mbox-store-conf'> {
  transactionId: string;
  storeStatus: Enum<StoreStatus>;
}
export interface MboxViewReq extends Pdu<'m-mbox-view-req'> {
  transactionId: string;
}
export interface MboxViewConf extends Pdu<'m-mbox-view-conf'> {
  transactionId: string;
}
export interface MboxUploadReq extends Pdu<'m-mbox-upload-req'> {
  transactionId: string;
  contentType: ContentType;
}
export interface MboxUploadConf extends Pdu<'m-mbox-upload-conf'> {
  transactionId: string;
}
export interface MboxDeleteReq extends Pdu<'m-mbox-delete-req'> {
  transactionId: string;
}
export interface MboxDeleteConf extends Pdu<'m-mbox-delete-conf'> {
  transactionId: string;
}
export interface MboxDescr extends Pdu<'m-mbox-descr'> {}
export interface DeleteReq extends Pdu<'m-delete-req'> {
  transactionId: string;
}
export interface DeleteConf extends Pdu<'m-delete-conf'> {
  transactionId: string;
}
export interface CancelReq extends Pdu<'m-cancel-req'> {
  transactionId: string;
  cancelId: string;
}
export interface CancelConf extends Pdu<'m-cancel-conf'> {
  transactionId: string;
  cancelStatus: Enum<CancelStatus>;
}

export type MmsPdu =
  | SendReq
  | SendConf
  | NotificationInd
  | NotifyRespInd
  | RetrieveConf
  | AcknowledgeInd
  | DeliveryInd
  | ReadRecInd
  | ReadOrigInd
  | ForwardReq
  | ForwardConf
  | MboxStoreReq
  | MboxStoreConf
  | MboxViewReq
  | MboxViewConf
  | MboxUploadReq
  | MboxUploadConf
  | MboxDeleteReq
  | MboxDeleteConf
  | MboxDescr
  | DeleteReq
  | DeleteConf
  | CancelReq
  | CancelConf;

/** The PDU type for a message type token. */
export type PduOf<T extends MessageType> = Extract<MmsPdu, { messageType: T }>;

/**
 * Mandatory fields per message type (OMA-TS-MMS_ENC-V1_3 §6 tables), beyond Message-Type and MMS-Version.
 * (M-Send.req's "at least one of To, Cc, Bcc" is a routing rule, checked where the message is accepted.)
 */
export const MANDATORY: { readonly [T in MessageType]: readonly string[] } = {
  'm-send-req': ['transactionId', 'from', 'contentType'],
  'm-send-conf': ['transactionId', 'responseStatus'],
  'm-notification-ind': ['transactionId', 'messageClass', 'messageSize', 'expiry', 'contentLocation'],
  'm-notifyresp-ind': ['transactionId', 'status'],
  'm-retrieve-conf': ['date', 'contentType'],
  'm-acknowledge-ind': ['transactionId'],
  'm-delivery-ind': ['messageId', 'to', 'date', 'status'],
  'm-read-rec-ind': ['messageId', 'to', 'from', 'readStatus'],
  'm-read-orig-ind': ['messageId', 'to', 'from', 'date', 'readStatus'],
  'm-forward-req': ['transactionId', 'from', 'contentLocation'],
  'm-forward-conf': ['transactionId', 'responseStatus'],
  'm-mbox-store-req': ['transactionId', 'contentLocation'],
  'm-mbox-store-conf': ['transactionId', 'storeStatus'],
  'm-mbox-view-req': ['transactionId'],
  'm-mbox-view-conf': ['transactionId'],
  'm-mbox-upload-req': ['transactionId', 'contentType'],
  'm-mbox-upload-conf': ['transactionId'],
  'm-mbox-delete-req': ['transactionId'],
  'm-mbox-delete-conf': ['transactionId'],
  'm-mbox-descr': [],
  'm-delete-req': ['transactionId'],
  'm-delete-conf': ['transactionId'],
  'm-cancel-req': ['transactionId', 'cancelId'],
  'm-cancel-conf': ['transactionId', 'cancelStatus'],
};
