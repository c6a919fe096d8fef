// Which of our forwards a peer's answer is about (issue 22, Outbound: "Transaction-ID <-> (message,
// recipient) in the store, so a RES, delivery report or read report closes the right recipient of the right
// message, on any instance"). TS 23.140 §8.4.1.2: MM4_forward.RES echoes the forward's X-Mms-Transaction-ID;
// §8.4.2.1/§8.4.3.1: reports name the MM by the X-Mms-Message-ID the forward gave it. Both are recorded when
// the forward is sent, in the CorrelationStore every instance shares, keyed by the peer too: a peer can only
// close forwards that went to it.
import { bareId } from '../../protocols/mm4/index.js';
import { jobId, parseJobId } from '../core/message.js';
import type { CorrelationStore } from '../core/ports.js';

/** Answers may come after the message expired (an Expired report is sent at expiry): kept this much longer. */
const GRACE_MS = 86_400_000;
/** Whatever the message's lifetime, a correlation lasts at most this long (the store's memory is bounded). */
const MAX_TTL_MS = 30 * 86_400_000;

/** One recipient's copy of one of our messages, and when its forward was handed to the peer. */
export interface ForwardRef {
  messageId: string;
  recipientIndex: number;
  /** Epoch ms of the attempt that used this Transaction-ID (RES latency). */
  sentAt: number;
}

export const txKey = (peer: string, transactionId: string): string => `mm4:tx:${peer}:${bareId(transactionId)}`;
export const midKey = (peer: string, messageId: string): string => `mm4:mid:${peer}:${bareId(messageId)}`;
/** Set by an MM4_forward.RES with a transient error: the forward is sent again instead of the missing-RES policy. */
export const resendKey = (messageId: string, recipientIndex: number): string => `mm4:resend:${jobId(messageId, recipientIndex)}`;

/** Set by an MM4_forward.RES Ok for a forward whose delivery report is awaited: the job waits for it, not resent. */
export const resOkKey = (messageId: string, recipientIndex: number): string => `mm4:resok:${jobId(messageId, recipientIndex)}`;

/** How long a forward's correlations live: the message's lifetime and a grace, bounded. */
export function correlationTtl(expiresAt: number, now: number): number {
  return Math.min(MAX_TTL_MS, Math.max(0, expiresAt - now) + GRACE_MS);
}

/** Records both ids of one forward attempt. Rejects when the store does (the caller retries the forward). */
export async function rememberForward(
  store: CorrelationStore,
  peer: string,
  ids: { transactionId: string; messageId: string },
  ref: ForwardRef,
  ttlMs: number,
): Promise<void> {
  const value = JSON.stringify({ j: jobId(ref.messageId, ref.recipientIndex), t: ref.sentAt });
  await Promise.all([store.put(txKey(peer, ids.transactionId), value, ttlMs), store.put(midKey(peer, ids.messageId), value, ttlMs)]);
}

/** The forward a Transaction-ID or X-Mms-Message-ID of `peer` names, or undefined (unknown, expired, unreadable). */
export async function findForward(store: CorrelationStore, key: string): Promise<ForwardRef | undefined> {
  const raw = await store.get(key);
  if (raw === undefined) return undefined;
  try {
    const v = JSON.parse(raw) as { j?: unknown; t?: unknown };
    if (typeof v.j !== 'string' || !v.j.includes('/')) return undefined;
    const { messageId, recipientIndex } = parseJobId(v.j);
    if (!Number.isInteger(recipientIndex) || recipientIndex < 0) return undefined;
    return { messageId, recipientIndex, sentAt: typeof v.t === 'number' ? v.t : 0 };
  } catch {
    return undefined;
  }
}
