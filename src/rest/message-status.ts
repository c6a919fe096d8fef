import { type CoreMessage, type RecipientState, TERMINAL_STATES } from '../core/message.js';
import { HTTP_STATUS } from '../transport/http-status.js';
import type { RestAnswer } from './route.js';

/** A message's state as the sender's API shows it (GET /v1/messages, GET /v1/messages/:id). */
export type MessageStatus = 'scheduled' | 'queued' | 'delivering' | 'completed' | 'cancelled';
export const MESSAGE_STATUSES: readonly MessageStatus[] = ['scheduled', 'queued', 'delivering', 'completed', 'cancelled'];

/**
 * The message-level status from its recipients' states, the one derivation every answer uses:
 * - cancelled: every recipient cancelled; completed: every recipient terminal (cancelled ones included);
 * - scheduled: its sendAt (earliestDeliveryAt) is still ahead and no recipient has been tried yet (each is
 *   queued or cancelled);
 * - queued: no recipient tried yet (each queued), none ended; delivering: the rest (some tried, or some ended
 *   and some not).
 */
export function messageStatus(m: CoreMessage, states: readonly RecipientState[], now: number): MessageStatus {
  const all = m.recipients.map((_, i) => states[i] ?? 'queued');
  if (all.every((s) => s === 'cancelled')) return 'cancelled';
  if (all.every((s) => TERMINAL_STATES.has(s))) return 'completed';
  const untried = all.every((s) => s === 'queued' || s === 'cancelled');
  if (untried && m.earliestDeliveryAt !== undefined && m.earliestDeliveryAt > now) return 'scheduled';
  if (all.every((s) => s === 'queued')) return 'queued';
  return 'delivering';
}

/** The 202 body of an accepted submission (POST /v1/messages). */
export interface AcceptedBody {
  messageId: string;
  recipients: number;
  status: 'accepted' | 'scheduled';
  sendAt?: string;
  clientRef?: string;
}

/**
 * The answer to an accepted submission, from the message as stored: the same whether it is the first
 * request's or an Idempotency-Key replay's (rebuilt from the queue), so that both are the same bytes.
 * `scheduled` when it was accepted with a sendAt still ahead (buildMessage keeps only such a one).
 */
export function acceptedAnswer(m: CoreMessage): RestAnswer {
  const body: AcceptedBody = {
    messageId: m.id,
    recipients: m.recipients.length,
    status: m.earliestDeliveryAt !== undefined ? 'scheduled' : 'accepted',
  };
  if (m.earliestDeliveryAt !== undefined) body.sendAt = new Date(m.earliestDeliveryAt).toISOString();
  if (m.sender?.clientRef !== undefined) body.clientRef = m.sender.clientRef;
  return { status: HTTP_STATUS.ACCEPTED, body, headers: { location: `/v1/messages/${encodeURIComponent(m.id)}` } };
}
