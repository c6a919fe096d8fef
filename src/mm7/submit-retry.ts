import { createHash } from 'node:crypto';
import type { Mm7Address, SubmitReq } from '../../protocols/mm7/index.js';
import type { IdempotencyStore } from '../store/types.js';

/** What a SubmitReq is stored under: a new Message-ID, or the one of the request it repeats. */
export interface SubmitClaim {
  messageId: string;
  /** A retry of a SubmitReq this VASP sent within the window: `messageId` is the first one's. */
  retry: boolean;
}

/**
 * Recognises a VASP's retry of a SubmitReq whose SubmitRsp it never got (the gateway died after storing the
 * message, the connection broke): the same VASP, the same TransactionID (TS 23.140 §8.7: it identifies the
 * transaction) and the same request, within `windowMs`. The first request records its Message-ID under
 * (VASP, TransactionID) before it is enqueued; a retry is stored under that Message-ID, and the queue stores
 * an id once, so the message exists once whether the first request crashed before, during or after its
 * enqueue, and whether two copies arrive at once; a retry of a stored message is answered with its
 * Message-ID (SubmitRsp 1000).
 *
 * Some VASP stacks reuse TransactionIDs (a counter that restarts, a constant): a record is only taken for
 * the same request when the envelope's fingerprint (sender, recipients, subject, LinkedID, ServiceCode,
 * VASID) matches; a different request under a used TransactionID is a new message, as before.
 */
export class SubmitRetries {
  constructor(private readonly o: { store: IdempotencyStore; windowMs: number }) {}

  /** Whether retries are recognised at all (a window of 0 turns it off). */
  get enabled(): boolean {
    return this.o.windowMs > 0;
  }

  /** The Message-ID to store `req` under: `candidate` for a new submission, the first one's for a retry. */
  async claim(vaspId: string, req: SubmitReq, candidate: string): Promise<SubmitClaim> {
    if (!this.enabled || req.transactionId === '') return { messageId: candidate, retry: false };
    const print = fingerprint(req);
    const r = await this.o.store.claim(`mm7-submit:${vaspId}`, req.transactionId, `${candidate} ${print}`, this.o.windowMs);
    if (r.first) return { messageId: candidate, retry: false };
    const [messageId, theirs] = r.value.split(' ');
    if (!messageId || theirs !== print) return { messageId: candidate, retry: false };
    return { messageId, retry: true };
  }
}

/**
 * What makes two SubmitReqs the same request, whatever a VASP stack regenerates on a retry (TimeStamp,
 * MIME boundaries and Content-IDs, an absolute ExpiryDate computed from the clock): who sends, to whom,
 * what about. 96 bits of SHA-256.
 */
export function fingerprint(req: SubmitReq): string {
  const address = (a: Mm7Address | undefined) => (a ? [a.kind, a.value, a.displayOnly === true] : null);
  const fields = [
    address(req.senderAddress),
    req.recipients.to.map(address),
    req.recipients.cc.map(address),
    req.recipients.bcc.map(address),
    req.subject ?? null,
    req.linkedId ?? null,
    req.serviceCode ?? null,
    req.vasId ?? null,
  ];
  return createHash('sha256').update(JSON.stringify(fields)).digest('base64url').slice(0, 16);
}
