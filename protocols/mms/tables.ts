/**
 * Assigned numbers of OMA-TS-MMS_ENC-V1_3 §7.3 as data (value -> spec token), grouped by the field that
 * uses them. Each table lists [octet, token]; the codec maps unknown octets to their number, so nothing is
 * lost on the way through.
 */

/** X-Mms-Message-Type, §7.3.30 (1.0: 0x80-0x86, 1.1: -0x8A, 1.2: -0x93, 1.3: -0x97). */
export const MESSAGE_TYPES = [
  [0x80, 'm-send-req'],
  [0x81, 'm-send-conf'],
  [0x82, 'm-notification-ind'],
  [0x83, 'm-notifyresp-ind'],
  [0x84, 'm-retrieve-conf'],
  [0x85, 'm-acknowledge-ind'],
  [0x86, 'm-delivery-ind'],
  [0x87, 'm-read-rec-ind'],
  [0x88, 'm-read-orig-ind'],
  [0x89, 'm-forward-req'],
  [0x8a, 'm-forward-conf'],
  [0x8b, 'm-mbox-store-req'],
  [0x8c, 'm-mbox-store-conf'],
  [0x8d, 'm-mbox-view-req'],
  [0x8e, 'm-mbox-view-conf'],
  [0x8f, 'm-mbox-upload-req'],
  [0x90, 'm-mbox-upload-conf'],
  [0x91, 'm-mbox-delete-req'],
  [0x92, 'm-mbox-delete-conf'],
  [0x93, 'm-mbox-descr'],
  [0x94, 'm-delete-req'],
  [0x95, 'm-delete-conf'],
  [0x96, 'm-cancel-req'],
  [0x97, 'm-cancel-conf'],
] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number][1];

/** Yes/No fields (Delivery-Report, Read-Report, Report-Allowed, Store, Stored, Totals, Quotas, ...). */
export const YES_NO = [
  [0x80, 'Yes'],
  [0x81, 'No'],
] as const;

/** §7.3.27 Message-Class: Class-identifier | Token-text. */
export const MESSAGE_CLASS = [
  [0x80, 'Personal'],
  [0x81, 'Advertisement'],
  [0x82, 'Informational'],
  [0x83, 'Auto'],
] as const;

/** §7.3.35 Priority. */
export const PRIORITY = [
  [0x80, 'Low'],
  [0x81, 'Normal'],
  [0x82, 'High'],
] as const;

/** §7.3.48 Response-Status. 0x81-0x87 are obsolete 1.0 values kept for decoding old peers. */
export const RESPONSE_STATUS = [
  [0x80, 'Ok'],
  [0x81, 'Error-unspecified'],
  [0x82, 'Error-service-denied'],
  [0x83, 'Error-message-format-corrupt'],
  [0x84, 'Error-sending-address-unresolved'],
  [0x85, 'Error-message-not-found'],
  [0x86, 'Error-network-problem'],
  [0x87, 'Error-content-not-accepted'],
  [0x88, 'Error-unsupported-message'],
  [0xc0, 'Error-transient-failure'],
  [0xc1, 'Error-transient-sending-address-unresolved'],
  [0xc2, 'Error-transient-message-not-found'],
  [0xc3, 'Error-transient-network-problem'],
  [0xc4, 'Error-transient-partial-success'],
  [0xe0, 'Error-permanent-failure'],
  [0xe1, 'Error-permanent-service-denied'],
  [0xe2, 'Error-permanent-message-format-corrupt'],
  [0xe3, 'Error-permanent-sending-address-unresolved'],
  [0xe4, 'Error-permanent-message-not-found'],
  [0xe5, 'Error-permanent-content-not-accepted'],
  [0xe6, 'Error-permanent-reply-charging-limitations-not-met'],
  [0xe7, 'Error-permanent-reply-charging-request-not-accepted'],
  [0xe8, 'Error-permanent-reply-charging-forwarding-denied'],
  [0xe9, 'Error-permanent-reply-charging-not-supported'],
  [0xea, 'Error-permanent-address-hiding-not-supported'],
  [0xeb, 'Error-permanent-lack-of-prepaid'],
] as const;

/** §7.3.50 Retrieve-Status. */
export const RETRIEVE_STATUS = [
  [0x80, 'Ok'],
  [0xc0, 'Error-transient-failure'],
  [0xc1, 'Error-transient-message-not-found'],
  [0xc2, 'Error-transient-network-problem'],
  [0xe0, 'Error-permanent-failure'],
  [0xe1, 'Error-permanent-service-denied'],
  [0xe2, 'Error-permanent-message-not-found'],
  [0xe3, 'Error-permanent-content-unsupported'],
] as const;

/** §7.3.54 Status (X-Mms-Status). */
export const STATUS = [
  [0x80, 'Expired'],
  [0x81, 'Retrieved'],
  [0x82, 'Rejected'],
  [0x83, 'Deferred'],
  [0x84, 'Unrecognised'],
  [0x85, 'Indeterminate'],
  [0x86, 'Forwarded'],
  [0x87, 'Unreachable'],
] as const;

