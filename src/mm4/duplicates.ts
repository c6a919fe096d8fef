import { createHash } from 'node:crypto';
import type { Mm4ForwardReq } from '../../protocols/mm4/index.js';
import type { IdempotencyStore } from '../core/ports.js';

/** What an MM4_forward.REQ is stored under: a new Message-ID, or the one of the forward it repeats. */
export interface ForwardClaim {
  messageId: string;
  /** The peer sent this forward before (same X-Mms-Message-ID, same recipients): `messageId` is the first one's. */
  repeat: boolean;
  /** The record this forward made (it came first): released when nothing is stored under it. */
  record?: { scope: string; key: string; value: string };
}

/**
 * Recognises a forward a peer sends again: SMTP peers retry a transaction whose 250 they did not get (the
 * connection broke after DATA, we restarted), RFC 5321 §4.5.4.1, and an MM4 peer may resend a message it
 * has no MM4_forward.RES for. TS 23.140 §8.4.1.1: X-Mms-Message-ID identifies the MM, so the same id from the
 * same peer is the same MM; with the same envelope recipients (a peer refused at its 101st RCPT, 452, sends
 * the rest in another transaction with the same X-Mms-Message-ID, which is not a repeat).
 *
 * The first forward records its Message-ID under (`mm4-forward:<peer>`, X-Mms-Message-ID and recipients)
 * before it is enqueued; a repeat is stored under that Message-ID, and the queue stores an id once, so the
 * MM is delivered once whether the first copy crashed before, during or after its enqueue and whether both
 * arrive at once on two instances. A repeat of a stored message is answered 250 with its id.
 */
export class ForwardDuplicates {
  constructor(private readonly o: { store: IdempotencyStore; windowMs: number }) {}

  async claim(peerId: string, req: Pick<Mm4ForwardReq, 'messageId'>, rcptTo: readonly string[], candidate: string): Promise<ForwardClaim> {
    if (req.messageId === '') return { messageId: candidate, repeat: false };
    const record = { scope: `mm4-forward:${peerId}`, key: `${req.messageId} ${recipientsPrint(rcptTo)}`, value: candidate };
    const r = await this.o.store.claim(record.scope, record.key, record.value, this.o.windowMs);
    if (r.first) return { messageId: candidate, repeat: false, record };
    return { messageId: r.value, repeat: true };
  }

  /** A forward that made its record and was then not stored (refused, store down) drops it: a retry starts afresh. */
  async release(claim: ForwardClaim): Promise<void> {
    if (claim.record) await this.o.store.release(claim.record.scope, claim.record.key, claim.record.value);
  }
}

/** The envelope's recipients, whatever their order and case: 96 bits of SHA-256. */
function recipientsPrint(rcptTo: readonly string[]): string {
  const sorted = rcptTo.map((r) => r.toLowerCase()).sort();
  return createHash('sha256').update(sorted.join('\n')).digest('base64url').slice(0, 16);
}
