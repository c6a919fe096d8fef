import type { CoreMessage } from '../../core/message.js';

/** The JSON of one webhook event (docs/webhooks.md, the API's "Webhook events"). */
export interface WebhookEvent {
  /** The same on every attempt, after a crash too (the event message's id): a receiver drops a copy by it. */
  eventId: string;
  /** A SenderEventType: accepted, scheduled, queued, notified, delivered, read, rejected, ... */
  type: string;
  /** When it happened, RFC 3339. */
  at: string;
  messageId: string;
  /** The recipient it is about (absent for an event about the whole message). */
  recipient?: string;
  clientRef?: string;
  /** The refusal catalogue's code, on failures that have one. */
  code?: string;
  detail?: string;
  /** media-unavailable: the URL. */
  url?: string;
}

/**
 * The body of the event a queued report message carries: a sender's event (report kind `event`), or a
 * delivery or read report queued for a REST callback before events existed (still in a durable queue after an
 * upgrade: sent in the new shape, its type the state). `clientRef` is the original's, which the event message
 * carries (core/reports.ts eventMessage). Undefined: not a report.
 */
export function webhookBody(message: CoreMessage): WebhookEvent | undefined {
  const clientRef = message.sender?.clientRef;
  const info = message.report;
  if (!info) return undefined;
  const type = info.kind === 'event' ? (info.event?.type ?? info.status) : info.status === 'deleted' ? 'read' : info.status;
  const body: WebhookEvent = { eventId: message.id, type, at: new Date(info.at).toISOString(), messageId: info.messageId };
  if (info.recipientIndex >= 0) body.recipient = message.originator.address;
  if (clientRef !== undefined) body.clientRef = clientRef;
  if (info.event?.code !== undefined) body.code = info.event.code;
  if (info.detail !== undefined) body.detail = info.detail;
  else if (info.status === 'deleted' && info.kind === 'read') body.detail = 'deleted without being read';
  if (info.event?.url !== undefined) body.url = info.event.url;
  return body;
}
