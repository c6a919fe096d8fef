/**
 * The one way a `CoreMessage` is made: every edge (MM7 SubmitReq, REST, MM1 m-send-req, SMPP MO, the
 * gateway's own texts) and the report generator pass what they know, and the defaults are filled here once:
 * the Message-ID, the receive time, the expiry within the edge's lifetime bounds, no reports asked for,
 * normal priority, class personal, the message's media type from its parts; optional fields that say
 * nothing (undefined, a deferral not in the future, empty service data) are left out, so that stored
 * messages carry only what was given.
 */
import type {
  AckInfo,
  ContentRef,
  CoreMessage,
  MessageClass,
  Origin,
  Party,
  Priority,
  Recipient,
  ReportInfo,
  ServiceInfo,
} from './message.js';
import { newMessageId } from './message-id.js';

/** The media type of a message of several parts when the edge names none (OMA-TS-MMS_ENC §7.3.11). */
export const MULTIPART_MIXED = 'application/vnd.wap.multipart.mixed';

/** What a message is, when the edge does not say (3GPP TS 23.140 §8.7.1 / OMA-TS-MMS_ENC §7.3 defaults). */
export const MESSAGE_DEFAULTS = {
  deliveryReport: false,
  readReport: false,
  priority: 'normal',
  messageClass: 'personal',
} as const satisfies Pick<CoreMessage, 'deliveryReport' | 'readReport' | 'priority' | 'messageClass'>;

/** How long the edge keeps a message it accepts: by default, and at most (whatever the sender asked). */
export interface Lifetime {
  defaultMs: number;
  maxMs?: number;
}

export interface MessageInit {
  /** Default: a new Message-ID drawn at `now` (edges that staged content under an id pass that id). */
  id?: string;
  /** When the gateway received it: `receivedAt`, and the base of the lifetime. */
  now: number;
  originator: Party;
  recipients: Recipient[];
  origin: Origin;
  parts: ContentRef[];
  /** Default: the type of the one part; text/plain without parts; multipart.mixed with several. */
  contentType?: string;
  contentTypeParams?: Record<string, string | number> | undefined;
  subject?: string | undefined;
  /** The expiry the sender asked for (epoch ms); undefined: `now + lifetime.defaultMs`. */
  expiresAt?: number | undefined;
  /** Never past `now + lifetime.maxMs`. */
  lifetime: Lifetime;
  /** Deferred delivery; kept only when it is after `now`. */
  earliestDeliveryAt?: number | undefined;
  deliveryReport?: boolean | undefined;
  readReport?: boolean | undefined;
  priority?: Priority | undefined;
  messageClass?: MessageClass | undefined;
  /** Kept only with what is set (undefined entries dropped; none at all: no `service`). */
  service?: ServiceInfo | undefined;
  report?: ReportInfo | undefined;
  ack?: AckInfo | undefined;
}

/** The core message for `init`, with the defaults filled in. */
export function buildMessage(init: MessageInit): CoreMessage {
  const { now, parts, lifetime } = init;
  const requested = init.expiresAt ?? now + lifetime.defaultMs;
  const message: CoreMessage = {
    id: init.id ?? newMessageId(now),
    originator: init.originator,
    recipients: init.recipients,
    contentType: init.contentType ?? defaultContentType(parts),
    parts,
    expiresAt: lifetime.maxMs === undefined ? requested : Math.min(requested, now + lifetime.maxMs),
    deliveryReport: init.deliveryReport ?? MESSAGE_DEFAULTS.deliveryReport,
    readReport: init.readReport ?? MESSAGE_DEFAULTS.readReport,
    priority: init.priority ?? MESSAGE_DEFAULTS.priority,
    messageClass: init.messageClass ?? MESSAGE_DEFAULTS.messageClass,
    origin: init.origin,
    receivedAt: now,
  };
  if (init.contentTypeParams !== undefined) message.contentTypeParams = init.contentTypeParams;
  if (init.subject !== undefined) message.subject = init.subject;
  if (init.earliestDeliveryAt !== undefined && init.earliestDeliveryAt > now) message.earliestDeliveryAt = init.earliestDeliveryAt;
  const service = init.service && definedOnly(init.service);
  if (service && Object.keys(service).length > 0) message.service = service;
  if (init.report !== undefined) message.report = init.report;
  if (init.ack !== undefined) message.ack = init.ack;
  return message;
}

/** One UTF-8 text part of `text`, the content of a short message or a text the gateway writes. */
export function textPart(text: string, index = 0): ContentRef {
  return { index, contentType: 'text/plain', params: { charset: 'utf-8' }, size: Buffer.byteLength(text) };
}

function defaultContentType(parts: readonly ContentRef[]): string {
  if (parts.length === 0) return 'text/plain';
  return parts.length === 1 ? parts[0]!.contentType : MULTIPART_MIXED;
}

/** `o` without its undefined entries (a shallow copy). */
function definedOnly<T extends object>(o: T): T {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k as keyof T] = v as T[keyof T];
  return out as T;
}