/** §7.3.39 Read-Status. */
export const READ_STATUS = [
  [0x80, 'Read'],
  [0x81, 'Deleted-without-being-read'],
] as const;

/** §7.3.52 Sender-Visibility. */
export const SENDER_VISIBILITY = [
  [0x80, 'Hide'],
  [0x81, 'Show'],
] as const;

/** §7.3.43 Reply-Charging. */
export const REPLY_CHARGING = [
  [0x80, 'Requested'],
  [0x81, 'Requested-text-only'],
  [0x82, 'Accepted'],
  [0x83, 'Accepted-text-only'],
] as const;

/** §7.3.33 MM-State. */
export const MM_STATE = [
  [0x80, 'Draft'],
  [0x81, 'Sent'],
  [0x82, 'New'],
  [0x83, 'Retrieved'],
  [0x84, 'Forwarded'],
] as const;

/** §7.3.58 Store-Status. */
export const STORE_STATUS = [
  [0x80, 'Success'],
  [0xc0, 'Error-transient-failure'],
  [0xc1, 'Error-transient-network-problem'],
  [0xe0, 'Error-permanent-failure'],
  [0xe1, 'Error-permanent-service-denied'],
  [0xe2, 'Error-permanent-message-format-corrupt'],
  [0xe3, 'Error-permanent-message-not-found'],
  [0xe4, 'Error-permanent-mmbox-full'],
] as const;

/** §7.3.9 Content-Class. */
export const CONTENT_CLASS = [
  [0x80, 'text'],
  [0x81, 'image-basic'],
  [0x82, 'image-rich'],
  [0x83, 'video-basic'],
  [0x84, 'video-rich'],
  [0x85, 'megapixel'],
  [0x86, 'content-basic'],
  [0x87, 'content-rich'],
] as const;

/** §7.3.47 Recommended-Retrieval-Mode. */
export const RECOMMENDED_RETRIEVAL_MODE = [[0x80, 'Manual']] as const;

/** §7.3.6 Cancel-Status. */
export const CANCEL_STATUS = [
  [0x80, 'Cancel-request-successfully-received'],
  [0x81, 'Cancel-request-corrupted'],
] as const;

/** §7.3.32 MM-Flags action tokens. */
export const MM_FLAGS_ACTION = [
  [0x80, 'Add'],
  [0x81, 'Remove'],
  [0x82, 'Filter'],
] as const;

/** §7.3.28 / §7.3.25 Mbox-Totals and Mbox-Quotas unit tokens. */
export const MBOX_UNIT = [
  [0x80, 'messages'],
  [0x81, 'size'],
] as const;

/** §7.3.20 / §7.3.12 Expiry, Delivery-Time, Reply-Charging-Deadline: Absolute-token | Relative-token. */
export const ABSOLUTE_TOKEN = 0x80;
export const RELATIVE_TOKEN = 0x81;

/** §7.3.21 From: Address-present-token | Insert-address-token. */
export const ADDRESS_PRESENT_TOKEN = 0x80;
export const INSERT_ADDRESS_TOKEN = 0x81;

export type TokenOf<T extends ReadonlyArray<readonly [number, string]>> = T[number][1];
export type YesNo = TokenOf<typeof YES_NO>;
export type MessageClass = TokenOf<typeof MESSAGE_CLASS>;
export type Priority = TokenOf<typeof PRIORITY>;
export type ResponseStatus = TokenOf<typeof RESPONSE_STATUS>;
export type RetrieveStatus = TokenOf<typeof RETRIEVE_STATUS>;
export type Status = TokenOf<typeof STATUS>;
export type ReadStatus = TokenOf<typeof READ_STATUS>;
export type SenderVisibility = TokenOf<typeof SENDER_VISIBILITY>;
export type ReplyCharging = TokenOf<typeof REPLY_CHARGING>;
export type MmState = TokenOf<typeof MM_STATE>;
export type StoreStatus = TokenOf<typeof STORE_STATUS>;
export type ContentClass = TokenOf<typeof CONTENT_CLASS>;
export type RecommendedRetrievalMode = TokenOf<typeof RECOMMENDED_RETRIEVAL_MODE>;
export type CancelStatus = TokenOf<typeof CANCEL_STATUS>;
export type MmFlagsAction = TokenOf<typeof MM_FLAGS_ACTION>;
export type MboxUnit = TokenOf<typeof MBOX_UNIT>;

/** Response-Status classes (§7.3.48): 0xC0-0xDF transient, 0xE0-0xFF permanent. */
export function isTransientStatus(octet: number): boolean {
  return octet >= 0xc0 && octet < 0xe0;
}
export function isPermanentStatus(octet: number): boolean {
  return octet >= 0xe0;
}
