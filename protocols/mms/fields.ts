import * as c from './codecs.js';
import type { Codec } from './codecs.js';
import type { MmsHeaders } from './model.js';
import {
  CANCEL_STATUS,
  CONTENT_CLASS,
  MESSAGE_CLASS,
  MM_STATE,
  PRIORITY,
  READ_STATUS,
  RECOMMENDED_RETRIEVAL_MODE,
  REPLY_CHARGING,
  RESPONSE_STATUS,
  RETRIEVE_STATUS,
  SENDER_VISIBILITY,
  STATUS,
  STORE_STATUS,
  YES_NO,
  type MessageType,
} from './tables.js';

/** Model keys that are header fields (messageType is handled apart, as the first header). */
export type FieldKey = Exclude<keyof MmsHeaders, 'extraHeaders' | 'parts' | 'body'> | 'messageType';

export interface FieldSpec {
  /** Assigned number without the high bit (Table 25 lists them as 0x01-0x3F; on the wire 0x81-0xBF). */
  code: number;
  key: FieldKey;
  /** The header name as the spec writes it. */
  header: string;
  codec: Codec;
  /** The field may occur more than once; the model holds an array. */
  repeat?: true;
}

const yesNo = c.enumOf(YES_NO);

/**
 * OMA-TS-MMS_ENC-V1_3 Table 25 "Field name assignments", one row per header field: a new field is one row.
 * Content-Type (0x04) ends the headers; the body follows it (§5.1.2).
 */
export const FIELDS: readonly FieldSpec[] = [
  { code: 0x01, key: 'bcc', header: 'Bcc', codec: c.encoded, repeat: true },
  { code: 0x02, key: 'cc', header: 'Cc', codec: c.encoded, repeat: true },
  { code: 0x03, key: 'contentLocation', header: 'X-Mms-Content-Location', codec: c.indexable(c.text) },
  { code: 0x04, key: 'contentType', header: 'Content-Type', codec: c.contentType },
  { code: 0x05, key: 'date', header: 'Date', codec: c.date },
  { code: 0x06, key: 'deliveryReport', header: 'X-Mms-Delivery-Report', codec: yesNo },
  { code: 0x07, key: 'deliveryTime', header: 'X-Mms-Delivery-Time', codec: c.time },
  { code: 0x08, key: 'expiry', header: 'X-Mms-Expiry', codec: c.time },
  { code: 0x09, key: 'from', header: 'From', codec: c.from },
  { code: 0x0a, key: 'messageClass', header: 'X-Mms-Message-Class', codec: c.enumOf(MESSAGE_CLASS, true) },
  { code: 0x0b, key: 'messageId', header: 'Message-ID', codec: c.text },
  { code: 0x0c, key: 'messageType', header: 'X-Mms-Message-Type', codec: c.raw }, // handled by decode/encode
  { code: 0x0d, key: 'mmsVersion', header: 'X-Mms-MMS-Version', codec: c.version },
  { code: 0x0e, key: 'messageSize', header: 'X-Mms-Message-Size', codec: c.long },
  { code: 0x0f, key: 'priority', header: 'X-Mms-Priority', codec: c.enumOf(PRIORITY) },
  { code: 0x10, key: 'readReport', header: 'X-Mms-Read-Report', codec: yesNo }, // "X-Mms-Read-Reply" in 1.0
  { code: 0x11, key: 'reportAllowed', header: 'X-Mms-Report-Allowed', codec: yesNo },
  { code: 0x12, key: 'responseStatus', header: 'X-Mms-Response-Status', codec: c.indexable(c.enumOf(RESPONSE_STATUS)) },
  { code: 0x13, key: 'responseText', header: 'X-Mms-Response-Text', codec: c.encoded },
  { code: 0x14, key: 'senderVisibility', header: 'X-Mms-Sender-Visibility', codec: c.enumOf(SENDER_VISIBILITY) },
  { code: 0x15, key: 'status', header: 'X-Mms-Status', codec: c.enumOf(STATUS) },
  { code: 0x16, key: 'subject', header: 'Subject', codec: c.encoded },
  { code: 0x17, key: 'to', header: 'To', codec: c.encoded, repeat: true },
  { code: 0x18, key: 'transactionId', header: 'X-Mms-Transaction-Id', codec: c.text },
  { code: 0x19, key: 'retrieveStatus', header: 'X-Mms-Retrieve-Status', codec: c.enumOf(RETRIEVE_STATUS) },
  { code: 0x1a, key: 'retrieveText', header: 'X-Mms-Retrieve-Text', codec: c.encoded },
  { code: 0x1b, key: 'readStatus', header: 'X-Mms-Read-Status', codec: c.enumOf(READ_STATUS) },
  { code: 0x1c, key: 'replyCharging', header: 'X-Mms-Reply-Charging', codec: c.enumOf(REPLY_CHARGING) },
  { code: 0x1d, key: 'replyChargingDeadline', header: 'X-Mms-Reply-Charging-Deadline', codec: c.time },
  { code: 0x1e, key: 'replyChargingId', header: 'X-Mms-Reply-Charging-ID', codec: c.text },
  { code: 0x1f, key: 'replyChargingSize', header: 'X-Mms-Reply-Charging-Size', codec: c.long },
  { code: 0x20, key: 'previouslySentBy', header: 'X-Mms-Previously-Sent-By', codec: c.previouslySentBy, repeat: true },
  { code: 0x21, key: 'previouslySentDate', header: 'X-Mms-Previously-Sent-Date', codec: c.previouslySentDate, repeat: true },
  { code: 0x22, key: 'store', header: 'X-Mms-Store', codec: yesNo },
  { code: 0x23, key: 'mmState', header: 'X-Mms-MM-State', codec: c.enumOf(MM_STATE) },
  { code: 0x24, key: 'mmFlags', header: 'X-Mms-MM-Flags', codec: c.mmFlags },
  { code: 0x25, key: 'storeStatus', header: 'X-Mms-Store-Status', codec: c.enumOf(STORE_STATUS) },
  { code: 0x26, key: 'storeStatusText', header: 'X-Mms-Store-Status-Text', codec: c.encoded },
  { code: 0x27, key: 'stored', header: 'X-Mms-Stored', codec: yesNo },
  { code: 0x28, key: 'attributes', header: 'X-Mms-Attributes', codec: c.raw, repeat: true }, // codec set below
  { code: 0x29, key: 'totals', header: 'X-Mms-Totals', codec: yesNo },
  { code: 0x2a, key: 'mboxTotals', header: 'X-Mms-Mbox-Totals', codec: c.mboxCount },
  { code: 0x2b, key: 'quotas', header: 'X-Mms-Quotas', codec: yesNo },
  { code: 0x2c, key: 'mboxQuotas', header: 'X-Mms-Mbox-Quotas', codec: c.mboxCount },
  { code: 0x2d, key: 'messageCount', header: 'X-Mms-Message-Count', codec: c.integer },
  { code: 0x2e, key: 'content', header: 'Content', codec: c.raw },
  { code: 0x2f, key: 'start', header: 'X-Mms-Start', codec: c.integer },
  { code: 0x30, key: 'additionalHeaders', header: 'Additional-headers', codec: c.raw },
  { code: 0x31, key: 'distributionIndicator', header: 'X-Mms-Distribution-Indicator', codec: yesNo },
  { code: 0x32, key: 'elementDescriptor', header: 'X-Mms-Element-Descriptor', codec: c.elementDescriptor },
  { code: 0x33, key: 'limit', header: 'X-Mms-Limit', codec: c.integer },
  { code: 0x34, key: 'recommendedRetrievalMode', header: 'X-Mms-Recommended-Retrieval-Mode', codec: c.enumOf(RECOMMENDED_RETRIEVAL_MODE) },
  { code: 0x35, key: 'recommendedRetrievalModeText', header: 'X-Mms-Recommended-Retrieval-Mode-Text', codec: c.encoded },
  { code: 0x36, key: 'statusText', header: 'X-Mms-Status-Text', codec: c.encoded },
  { code: 0x37, key: 'applicId', header: 'X-Mms-Applic-ID', codec: c.text },
  { code: 0x38, key: 'replyApplicId', header: 'X-Mms-Reply-Applic-ID', codec: c.text },
  { code: 0x39, key: 'auxApplicInfo', header: 'X-Mms-Aux-Applic-Info', codec: c.text },
  { code: 0x3a, key: 'contentClass', header: 'X-Mms-Content-Class', codec: c.enumOf(CONTENT_CLASS) },
  { code: 0x3b, key: 'drmContent', header: 'X-Mms-DRM-Content', codec: yesNo },
  { code: 0x3c, key: 'adaptationAllowed', header: 'X-Mms-Adaptation-Allowed', codec: yesNo },
  { code: 0x3d, key: 'replaceId', header: 'X-Mms-Replace-ID', codec: c.text },
  { code: 0x3e, key: 'cancelId', header: 'X-Mms-Cancel-ID', codec: c.text },
  { code: 0x3f, key: 'cancelStatus', header: 'X-Mms-Cancel-Status', codec: c.enumOf(CANCEL_STATUS) },
];

