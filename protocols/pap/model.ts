/**
 * The Push Access Protocol 2.0 (WAP-247-PAP-20010429) as far as an MMSC needs it: submitting one push
 * (push-message, §9.2) to a Push Proxy Gateway and reading its synchronous answer (push-response §9.3, or
 * badmessage-response §9.12 when the PPG could not read the request).
 */

/** quality-of-service delivery-method (§9.2): whether the PPG must get a delivery confirmation from the device. */
export type PapDeliveryMethod = 'confirmed' | 'unconfirmed' | 'preferconfirmed' | 'notspecified';

export interface PapPushMessage {
  /** push-id (§9.2): unique per PI; a retry of the same push reuses it, so that the PPG can spot duplicates (2007). */
  pushId: string;
  /** The subscriber, E.164 with a leading '+' (written as WAPPUSH=+.../TYPE=PLMN, WAP-249-PPGService §6.1). */
  address: string;
  /** The PPG's domain for the address's ppg-specifier (`...@ppg.example.net`); omitted when absent. */
  addressDomain?: string;
  /** deliver-before-timestamp (§9.2): the PPG drops the push after this instant. */
  deliverBeforeTimestamp?: Date;
  /** deliver-after-timestamp (§9.2): the PPG holds the push until this instant. */
  deliverAfterTimestamp?: Date;
  /** source-reference (§9.2): a textual name of the PI. */
  sourceReference?: string;
  /** Written in a quality-of-service element when set (§9.2); the PPG's default otherwise. */
  deliveryMethod?: PapDeliveryMethod;
}

/** The content entity (§8.2): what the PPG pushes to the device. */
export interface PapContent {
  /** Content-Type of the pushed entity, e.g. application/vnd.wap.mms-message. */
  contentType: string;
  /** X-Wap-Application-Id (WAP-251-PushMessage), e.g. x-wap-application:mms.ua. */
  applicationId: string;
  /** Sent as is (binary, no transfer encoding). */
  body: Buffer;
}

/** An HTTP request body for the PPG: multipart/related (§8.2, RFC 2387) with its Content-Type. */
export interface PapRequest {
  contentType: string;
  body: Buffer;
}

/** push-response (§9.3) with its response-result. */
export interface PapPushResponse {
  kind: 'push-response';
  pushId: string;
  /** response-result code (§9.13): 1001 when the PPG accepted the push for processing. */
  code: number;
  /** response-result desc. */
  description?: string;
  senderAddress?: string;
  senderName?: string;
  /** reply-time, when present and a valid UTC timestamp (informational: a bad one is dropped, not an error). */
  replyTime?: Date;
}

/** badmessage-response (§9.12): the PPG could not read the request at all. */
export interface PapBadMessageResponse {
  kind: 'badmessage-response';
  code: number;
  description?: string;
  /** The part of the request the PPG could not read (bad-message-fragment). */
  badMessageFragment?: string;
}

export type PapResponse = PapPushResponse | PapBadMessageResponse;

/** Bounds on a PPG's answer (a push-response is a few hundred bytes). */
export interface PapLimits {
  /** Bytes (or UTF-16 code units for a string). Default 64 KiB. */
  maxBytes?: number;
  /** Start tags. Default 100. */
  maxElements?: number;
  /** Attributes. Default 400 (a push-response has a handful). */
  maxAttributes?: number;
  /** Tokens (tags, attributes, references, comments ...: protocols/xml/prescan.ts). Default 2000. */
  maxTokens?: number;
  /** Element nesting. Default 16 (PAP needs 3). */
  maxDepth?: number;
}
