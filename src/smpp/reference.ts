import { crc32 } from 'node:zlib';
import { jobId } from '../core/message.js';

/**
 * The SMS references of one delivery job, from its id (core/message.ts jobId): the same on every attempt,
 * so that a copy the SMSC or the handset got before (an attempt whose answer was lost, a worker whose
 * lease ran out) carries the references of the first. 16 bits: the user_message_reference TLV (SMPP 3.4
 * §5.3.2.17, which many SMSCs echo in their receipts); its low 8 bits: the concatenation reference of a
 * multi-segment text or push (TS 23.040 §9.2.3.24.1). Different jobs to one handset may still share a
 * concatenation reference (1 in 256, as with a random one): a handset tells apart messages in turn by time.
 */
export function smsReference(jobKey: string): number {
  return crc32(jobKey) & 0xffff;
}

/** smsReference of the job (message and recipient) a submit belongs to. */
export function jobReference(job: { messageId: string; recipientIndex: number }): number {
  return smsReference(jobId(job.messageId, job.recipientIndex));
}
