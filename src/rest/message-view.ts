import { type CoreMessage, type Recipient, type RecipientState, type TrafficClass, trafficClassOf } from '../core/message.js';
import type { Queue } from '../core/ports.js';
import type { VaspConfig } from '../ops/config.js';
import { HTTP_STATUS } from '../transport/http-status.js';
import type { RestApiOptions } from './services.js';
import { refusal } from './errors.js';
import type { RestRoute } from './route.js';
import { type MessageStatus, messageStatus } from './message-status.js';

/** Submissions of a VASP on either edge: what GET /v1/messages/:id may show it. */
const READABLE_IFACES: ReadonlySet<string> = new Set(['rest', 'mm7']);

/** GET /v1/messages/:id */
export interface MessageView {
  messageId: string;
  from: string;
  subject?: string;
  submittedAt: string;
  expiresAt: string;
  /** When a scheduled message is to go (its earliestDeliveryAt). */
  sendAt?: string;
  clientRef?: string;
  class?: TrafficClass;
  status: MessageStatus;
  recipients: Array<{
    address: string;
    kind: Recipient['kind'];
    state: RecipientState;
    events: Array<{ at: string; state: RecipientState; attempt: number; detail?: string }>;
  }>;
}

export const iso = (ms: number) => new Date(ms).toISOString();

/** Whether the account submitted this message (on MM7 or REST): another's is answered as unknown. */
export function ownedBy(m: CoreMessage | undefined, vasp: VaspConfig): m is CoreMessage {
  return m !== undefined && READABLE_IFACES.has(m.origin.iface) && m.origin.peer === vasp.id;
}

/**
 * GET /v1/messages/:id: the per-recipient states and events of one of the account's own submissions, from
 * either edge. Another account's message is answered exactly like an unknown one: ids are not secrets to guess at.
 */
export function messageStatusRoute(o: RestApiOptions): RestRoute {
  return {
    method: 'GET',
    path: '/v1/messages/:id',
    operation: 'status',
    needs: 'read',
    async handle({ vasp, params }) {
      const id = params.id!;
      const view = await messageView(o.queue, id, vasp, (o.now ?? Date.now)()).catch((err: unknown) => {
        o.log.error({ err, messageId: id }, 'message status unavailable');
        throw refusal('store-unavailable', 'the message store is unavailable; retry later');
      });
      if (!view) throw refusal('message-not-found', `no message ${id} submitted by this account`);
      return { status: HTTP_STATUS.OK, body: view };
    },
  };
}

/** The status document of a message the VASP submitted, or undefined. */
export async function messageView(q: Queue, id: string, vasp: VaspConfig, now: number = Date.now()): Promise<MessageView | undefined> {
  const m = await q.message(id);
  if (!ownedBy(m, vasp)) return undefined;
  const states = (await q.states(id)) ?? [];
  const histories = await Promise.all(m.recipients.map((_, i) => q.history(id, i)));
  const recipientStates = m.recipients.map((_, i) => states[i] ?? 'queued');
  const view: MessageView = {
    messageId: m.id,
    from: m.originator.address,
    submittedAt: iso(m.receivedAt),
    expiresAt: iso(m.expiresAt),
    status: messageStatus(m, states, now),
    recipients: m.recipients.map((r, i) => ({
      address: r.address,
      kind: r.kind,
      state: recipientStates[i]!,
      events: (histories[i] ?? []).map((e) => ({
        at: iso(e.at),
        state: e.state,
        attempt: e.attempt,
        ...(e.detail !== undefined ? { detail: e.detail } : {}),
      })),
    })),
  };
  if (m.subject !== undefined) view.subject = m.subject;
  if (m.earliestDeliveryAt !== undefined) view.sendAt = iso(m.earliestDeliveryAt);
  if (m.sender?.clientRef !== undefined) view.clientRef = m.sender.clientRef;
  view.class = trafficClassOf(m);
  return view;
}
