// Value tokens of the MM4 header fields, as data (3GPP TS 23.140 §8.4; the same tokens as the stage-2
// information elements of §6). Parsing matches them case-insensitively and returns the spelling here.

/** X-Mms-Message-Type (§8.4.1.1, §8.4.1.2, §8.4.2.1, §8.4.2.2, §8.4.3.1, §8.4.3.2). */
export const MM4_MESSAGE_TYPES = [
  'MM4_forward.REQ',
  'MM4_forward.RES',
  'MM4_delivery_report.REQ',
  'MM4_delivery_report.RES',
  'MM4_read_reply_report.REQ',
  'MM4_read_reply_report.RES',
] as const;
export type Mm4MessageType = (typeof MM4_MESSAGE_TYPES)[number];

/** X-Mms-Request-Status-Code of the three RES messages (§8.4.1.2, §8.4.2.2, §8.4.3.2). */
export const REQUEST_STATUSES = [
  'Ok',
  'Error-unspecified',
  'Error-service-denied',
  'Error-message-format-corrupt',
  'Error-sending-address-unresolved',
  'Error-message-not-found',
  'Error-network-problem',
  'Error-content-not-accepted',
  'Error-unsupported-message',
] as const;
export type Mm4RequestStatus = (typeof REQUEST_STATUSES)[number];

/** X-Mms-MM-Status-Code of MM4_delivery_report.REQ (§8.4.2.1; the MM status values of §6.1.1). */
export const MM_STATUSES = [
  'Expired',
  'Retrieved',
  'Rejected',
  'Deferred',
  'Unrecognised',
  'Indeterminate',
  'Forwarded',
  'Unreachable',
] as const;
export type Mm4MmStatus = (typeof MM_STATUSES)[number];

/** X-Mms-Read-Status of MM4_read_reply_report.REQ (§8.4.3.1). */
export const READ_STATUSES = ['Read', 'Deleted'] as const;
export type Mm4ReadStatus = (typeof READ_STATUSES)[number];

/** X-Mms-Message-Class (§8.4.1.1). */
export const MESSAGE_CLASSES = ['Personal', 'Informational', 'Advertisement', 'Auto'] as const;
export type Mm4MessageClass = (typeof MESSAGE_CLASSES)[number];

/** X-Mms-Priority (§8.4.1.1). */
export const PRIORITIES = ['Low', 'Normal', 'High'] as const;
export type Mm4Priority = (typeof PRIORITIES)[number];

/** X-Mms-Sender-Visibility (§8.4.1.1). */
export const SENDER_VISIBILITIES = ['Hide', 'Show'] as const;
export type Mm4SenderVisibility = (typeof SENDER_VISIBILITIES)[number];

/** The token of `list` equal to `value` in any case, or undefined. */
export function token<T extends string>(list: readonly T[], value: string): T | undefined {
  const v = value.trim().toLowerCase();
  return list.find((t) => t.toLowerCase() === v);
}
