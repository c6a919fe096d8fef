import type { PeerLimits } from './ports.js';
import type { CoreMessage } from './message.js';

/** What a worker hands to an outbound edge for one recipient. */
export interface Delivery {
  message: CoreMessage;
  recipientIndex: number;
  attempt: number;
  /** The attempts the job has in all (queue.maxAttempts): a route spreading its retries over a time needs it. */
  maxAttempts?: number;
  /** How many times this job ended an attempt `waiting` before (MM1: notifications pushed so far); absent: 0. */
  notifications?: number;
  /** The message's parts, fetched from the store when the edge needs them. */
  content(): Promise<Buffer[]>;
}

/**
 * The outcome an edge reports, following each protocol's own transient/permanent split (MMS 0xC0 vs
 * 0xE0 statuses, SMTP 4xx vs 5xx, MM7 2xxx/3xxx vs 4xxx): `retry` is transient, `rejected` permanent.
 * `waiting`: the recipient was told the message is there (MM1: an m-notification-ind pushed, OMA-TS-MMS_CTR
 * §6.1.2) and fetches it itself; the job waits in state `notified`, its end comes from outside (the MM1
 * server's Queue.complete on retrieval) or with the message's expiry. Not a failed attempt: it uses none of
 * queue.maxAttempts, and counts one notification (Delivery.notifications). retryAfterMs: when to look at
 * the job again (a re-notification, a fallback); unset: not before expiry.
 */
export type DeliveryResult =
  | { status: 'delivered'; detail?: string }
  | { status: 'rejected'; detail: string }
  | { status: 'retry'; error: string; retryAfterMs?: number }
  | { status: 'waiting'; detail?: string; retryAfterMs?: number };

export interface Route {
  /** The peer the delivery goes to: what the queue partitions by and the throttle limits. */
  peer: string;
  limits: PeerLimits;
  send(delivery: Delivery): Promise<DeliveryResult>;
}

/** Recipient -> route (MM1 local, MM4 carrier, MM7 VASP, SMS fallback); undefined when none exists. */
export interface Router {
  route(message: CoreMessage, recipientIndex: number): Route | undefined;
  /**
   * Before a new message is routed (intake): looks up what routing needs beyond the address (the number
   * portability lookup) and returns the message with it recorded (Recipient.network). Absent: nothing to
   * look up. Never throws; bounded in time by the lookup's own timeout.
   */
  prepare?(message: CoreMessage): Promise<CoreMessage>;
}
