import { createHash } from 'node:crypto';
import type { Mm7Address, SubmitReq } from '../../protocols/mm7/index.js';
import type { IdempotencyStore } from '../core/ports.js';

/** What a SubmitReq is stored under: a new Message-ID, or the one of the request it repeats. */
export interface SubmitClaim {
  messageId: string;
  /** A retry of a SubmitReq this VASP sent within the window: `messageId` is the first one's. */
  retry: boolean;
  /** The record this request made (it came first): released when nothing is stored under it. */
  record?: { scope: string; key: string; value: string };
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
  /** `windowMs` > 0: the gateway builds none when retries are not recognised (mm7.submitRetryWindowMs 0). */
  constructor(private readonly o: { store: IdempotencyStore; windowMs: number }) {}

  /** The Message-ID to store `req` under: `candidate` for a new submission, the first one's for a retry. */
  async claim(vaspId: string, req: SubmitReq, candidate: string): Promise<SubmitClaim> {
    if (req.transactionId === '') return { messageId: candidate, retry: false };
    const print = fingerprint(req);
    const record = { scope: `mm7-submit:${vaspId}`, key: req.transactionId, value: `${candidate} ${print}` };
    const r = await this.o.store.claim(record.scope, record.key, record.value, this.o.windowMs);
    if (r.first) return { messageId: candidate, retry: false, record };
    const [messageId, theirs] = r.value.split(' ');
    if (!messageId || theirs !== print) return { messageId: candidate, retry: false };
    return { messageId, retry: true };
  }

  /**
   * A request that made its record and was then not stored (refused, or failed before its enqueue) drops
   * it: a retry is then a first request again. Without this, a retry whose content came before its
   * envelope (staged under an id of its own) would be answered 3001 until the record expired.
   */
  async release(claim: SubmitClaim): Promise<void> {
    if (claim.record) await this.o.store.release(claim.record.scope, claim.record.key, claim.record.value);
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
