// The RES we owe a peer (TS 23.140 §8.4.1.2 MM4_forward.RES; §8.4.2.2, §8.4.3.2 the reports' RES) as a queued
// message (CoreMessage.ack) rather than sent from the SMTP session: the peer's SMTP server may be down or
// answer 4xx just then, and the queue retries with backoff, throttles by the peer and survives our crash
// once it is queued. A crash between storing the request and queueing its RES loses that RES; the peer's own
// policy for a missing RES covers it (it counts the forward delivered, or forwards again with the same
// X-Mms-Message-ID, which is acknowledged again).
import { createHash } from 'node:crypto';
import { originatorSystemOf } from '../../protocols/mm4/index.js';
import type { AckInfo, CoreMessage } from '../core/message.js';
import { buildMessage } from '../core/message-builder.js';
import type { Queue } from '../core/ports.js';
import type { Router } from '../core/router.js';
import type { Logger } from '../ops/logger.js';

/** A RES not delivered within this long is given up (the peer stopped waiting long before). */
export const RES_EXPIRY_MS = 86_400_000;

export interface ResponseTarget {
  /** The peer (config id) the request came from. */
  peer: string;
  /** Its MMS domain, the fallback for where the RES goes. */
  peerDomain?: string;
  /** The request's X-Mms-Originator-System and Sender, as written. */
  originatorSystem?: string;
  sender?: string;
}

/**
 * The mailbox a RES goes to (§8.4.1.2: to the originator MMS Relay/Server): X-Mms-Originator-System in any
 * of its forms, else the request's Sender, else `system-user@<peer domain>`.
 */
export function responseMailbox(t: ResponseTarget): string | undefined {
  for (const v of [t.originatorSystem, t.sender]) {
    const s = v === undefined ? undefined : originatorSystemOf(v.replace(/^.*<([^>]*)>\s*$/, '$1'));
    if (s) return s.mailbox;
  }
  return t.peerDomain === undefined ? undefined : `system-user@${t.peerDomain}`;
}

/**
 * The id of the RES message: one per (request type, peer, Transaction-ID as written), so that the same
 * request acknowledged twice (its DATA sent again after a lost 250) queues one RES; a new attempt of the
 * peer's has a new Transaction-ID and gets its own.
 */
export function responseMessageId(base: string, type: string, peer: string, transactionId: string): string {
  const h = createHash('sha256').update(`${type}\n${peer}\n${transactionId}`).digest('hex').slice(0, 16);
  return `${base}-res-${h}`;
}

/**
 * Queues `ack` to the peer's route (src/mm4/routes.ts `mm4 responses`). False when it cannot go: no mailbox
 * to send it to, or no route (the peer has no `out`); logged, the request itself stands.
 */
export async function queueResponse(
  o: { queue: Queue; router: Router; log: Logger; ownDomain: string; now: number },
  base: string,
  target: ResponseTarget,
  ack: Omit<AckInfo, 'to'>,
): Promise<boolean> {
  const mailbox = responseMailbox(target);
  const log = o.log.child({ peer: target.peer, type: ack.type, transactionId: ack.transactionId });
  if (mailbox === undefined) {
    log.warn('MM4 RES not queued: no X-Mms-Originator-System, Sender or peer domain to send it to');
    return false;
  }
  const message: CoreMessage = buildMessage({
    id: responseMessageId(base, ack.type, target.peer, ack.transactionId),
    now: o.now,
    originator: { address: `system-user@${o.ownDomain}`, type: 'email' },
    recipients: [{ address: mailbox, type: 'email', kind: 'to' }],
    origin: { iface: 'mm4', peer: target.peer },
    parts: [],
    lifetime: { defaultMs: RES_EXPIRY_MS },
    messageClass: 'auto',
    ack: { ...ack, to: { iface: 'mm4', peer: target.peer } },
  });
  const route = o.router.route(message, 0);
  if (!route) {
    log.warn('MM4 RES not queued: no route to the peer (mm4.peers[].out is not set)');
    return false;
  }
  await o.queue.enqueue(message, [], [route.peer]);
  log.info({ messageId: message.id, status: ack.status }, 'MM4 RES queued');
  return true;
}
