import type { CoreMessage } from './message.js';
import type { RefusalCode } from './refusals.js';

/**
 * The events a sender's API (REST) account receives about its messages, per recipient (issue 24, "Events"):
 * - `accepted` (taken and stored), `scheduled` (stored for sendAt), `queued` (due: handed to delivery),
 * - `notified` (MM1: the handset was sent its WAP push), `delivered` (retrieved / accepted by the next hop),
 *   `read` (a read report), `delivered_as_sms` (the SMS fallback reached the handset instead),
 * - `rejected`, `failed`, `expired` (final failures: with a `code` of the refusal catalogue when one applies),
 * - `media-unavailable` (a media URL could not be fetched: `url` and `detail` say which and why),
 * - `adapted` (content changed to fit the handset: issue 25; `detail` says what, with bytes before/after).
 */
export const SENDER_EVENT_TYPES = [
  'accepted',
  'scheduled',
  'queued',
  'notified',
  'delivered',
  'read',
  'rejected',
  'failed',
  'expired',
  'delivered_as_sms',
  'media-unavailable',
  'adapted',
] as const;
export type SenderEventType = (typeof SENDER_EVENT_TYPES)[number];

/** One event about one recipient (or about the whole message when `recipientIndex` is unset). */
export interface SenderEvent {
  type: SenderEventType;
  recipientIndex?: number;
  /** When it happened (epoch ms). */
  at: number;
  code?: RefusalCode;
  detail?: string;
  /** media-unavailable: the URL that could not be fetched. */
  url?: string;
}

/**
 * Where the edges and the core report sender events: the webhook side (src/rest/webhooks/) turns each into a
 * signed POST to the message's callbackUrl, retried at least once delivered, with an `eventId` that is the
 * same on every attempt (derived from the message, recipient and type, never random). A message without a
 * callbackUrl (or not from the sender's API) has no events: `emit` does nothing for it.
 */
export interface SenderEvents {
  emit(message: CoreMessage, event: SenderEvent): Promise<void>;
}

/** No events (tests, and edges whose messages have none). */
export const NO_SENDER_EVENTS: SenderEvents = { emit: async () => {} };