export const FIELD_BY_CODE: ReadonlyArray<FieldSpec | undefined> = (() => {
  const t: (FieldSpec | undefined)[] = new Array(128).fill(undefined);
  for (const f of FIELDS) t[f.code] = f;
  return t;
})();

export const FIELD_BY_KEY: ReadonlyMap<string, FieldSpec> = new Map(FIELDS.map((f) => [f.key, f]));

// Attributes (§7.3.3) name header fields by their Short-integer code; the model uses field keys.
(FIELD_BY_CODE[0x28] as FieldSpec).codec = {
  read: (r) => {
    const code = r.shortInteger();
    return FIELD_BY_CODE[code]?.key ?? code;
  },
  write: (w, v) => {
    const code = typeof v === 'number' ? v : FIELD_BY_KEY.get(String(v))?.code;
    if (code === undefined) throw new Error(`unknown attribute ${String(v)}`);
    w.shortInteger(code);
  },
};

/** Response-Text is Value-length Status-count-value Encoded-string-value in these two types (§7.3.49). */
const INDEXED_RESPONSE_TEXT: FieldSpec = { ...(FIELD_BY_CODE[0x13] as FieldSpec), codec: c.indexable(c.encoded) };

/** The spec for a field code in a given message type. */
export function fieldFor(code: number, messageType: MessageType): FieldSpec | undefined {
  if (code === 0x13 && (messageType === 'm-mbox-delete-conf' || messageType === 'm-delete-conf')) return INDEXED_RESPONSE_TEXT;
  return FIELD_BY_CODE[code];
}

export const CODE_MESSAGE_TYPE = 0x0c;
export const CODE_TRANSACTION_ID = 0x18;
export const CODE_MMS_VERSION = 0x0d;
export const CODE_CONTENT_TYPE = 0x04;
