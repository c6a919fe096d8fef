import type { PeerLimits } from './ports.js';
import type { CoreMessage } from './message.js';

/** What a worker hands to an outbound edge for one recipient. */
export interface Delivery {
  message: CoreMessage;
  recipientIndex: number;
  attempt: number;
  /** The message's parts, fetched from the store when the edge needs them. */
  content(): Promise<Buffer[]>;
}

/**
 * The outcome an edge reports, following each protocol's own transient/permanent split (MMS 0xC0 vs
 * 0xE0 statuses, SMTP 4xx vs 5xx, MM7 2xxx/3xxx vs 4xxx): `retry` is transient, `rejected` permanent.
 */
export type DeliveryResult =
  | { status: 'delivered'; detail?: string }
  | { status: 'rejected'; detail: string }
  | { status: 'retry'; error: string; retryAfterMs?: number };

export interface Route {
  /** The peer the delivery goes to: what the queue partitions by and the throttle limits. */
  peer: string;
  limits: PeerLimits;
  send(delivery: Delivery): Promise<DeliveryResult>;
}

/** Recipient -> route (MM1 local, MM4 carrier, MM7 VASP, SMS fallback); undefined when none exists. */
export interface Router {
  route(message: CoreMessage, recipientIndex: number): Route | undefined;
}
