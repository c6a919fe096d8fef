import { jobId } from '../core/message.js';
import type { Logger } from '../ops/logger.js';
import type { CorrelationStore } from '../core/ports.js';

/** Correlations for receipts outlive the message a little: receipts can come late. */
const RECEIPT_GRACE_MS = 3_600_000;

/** The delivery job a submit_sm belongs to: the message, the recipient, and when the message expires. */
export interface ReceiptJob {
  messageId: string;
  recipientIndex: number;
  expiresAt: number;
}

/** The correlation key of an SMSC message id. */
export function receiptKey(smscId: string, smscMessageId: string): string {
  return `dlr:${smscId}:${smscMessageId}`;
}

/**
 * Remember the SMSC message ids a job's submit_sm got (every segment of a text or a WAP push), so that
 * their delivery receipts, which may reach another instance, find the job and land in its history
 * (SmppEdge.receipt). A correlation that cannot be stored costs the receipt only: logged, never thrown.
 */
export async function rememberSubmits(
  correlations: CorrelationStore,
  smscId: string,
  smscMessageIds: readonly string[],
  job: ReceiptJob,
  log: Logger,
  now: number = Date.now(),
): Promise<void> {
  const value = jobId(job.messageId, job.recipientIndex);
  const ttl = Math.max(0, job.expiresAt - now) + RECEIPT_GRACE_MS;
  await Promise.all(smscMessageIds.map((id) => correlations.put(receiptKey(smscId, id), value, ttl))).catch((err: unknown) =>
    log.warn({ err, messageId: job.messageId }, 'receipt correlation not stored'),
  );
}
